/**
 * Keep-alive on client-format streams: comments while the upstream is silent before answering,
 * the answer in the client's format after them, and an upstream error that comes after a
 * keep-alive (the status is committed by then) as the client's own error event (for Responses
 * clients, the failed Response too).
 */
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, openaiClient, type ProviderGateway } from "../../helpers/gateway.ts";
import { openaiTextStream } from "./scripts.ts";

let emu: OpenAIEmulator;
let gw: ProviderGateway;
beforeAll(async () => {
  emu = startOpenAIEmulator();
  gw = await gatewayFor("openAI", emu, { auth: { key: "k" }, top: "config: {streamKeepAlive: 100ms}" });
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

const post = (path: string, body: unknown) => fetch(`${gw.origin()}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const MESSAGES = { model: "m", max_tokens: 10, stream: true, messages: [{ role: "user" as const, content: "hi" }] };

test("an answer that is late: keep-alive comments, then Anthropic events the SDK reads", async () => {
  emu.script(async () => {
    await Bun.sleep(250);
    return openaiTextStream(["late ", "but here"]);
  });
  const res = await post("/v1/messages", MESSAGES);
  const text = await res.text();
  expect(text.startsWith(": keep-alive\n\n")).toBe(true);
  expect(text).toContain("event: message_start");
  emu.script(async () => {
    await Bun.sleep(250);
    return openaiTextStream(["late ", "but here"]);
  });
  const msg = await new Anthropic({ baseURL: gw.origin(), apiKey: "c", maxRetries: 0 }).messages.stream({ model: "m", max_tokens: 10, messages: MESSAGES.messages }).finalMessage();
  expect(msg.content).toMatchObject([{ type: "text", text: "late but here" }]);
  emu.script(undefined);
});

const late429 = async () => {
  await Bun.sleep(250);
  return Response.json({ error: { message: "slow down", type: "rate_limit_error", code: null } }, { status: 429 });
};

test("an error after a keep-alive is the client's error event: Anthropic's and Google's", async () => {
  emu.script(late429);
  const anthropic = await (await post("/v1/messages", MESSAGES)).text();
  expect(anthropic).toEndWith('event: error\ndata: {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}\n\n');
  const gemini = await (await post("/v1beta/models/m:streamGenerateContent?alt=sse", { contents: [{ parts: [{ text: "hi" }] }] })).text();
  expect(gemini).toEndWith('data: {"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}\r\n\r\n');
  emu.script(undefined);
});

test("an error after a keep-alive ends a Responses stream in response.failed (Codex reads that); the SDK raises it", async () => {
  emu.script(late429);
  const client = openaiClient(gw.baseURL());
  const raw = await (await client.responses.create({ model: "m", input: "hi", stream: true }).asResponse()).text();
  expect(raw.startsWith(": keep-alive\n\n")).toBe(true);
  const events = raw
    .split("\n\n")
    .filter((frame) => frame.startsWith("event: "))
    .map((frame) => JSON.parse(frame.slice(frame.indexOf("data: ") + 6)) as { type: string; sequence_number: number; response?: OpenAI.Responses.Response });
  expect(events.map((e) => [e.type, e.sequence_number])).toEqual([
    ["error", 0],
    ["response.failed", 1],
  ]);
  expect(events[1]!.response).toMatchObject({ object: "response", status: "failed", model: "m", output: [], error: { code: "rate_limit_error", message: "slow down" } });

  const err = await (async () => {
    for await (const _ of await client.responses.create({ model: "m", input: "hi", stream: true })) {
      // nothing of the answer comes before the failure
    }
  })().catch((e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  expect(String((err as Error).message)).toContain("slow down");
  emu.script(undefined);
});
