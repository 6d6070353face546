/**
 * The `mistral` preset: Mistral's chat API refuses request fields it does not document with 422
 * "Extra inputs are not permitted" (pydantic's extra_forbidden), `stream_options` and
 * `max_completion_tokens` among them, and sends the usage with its last chunk unasked. The gateway
 * asked every stream for usage with `stream_options`, so each streamed request to Mistral failed;
 * now it leaves that out for Mistral and sends `max_completion_tokens` as `max_tokens`, for the
 * OpenAI SDK, the Anthropic SDK and the Responses API alike, and still reads the usage.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { accessLogs, eventually, openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";

const REFUSED = ["stream_options", "max_completion_tokens"];
const USAGE = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 };

/** Mistral's answers: its 422 for a refused field; else its stream (usage on the last chunk) or its completion */
function mistral(body: Record<string, unknown>): Response {
  const messages = (body.messages ?? []) as { tool_calls?: { id: string }[]; tool_call_id?: string }[];
  const badId = messages.flatMap((m) => [...(m.tool_calls ?? []).map((c) => c.id), ...(m.tool_call_id ? [m.tool_call_id] : [])]).find((id) => !/^[a-zA-Z0-9]{9}$/.test(id));
  if (badId) return Response.json({ object: "error", message: `Tool call id was ${badId} but must be a-z, A-Z, 0-9, with a length of 9.`, type: "invalid_request_error", param: null, code: null }, { status: 400 });
  const extra = REFUSED.find((f) => f in body);
  if (extra) {
    const detail = [{ type: "extra_forbidden", loc: ["body", extra], msg: "Extra inputs are not permitted", input: body[extra] }];
    return Response.json({ object: "error", message: { detail }, type: "invalid_request_error", param: null, code: null }, { status: 422 });
  }
  const base = { id: "0f7c1b2e9d", created: 1, model: "mistral-small-latest" };
  if (body.stream !== true) {
    return Response.json({ ...base, object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "Bonjour !", tool_calls: null }, finish_reason: "stop" }], usage: USAGE });
  }
  const chunk = (delta: unknown, finish: string | null, usage?: unknown) =>
    `data: ${JSON.stringify({ ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
  return new Response(chunk({ role: "assistant", content: "" }, null) + chunk({ content: "Bonjour" }, null) + chunk({ content: " !" }, "stop", USAGE) + "data: [DONE]\n\n", {
    headers: { "content-type": "text/event-stream" },
  });
}

let emu: OpenAIEmulator;
let gw: TestGateway;
let openai: OpenAI;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  emu.script((rec) => mistral(rec.json as Record<string, unknown>));
  gw = await startTestGateway(`
llm:
  port: 0
  models:
  - name: "*"
    provider: mistral
    params: {baseUrl: "http://${emu.host}/v1", apiKey: mistral-test-key}
`);
  openai = openaiClient(gw.baseURL());
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

test("OpenAI SDK, streamed, usage asked for: no stream_options reaches Mistral; the text and the usage come back", async () => {
  const stream = await openai.chat.completions.create({ model: "mistral-small-latest", messages: [{ role: "user", content: "Salut" }], stream: true, stream_options: { include_usage: true }, max_completion_tokens: 50 });
  let text = "";
  let usage: OpenAI.CompletionUsage | undefined;
  for await (const c of stream) {
    text += c.choices[0]?.delta?.content ?? "";
    usage = c.usage ?? usage;
  }
  expect(text).toBe("Bonjour !");
  expect(usage).toEqual(USAGE);
  const sent = emu.requests.at(-1)!.json as Record<string, unknown>;
  expect(sent.stream_options).toBeUndefined();
  expect(sent.max_completion_tokens).toBeUndefined();
  expect(sent.max_tokens).toBe(50);
  // the gateway's own usage (its log) still has the tokens
  const line = await eventually(() => accessLogs(gw).find((l) => l["gen_ai.request.model"] === "mistral-small-latest" && l["gen_ai.usage.output_tokens"] !== undefined));
  expect(line["gen_ai.usage.output_tokens"]).toBe(3);
});

test("Anthropic SDK, streamed, and the Responses API with max_output_tokens: answered", async () => {
  const anthropic = new Anthropic({ baseURL: gw.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
  const message = await anthropic.messages.stream({ model: "mistral-small-latest", max_tokens: 50, messages: [{ role: "user", content: "Salut" }] }).finalMessage();
  expect(message.content as unknown[]).toEqual([{ type: "text", text: "Bonjour !" }]);
  expect(message.usage.output_tokens).toBe(3);
  expect((emu.requests.at(-1)!.json as Record<string, unknown>).stream_options).toBeUndefined();

  const response = await openai.responses.create({ model: "mistral-small-latest", input: "Salut", max_output_tokens: 40 });
  expect(response.output_text).toBe("Bonjour !");
  const sent = emu.requests.at(-1)!.json as Record<string, unknown>;
  expect(sent.max_completion_tokens).toBeUndefined();
  expect(sent.max_tokens).toBe(40);
});

test("a conversation begun elsewhere (OpenAI's call ids) goes on on Mistral: ids fitted to its nine letters and digits, a call and its result alike", async () => {
  const messages: OpenAI.ChatCompletionMessageParam[] = [
    { role: "user", content: "Weather in Paris?" },
    { role: "assistant", content: null, tool_calls: [{ id: "call_9f3a2b7c1d4e5f6a7b8c9d0e", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] },
    { role: "tool", tool_call_id: "call_9f3a2b7c1d4e5f6a7b8c9d0e", content: "18°C" },
  ];
  const done = await openai.chat.completions.create({ model: "mistral-small-latest", messages });
  expect(done.choices[0]!.message.content).toBe("Bonjour !");
  const sent = emu.requests.at(-1)!.json as { messages: { tool_calls?: { id: string }[]; tool_call_id?: string }[] };
  const callId = sent.messages[1]!.tool_calls![0]!.id;
  expect(callId).toMatch(/^[a-zA-Z0-9]{9}$/);
  expect(sent.messages[2]!.tool_call_id).toBe(callId);

  const anthropic = new Anthropic({ baseURL: gw.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
  const message = await anthropic.messages.create({
    model: "mistral-small-latest",
    max_tokens: 50,
    messages: [
      { role: "user", content: "Weather in Paris?" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", input: { city: "Paris" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", content: "18°C" }] },
    ],
  });
  expect(message.content as unknown[]).toEqual([{ type: "text", text: "Bonjour !" }]);
});

