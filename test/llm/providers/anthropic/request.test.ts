/**
 * OpenAI chat requests, sent with the official SDK, and the exact Anthropic Messages bodies and
 * headers the upstream received.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../../emulators/anthropic.ts";
import { gatewayFor, openaiClient, providerSuite } from "../../../helpers/gateway.ts";
import { MODEL, PINNED, plainText } from "./scripts.ts";

const t = providerSuite("anthropic", startAnthropicEmulator, PINNED);

/** Sends a request (answered with plain text) and returns what Anthropic received. */
async function sent(body: Record<string, unknown>, headers?: Record<string, string>) {
  t.emu.enqueue(turn(plainText));
  await t.gw.client.chat.completions.create({ model: "gpt-4o-mini", ...body } as never, headers ? { headers } : undefined);
  return t.emu.lastJson();
}

describe("messages", () => {
  test("a plain user message: pinned model, default max_tokens, native path", async () => {
    const body = await sent({ messages: [{ role: "user", content: "Hello, how are you?" }] });
    expect(body).toEqual({ model: MODEL, messages: [{ role: "user", content: "Hello, how are you?" }], max_tokens: 4096 });
    const req = t.emu.requests.at(-1)!;
    expect(req.path + req.query).toBe("/v1/messages");
  });

  test("system and developer messages -> system blocks; consecutive turns merged", async () => {
    const body = await sent({
      messages: [
        { role: "system", content: "You are a helpful assistant." },
        { role: "developer", content: [{ type: "text", text: "Answer briefly." }] },
        { role: "user", content: "Hi" },
        { role: "user", content: "Explain quantum computing" },
        { role: "assistant", content: "Sure." },
        { role: "assistant", content: [{ type: "text", text: "Here goes." }] },
        { role: "user", content: "Go on" },
      ],
    });
    expect(body.system).toEqual([
      { type: "text", text: "You are a helpful assistant." },
      { type: "text", text: "Answer briefly." },
    ]);
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Hi" }, { type: "text", text: "Explain quantum computing" }] },
      { role: "assistant", content: [{ type: "text", text: "Sure." }, { type: "text", text: "Here goes." }] },
      { role: "user", content: "Go on" },
    ]);
  });

  test("images: data URL -> base64 source, https -> url source", async () => {
    const body = await sent({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in these images?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://upload.example.org/cat.jpg", detail: "high" } },
          ],
        },
      ],
    });
    expect(body.messages).toEqual([
      {
        role: "user",
        content: [
          { type: "text", text: "What is in these images?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
          { type: "image", source: { type: "url", url: "https://upload.example.org/cat.jpg" } },
        ],
      },
    ]);
  });

  test("assistant tool_calls -> tool_use; tool messages -> tool_result blocks in one user turn", async () => {
    const body = await sent({
      messages: [
        { role: "user", content: "Weather in Paris and the time there?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: "toolu_01A", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } },
            { id: "toolu_01B", type: "function", function: { name: "get_time", arguments: "" } },
          ],
        },
        { role: "tool", tool_call_id: "toolu_01A", content: "18°C, cloudy" },
        { role: "tool", tool_call_id: "toolu_01B", content: [{ type: "text", text: "14:05" }] },
        { role: "user", content: "Thanks! Anything else?" },
      ],
    });
    expect(body.messages).toEqual([
      { role: "user", content: "Weather in Paris and the time there?" },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "toolu_01A", name: "get_weather", input: { location: "Paris" } },
          { type: "tool_use", id: "toolu_01B", name: "get_time", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "toolu_01A", content: "18°C, cloudy" },
          { type: "tool_result", tool_use_id: "toolu_01B", content: [{ type: "text", text: "14:05" }] },
          { type: "text", text: "Thanks! Anything else?" },
        ],
      },
    ]);
  });

  test("signed thinking blocks on an assistant message are replayed first, verbatim", async () => {
    const blocks = [
      { type: "thinking", thinking: "Let me check the weather.", signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3h" },
      { type: "redacted_thinking", data: "EmwKAhgBEgy3va3pzix/LafPsn4a" },
    ];
    t.emu.acceptSignatures("EqQBCgIYAhIM1gbcDa9GJwZA2b3h", "EmwKAhgBEgy3va3pzix/LafPsn4a"); // Claude's, from an earlier answer
    const body = await sent({
      messages: [
        { role: "user", content: "Weather in Paris?" },
        {
          role: "assistant",
          content: null,
          reasoning_content: "Let me check the weather.",
          thinking_blocks: blocks,
          tool_calls: [{ id: "toolu_01A", type: "function", function: { name: "get_weather", arguments: '{"location":"Paris"}' } }],
        },
        { role: "tool", tool_call_id: "toolu_01A", content: "18°C" },
      ],
    });
    expect((body.messages as unknown[])[1]).toEqual({
      role: "assistant",
      content: [...blocks, { type: "tool_use", id: "toolu_01A", name: "get_weather", input: { location: "Paris" } }],
    });
  });

  test("cache_control markers on parts, messages and tools pass through", async () => {
    const body = await sent({
      messages: [
        { role: "system", content: [{ type: "text", text: "Long policy document...", cache_control: { type: "ephemeral" } }] },
        { role: "user", content: "Question one", cache_control: { type: "ephemeral", ttl: "1h" } },
      ],
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } }, cache_control: { type: "ephemeral" } }],
    });
    expect(body.system).toEqual([{ type: "text", text: "Long policy document...", cache_control: { type: "ephemeral" } }]);
    expect(body.messages).toEqual([{ role: "user", content: [{ type: "text", text: "Question one", cache_control: { type: "ephemeral", ttl: "1h" } }] }]);
    expect(body.tools).toEqual([{ name: "lookup", input_schema: { type: "object", properties: {} }, cache_control: { type: "ephemeral" } }]);
  });
});

