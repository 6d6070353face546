/**
 * OpenAI's reasoning models (o-series, gpt-5 and later) refuse `max_tokens` (400
 * unsupported_parameter: "Use 'max_completion_tokens' instead"). Claude Code and every Anthropic
 * client send `max_tokens` with each request, Gemini clients `maxOutputTokens`: translated for
 * such a model, the cap goes as `max_completion_tokens`. An OpenAI client's `max_tokens` sent to
 * such a model (an alias may pick it) is renamed too; for other models it stays as it is.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../../../helpers/gateway.ts";
import { openaiJson, openaiSse } from "../../formats/scripts.ts";

/** OpenAI's refusal of max_tokens on a reasoning model, as it answers it */
function openai(body: Record<string, unknown>): Response {
  if (/^(o\d|gpt-5)/.test(String(body.model)) && "max_tokens" in body) {
    return Response.json(
      { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", type: "invalid_request_error", param: "max_tokens", code: "unsupported_parameter" } },
      { status: 400 },
    );
  }
  return body.stream === true ? openaiSse([{ content: "Done." }], "stop", undefined, String(body.model)) : openaiJson({ content: "Done." }, "stop", String(body.model));
}

let emu: OpenAIEmulator;
let gw: ProviderGateway;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  emu.script((rec) => openai(rec.json as Record<string, unknown>));
  gw = await gatewayFor("openAI", emu);
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

const sent = () => emu.requests.at(-1)!.json as Record<string, unknown>;

test("an Anthropic client (Claude Code's max_tokens) on gpt-5: answered, the cap sent as max_completion_tokens", async () => {
  const anthropic = new Anthropic({ baseURL: gw.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
  for (const model of ["gpt-5.4-mini", "o4-mini"]) {
    // streamed, as Claude Code asks (the SDK refuses a plain request with so large a cap)
    const message = await anthropic.messages.stream({ model, max_tokens: 32000, messages: [{ role: "user", content: "Fix the bug" }] }).finalMessage();
    expect(message.content as unknown[]).toEqual([{ type: "text", text: "Done." }]);
    expect(sent().max_completion_tokens).toBe(32000);
    expect(sent().max_tokens).toBeUndefined();
  }
});

test("an OpenAI client's max_tokens: renamed for gpt-5, kept for gpt-4o", async () => {
  const done = await gw.client.chat.completions.create({ model: "gpt-5", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
  expect(done.choices[0]!.message.content).toBe("Done.");
  expect(sent().max_completion_tokens).toBe(100);
  expect(sent().max_tokens).toBeUndefined();

  await gw.client.chat.completions.create({ model: "gpt-4o", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
  expect(sent().max_tokens).toBe(100);
  expect(sent().max_completion_tokens).toBeUndefined();
});
