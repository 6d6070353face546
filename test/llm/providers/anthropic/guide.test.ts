/**
 * The user guide (spec/openai-sdk-guide.md), Anthropic part: its bind with `backendAuth.key` and a
 * pinned `claude-sonnet-4-20250514`, driven by the guide's own Node.js snippets (the SDK sends
 * `gpt-4o-mini`; the pinned model wins). Only `hostOverride` is added, to reach the emulator.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { startAnthropicEmulator, turn, httpError, type AnthropicEmulator } from "../../../emulators/anthropic.ts";
import { startTestGateway, type TestGateway } from "../../../helpers/gateway.ts";
import * as s from "./scripts.ts";

let emu: AnthropicEmulator;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  emu = startAnthropicEmulator();
  gw = await startTestGateway(
    `# yaml-language-server: $schema=https://agentgateway.dev/schema/config
binds:
- port: 0
  listeners:
  - routes:
    - policies:
        backendAuth:
          key: $ANTHROPIC_API_KEY
      backends:
      - ai:
          name: anthropic
          hostOverride: ${emu.host}
          provider:
            anthropic:
              model: claude-sonnet-4-20250514
`,
    { ANTHROPIC_API_KEY: "sk-ant-api03-guide" },
  );
  client = new OpenAI({ baseURL: gw.baseURL(), apiKey: "anything", maxRetries: 0 });
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

test("basic usage", async () => {
  emu.enqueue(turn(s.plainText));
  const response = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Hello, how are you?" }],
  });
  expect(response.choices[0]!.message.content).toBe(s.PLAIN_TEXT);
  const req = emu.requests.at(-1)!;
  expect(req.path + req.query).toBe("/v1/messages");
  expect(req.json).toEqual({ model: "claude-sonnet-4-20250514", messages: [{ role: "user", content: "Hello, how are you?" }], max_tokens: 4096 });
  expect(req.headers.get("x-api-key")).toBe("sk-ant-api03-guide");
  expect(req.headers.get("authorization")).toBeNull();
});

test("streaming responses", async () => {
  emu.enqueue(turn(s.maxTokens));
  const stream = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "Write a short story" }],
    stream: true,
  });
  let out = "";
  for await (const chunk of stream) {
    const content = chunk.choices[0]?.delta?.content || "";
    out += content;
  }
  expect(out).toBe("Once upon a time, in a land far away, there");
  expect(emu.requests.at(-1)!.json.stream).toBe(true);
});

test("advanced parameters", async () => {
  emu.enqueue(turn(s.plainText));
  await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [
      { role: "system", content: "You are a helpful assistant." },
      { role: "user", content: "Explain quantum computing" },
    ],
    temperature: 0.7,
    max_tokens: 500,
    top_p: 0.9,
    frequency_penalty: 0.0,
    presence_penalty: 0.0,
  });
  expect(emu.requests.at(-1)!.json).toEqual({
    model: "claude-sonnet-4-20250514",
    system: [{ type: "text", text: "You are a helpful assistant." }],
    messages: [{ role: "user", content: "Explain quantum computing" }],
    temperature: 0.7,
    top_p: 0.9,
    max_tokens: 500,
  });
});

test("error handling", async () => {
  emu.enqueue(httpError(529, "overloaded_error", "Overloaded"));
  let status: number | undefined;
  let message = "";
  try {
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello!" }] });
  } catch (error) {
    if (error instanceof OpenAI.APIError) {
      message = `OpenAI API error: ${error.message}`;
      status = error.status;
    }
  }
  expect(status).toBe(529);
  expect(message).toContain("Overloaded");
});

test("function calling", async () => {
  emu.enqueue(turn(s.oneTool));
  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "get_weather",
        description: "Get current weather for a location",
        parameters: { type: "object", properties: { location: { type: "string", description: "City name" } }, required: ["location"] },
      },
    },
  ];
  const response = await client.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: "What's the weather in Boston?" }],
    tools: tools,
  });
  const call = response.choices[0]!.message.tool_calls![0]!;
  expect(call.type === "function" && JSON.parse(call.function.arguments)).toEqual({ location: "Boston, MA" });
  expect(response.choices[0]!.finish_reason).toBe("tool_calls");
});

test("verification: GET /v1/models lists the pinned model", async () => {
  const res = await fetch(`${gw.baseURL()}/models`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { id: string; owned_by: string }[] };
  expect(body.data.map((m) => [m.id, m.owned_by])).toEqual([["claude-sonnet-4-20250514", "anthropic"]]);
});