describe("tools and options", () => {
  const weather = {
    type: "function" as const,
    function: {
      name: "get_weather",
      description: "Get current weather for a location",
      parameters: { type: "object", properties: { location: { type: "string", description: "City name" } }, required: ["location"] },
      strict: true,
    },
  };
  const messages = [{ role: "user", content: "What's the weather in Boston?" }];

  test("tools -> input_schema (strict dropped)", async () => {
    const body = await sent({ messages, tools: [weather] });
    expect(body.tools).toEqual([
      {
        name: "get_weather",
        description: "Get current weather for a location",
        input_schema: { type: "object", properties: { location: { type: "string", description: "City name" } }, required: ["location"] },
      },
    ]);
    expect(body.tool_choice).toBeUndefined();
  });

  test.each([
    ["auto", "auto", { type: "auto" }],
    ["none", "none", { type: "none" }],
    ["required", "required", { type: "any" }],
    ["named", { type: "function", function: { name: "get_weather" } }, { type: "tool", name: "get_weather" }],
  ] as [string, unknown, unknown][])("tool_choice %s", async (_label, choice, expected) => {
    const body = await sent({ messages, tools: [weather], tool_choice: choice });
    expect(body.tool_choice).toEqual(expected);
  });

  test("parallel_tool_calls: false -> disable_parallel_tool_use (auto, not any, when alone)", async () => {
    expect((await sent({ messages, tools: [weather], parallel_tool_calls: false })).tool_choice).toEqual({ type: "auto", disable_parallel_tool_use: true });
    expect((await sent({ messages, tools: [weather], tool_choice: "required", parallel_tool_calls: false })).tool_choice).toEqual({
      type: "any",
      disable_parallel_tool_use: true,
    });
    expect((await sent({ messages, tools: [weather], parallel_tool_calls: true })).tool_choice).toBeUndefined();
  });

  test("sampling, limits, stop, user; OpenAI-only parameters dropped", async () => {
    const body = await sent({
      messages,
      temperature: 0.7,
      top_p: 0.9,
      max_tokens: 500,
      stop: "\n\nHuman:",
      user: "user-1234",
      frequency_penalty: 0.5,
      presence_penalty: 0.1,
      seed: 42,
      logprobs: true,
      store: true,
      metadata: { session: "a" },
      n: 1,
    });
    expect(body).toEqual({
      model: MODEL,
      messages,
      stop_sequences: ["\n\nHuman:"],
      temperature: 0.7,
      top_p: 0.9,
      metadata: { user_id: "user-1234" },
      max_tokens: 500,
    });
    expect((await sent({ messages, max_completion_tokens: 300, max_tokens: 500, stop: ["END", "STOP"] })).max_tokens).toBe(300);
    expect((await sent({ messages, stop: ["END", "STOP"] })).stop_sequences).toEqual(["END", "STOP"]);
    expect((await sent({ messages, safety_identifier: "hashed-user-42", user: "old" })).metadata).toEqual({ user_id: "hashed-user-42" });
  });

  test("reasoning_effort -> thinking with a budget; max_tokens leaves room for the answer", async () => {
    const low = await sent({ messages, reasoning_effort: "low" });
    expect(low.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(low.max_tokens).toBe(4096 + 1024);
    const high = await sent({ messages, reasoning_effort: "high", max_completion_tokens: 16000 });
    expect(high.thinking).toEqual({ type: "enabled", budget_tokens: 4096 });
    expect(high.max_tokens).toBe(16000);
    expect((await sent({ messages, reasoning_effort: "medium" })).thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect((await sent({ messages, reasoning_effort: "none" })).thinking).toBeUndefined();
  });

  test("response_format json_schema -> output_config.format; json_object dropped", async () => {
    const schema = { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false };
    const body = await sent({ messages, response_format: { type: "json_schema", json_schema: { name: "city", strict: true, schema } } });
    expect(body.output_config).toEqual({ format: { type: "json_schema", schema } });
    expect((await sent({ messages, response_format: { type: "json_object" } })).output_config).toBeUndefined();
  });
});

describe("headers", () => {
  test("backendAuth key -> x-api-key, anthropic-version set, client anthropic-beta passed on", async () => {
    await sent({ messages: [{ role: "user", content: "hi" }] }, { "anthropic-beta": "prompt-caching-2024-07-31,token-efficient-tools-2025-02-19" });
    const h = t.emu.requests.at(-1)!.headers;
    expect(h.get("x-api-key")).toBe("sk-ant-api03-test-key");
    expect(h.get("authorization")).toBeNull();
    expect(h.get("anthropic-version")).toBe("2023-06-01");
    expect(h.get("anthropic-beta")).toBe("prompt-caching-2024-07-31,token-efficient-tools-2025-02-19");
  });

  test("an OAuth token (sk-ant-oat...) stays a bearer token", async () => {
    const oauth = await gatewayFor("anthropic", t.emu, { settings: { model: MODEL }, auth: { key: "sk-ant-oat01-oauth-token" } });
    try {
      t.emu.enqueue(turn(plainText));
      await oauth.client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] });
      const h = t.emu.requests.at(-1)!.headers;
      expect(h.get("authorization")).toBe("Bearer sk-ant-oat01-oauth-token");
      expect(h.get("x-api-key")).toBeNull();
    } finally {
      await oauth.stop();
    }
  });

  test("without backendAuth the client's key goes upstream as x-api-key", async () => {
    const open = await gatewayFor("anthropic", t.emu, { settings: { model: MODEL } });
    try {
      t.emu.enqueue(turn(plainText));
      const client = openaiClient(open.baseURL(), "sk-ant-api03-client-own");
      await client.chat.completions.create({ model: "x", messages: [{ role: "user", content: "hi" }] });
      expect(t.emu.requests.at(-1)!.headers.get("x-api-key")).toBe("sk-ant-api03-client-own");
    } finally {
      await open.stop();
    }
  });
});

describe("requests Anthropic cannot express: 400 naming the parameter, nothing sent", () => {
  test.each([
    ["n > 1", { n: 2 }, "n"],
    ["audio input", { messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "wav" } }] }] }, "messages[0].content[0]"],
    ["an ftp image URL", { messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "ftp://x/y.png" } }] }] }, "messages[0].content[0].image_url.url"],
    [
      "tool arguments that are not JSON",
      { messages: [{ role: "assistant", content: null, tool_calls: [{ id: "a", type: "function", function: { name: "f", arguments: "{oops" } }] }] },
      "messages[0].tool_calls[0].function.arguments",
    ],
    ["max_tokens below the thinking budget", { reasoning_effort: "high", max_tokens: 2000 }, "max_tokens"],
    ["an unknown reasoning_effort", { reasoning_effort: "extreme" }, "reasoning_effort"],
  ] as [string, Record<string, unknown>, string][])("%s", async (_label, extra, param) => {
    const before = t.emu.requests.length;
    const err = await t.gw.client.chat.completions
      .create({ model: "x", messages: [{ role: "user", content: "hi" }], ...extra } as never)
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
    expect(t.emu.requests.length).toBe(before);
  });
});

describe("text Claude refuses", () => {
  test("blank system prompts, blank turns and blank parts are left out; a final assistant prefill loses its trailing whitespace", async () => {
    // Claude answers 400 "text content blocks must contain non-whitespace text" and "final
    // assistant content cannot end with trailing whitespace" to these, as OpenAI clients send them
    const body = await sent({
      messages: [
        { role: "system", content: "" },
        { role: "system", content: [{ type: "text", text: "  \n" }, { type: "text", text: "Be brief." }] },
        { role: "user", content: "Hi" },
        { role: "assistant", content: " " },
        { role: "user", content: [{ type: "text", text: "\n" }, { type: "text", text: "Name a colour." }] },
        { role: "user", content: "   " },
        { role: "assistant", content: "The colour is " },
      ],
    });
    expect(body.system).toEqual([{ type: "text", text: "Be brief." }]);
    expect(body.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Hi" }, { type: "text", text: "Name a colour." }] },
      { role: "assistant", content: [{ type: "text", text: "The colour is" }] },
    ]);
  });
});
