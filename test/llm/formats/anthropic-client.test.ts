/**
 * The official Anthropic SDK on every provider kind: OpenAI-format (translated through the hub),
 * Bedrock (Converse, signed thinking replayed), Gemini, and Anthropic itself (passthrough).
 * Multi-turn with tools and thinking; errors in Anthropic's shape before and during streams.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { functionCallEvents, GEMINI_TEST_KEY, startGeminiEmulator, textEvents, thinkingEvents, type GeminiEmulator } from "../../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { accessLogs, eventually, gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";
import { PINNED as BEDROCK } from "../providers/bedrock/scripts.ts";
import { bedrockText, bedrockThinkingTool, openaiJson, openaiSse, openaiTextStream, openaiToolStream, SIGNATURE, WEATHER_TOOL } from "./scripts.ts";

const client = (gw: ProviderGateway, apiKey = "sk-ant-client") => new Anthropic({ baseURL: gw.origin(), apiKey, maxRetries: 0 });

describe("Anthropic client on an OpenAI-format provider", () => {
  let emu: OpenAIEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await gatewayFor("openAI", emu, { settings: { model: "gpt-4o-mini" }, auth: { key: "sk-gateway" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("streamed tool call, then the tool result turn; the full event sequence", async () => {
    emu.enqueue(openaiToolStream("get_weather", '{"city":"Paris"}'), openaiTextStream(["It is ", "sunny ", "in Paris."]));
    const events: string[] = [];
    const stream = client(gw).messages.stream({
      model: "claude-x",
      max_tokens: 1024,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      tools: [WEATHER_TOOL],
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    stream.on("streamEvent", (e) => events.push(e.type === "content_block_delta" ? `delta:${e.delta.type}` : e.type));
    const first = await stream.finalMessage();
    expect(first.stop_reason).toBe("tool_use");
    expect(first.content[0]).toMatchObject({ type: "text", text: "Let me check." });
    const call = first.content[1] as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ type: "tool_use", id: "call_fmt_1", name: "get_weather", input: { city: "Paris" } });
    expect(first.usage).toMatchObject({ input_tokens: 21, output_tokens: 9 });
    expect(events[0]).toBe("message_start");
    expect(events.at(-1)).toBe("message_stop");
    expect(events).toContain("delta:input_json_delta");
    expect(events.filter((e) => e === "content_block_start").length).toBe(2);
    expect(events.filter((e) => e === "content_block_stop").length).toBe(2);

    // what the OpenAI upstream got: the hub request, no Anthropic extension fields
    const req1 = emu.requests[0]!;
    expect(req1.headers.get("authorization")).toBe("Bearer sk-gateway");
    expect(req1.headers.get("x-api-key")).toBeNull();
    expect(req1.headers.get("anthropic-version")).toBeNull();
    expect(req1.json.messages[0]).toEqual({ role: "system", content: [{ type: "text", text: "Be brief." }] });
    expect(req1.json.tools[0]).toEqual({ type: "function", function: { name: "get_weather", description: "Current weather for a city", parameters: WEATHER_TOOL.input_schema } });
    expect(req1.json.stream_options).toEqual({ include_usage: true });
    expect(req1.json.max_tokens).toBe(1024);

    const second = await client(gw).messages.create({
      model: "claude-x",
      max_tokens: 1024,
      tools: [WEATHER_TOOL],
      stream: true,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: [{ type: "text", text: "22C, sunny" }], cache_control: { type: "ephemeral" } }] },
      ],
    });
    let text = "";
    for await (const e of second) if (e.type === "content_block_delta" && e.delta.type === "text_delta") text += e.delta.text;
    expect(text).toBe("It is sunny in Paris.");
    const req2 = emu.requests[1]!.json;
    expect(req2.messages[1]).toEqual({ role: "assistant", content: "Let me check.", tool_calls: [{ id: "call_fmt_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }] });
    expect(req2.messages[2]).toEqual({ role: "tool", tool_call_id: "call_fmt_1", content: "22C, sunny" });
  });

  test("non-streaming answer; reasoning becomes a thinking block; thinking settings are not sent to OpenAI", async () => {
    emu.enqueue(openaiJson({ content: "Four.", reasoning_content: "2+2" }, "stop"));
    const msg = await client(gw).messages.create({ model: "m", max_tokens: 4000, thinking: { type: "enabled", budget_tokens: 2000 }, messages: [{ role: "user", content: "2+2?" }] });
    expect(msg.content).toMatchObject([{ type: "thinking", thinking: "2+2", signature: "" }, { type: "text", text: "Four." }]);
    expect(msg.stop_reason).toBe("end_turn");
    expect(msg.usage).toMatchObject({ input_tokens: 32, cache_read_input_tokens: 8, output_tokens: 12 });
    const sent = emu.lastJson();
    expect(sent.thinking).toBeUndefined();
    expect(sent.reasoning_effort).toBeUndefined();
  });

  test("images and PDF documents become image_url and file parts", async () => {
    emu.enqueue(openaiJson({ content: "A cat." }, "stop"));
    await client(gw).messages.create({
      model: "m",
      max_tokens: 100,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } },
            { type: "image", source: { type: "url", url: "https://example.com/cat.jpg" } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" }, title: "doc.pdf" },
            { type: "text", text: "Describe." },
          ],
        },
      ],
    });
    expect(emu.lastJson().messages[0].content).toEqual([
      { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
      { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
      { type: "file", file: { file_data: "data:application/pdf;base64,JVBERi0=", filename: "doc.pdf" } },
      { type: "text", text: "Describe." },
    ]);
  });

});

describe("Anthropic client on an OpenAI-format provider: errors in Anthropic's shape", () => {
  let emu: OpenAIEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await gatewayFor("openAI", emu, { settings: { model: "gpt-4o-mini" }, auth: { key: "sk-gateway" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("an upstream 429 is Anthropic's rate_limit_error with the status and retry-after", async () => {
    emu.enqueue(Response.json({ error: { message: "Rate limit reached", type: "rate_limit_error", code: "rate_limit_exceeded" } }, { status: 429, headers: { "retry-after": "7" } }));
    const err = (await client(gw)
      .messages.create({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e)) as InstanceType<typeof Anthropic.RateLimitError>;
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.error).toEqual({ type: "error", error: { type: "rate_limit_error", message: "Rate limit reached" } });
    expect(err.headers?.get("retry-after")).toBe("7");
  });

  test("a stream that fails mid-way ends with an Anthropic error event the SDK raises", async () => {
    const body = openaiSse([{ content: "Partial" }], "stop").body!;
    const text = (await new Response(body).text()).split("\n\n").slice(0, 2).join("\n\n") + '\n\ndata: {"error":{"message":"overloaded","type":"server_error","code":"overloaded","status":529}}\n\n';
    emu.enqueue(new Response(text, { headers: { "content-type": "text/event-stream" } }));
    const stream = client(gw).messages.stream({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    const err = (await stream.finalMessage().catch((e) => e)) as Error;
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err.message)).toContain("overloaded");
  });

  test("a failure before any content is a real HTTP error in Anthropic's shape", async () => {
    emu.enqueue(new Response('data: {"error":{"message":"bad things","type":"invalid_request_error","code":null}}\n\n', { headers: { "content-type": "text/event-stream" } }));
    const err = (await client(gw)
      .messages.create({ model: "m", max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e)) as InstanceType<typeof Anthropic.BadRequestError>;
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect(err.error).toEqual({ type: "error", error: { type: "invalid_request_error", message: "bad things" } });
  });

  test("an invalid request is a 400 in Anthropic's shape", async () => {
    const res = await fetch(`${gw.origin()}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", max_tokens: 5 }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ type: "error", error: { type: "invalid_request_error", message: "messages: Field required" } });
  });
});

describe("Anthropic client on Bedrock (Converse): signed thinking and tools round trip", () => {
  let emu: BedrockEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startBedrockEmulator();
    gw = await gatewayFor("bedrock", emu, BEDROCK);
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("thinking with its signature, a tool call, then the next turn replays both", async () => {
    emu.enqueue({ events: bedrockThinkingTool("get_weather", '{"city":"Oslo"}') }, { events: bedrockText(["Cold ", "in Oslo."]) });
    const stream = client(gw).messages.stream(
      {
        model: "claude-x",
        max_tokens: 8000,
        thinking: { type: "enabled", budget_tokens: 4000 },
        tools: [WEATHER_TOOL],
        system: [{ type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } }],
        messages: [{ role: "user", content: "Weather in Oslo?" }],
      },
      { headers: { "anthropic-beta": "interleaved-thinking-2025-05-14,claude-code-20250219" } },
    );
    const first = await stream.finalMessage();
    expect(first.content[0]).toEqual({ type: "thinking", thinking: "The user wants the weather; I should call the tool.", signature: SIGNATURE });
    expect(first.content[1]).toMatchObject({ type: "tool_use", id: "tooluse_fmt01", name: "get_weather", input: { city: "Oslo" } });
    expect(first.stop_reason).toBe("tool_use");
    expect(first.usage).toMatchObject({ input_tokens: 120, cache_read_input_tokens: 20, output_tokens: 40 });
    const req1 = emu.requests[0]!.json;
    expect(req1.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 4000 }, anthropic_beta: ["interleaved-thinking-2025-05-14"] });
    expect(req1.system).toEqual([{ text: "You are terse." }, { cachePoint: { type: "default" } }]);
    expect(emu.requests[0]!.headers.get("anthropic-beta")).toBeNull();

    const call = first.content[1] as Anthropic.ToolUseBlock;
    const second = await client(gw).messages.create({
      model: "claude-x",
      max_tokens: 8000,
      thinking: { type: "enabled", budget_tokens: 4000 },
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "-3C" }] },
      ],
    });
    expect(second.content).toMatchObject([{ type: "text", text: "Cold in Oslo." }]);
    const req2 = emu.requests[1]!.json;
    expect(req2.messages[1].content[0]).toEqual({ reasoningContent: { reasoningText: { text: "The user wants the weather; I should call the tool.", signature: SIGNATURE } } });
    expect(req2.messages[1].content[1]).toEqual({ toolUse: { toolUseId: "tooluse_fmt01", name: "get_weather", input: { city: "Oslo" } } });
    expect(req2.messages[2].content[0]).toEqual({ toolResult: { toolUseId: "tooluse_fmt01", content: [{ text: "-3C" }] } });
  });

  test("count_tokens: Bedrock's CountTokens on the Converse form of the request", async () => {
    const { data, response } = await client(gw).messages.countTokens({ model: "claude-x", system: "Be brief.", tools: [WEATHER_TOOL], messages: [{ role: "user", content: "Weather in Oslo?" }] }).withResponse();
    const req = emu.requests.at(-1)!;
    expect(req.operation).toBe("count-tokens");
    expect(req.json.input.converse.system).toEqual([{ text: "Be brief." }]);
    expect(req.json.input.converse.toolConfig.tools[0].toolSpec.name).toBe("get_weather");
    expect(data.input_tokens).toBe(Math.ceil(JSON.stringify(req.json.input.converse).length / 4));
    expect(response.headers.get("x-agw-token-count")).toBe("provider");
  });

  test("server tools and deferred tools are not sent to Bedrock", async () => {
    emu.enqueue({ events: bedrockText(["ok"]) });
    await client(gw).messages.create({
      model: "m",
      max_tokens: 100,
      tools: [WEATHER_TOOL, { type: "web_search_20250305", name: "web_search" }, { ...WEATHER_TOOL, name: "later", defer_loading: true }],
      messages: [{ role: "user", content: "hi" }],
    });
    expect(emu.lastJson().toolConfig.tools.map((t: { toolSpec?: { name: string } }) => t.toolSpec?.name)).toEqual(["get_weather"]);
  });
});

describe("Anthropic client on Gemini", () => {
  let emu: GeminiEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startGeminiEmulator();
    gw = await gatewayFor("gemini", emu, { settings: { model: "gemini-2.5-flash" }, auth: { key: GEMINI_TEST_KEY } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("a function call and its result, over two turns", async () => {
    emu.enqueue({ events: functionCallEvents([{ name: "get_weather", args: { city: "Rome" } }]) }, { events: textEvents(["Warm", " in Rome."]) });
    const first = await client(gw).messages.stream({ model: "m", max_tokens: 500, tools: [WEATHER_TOOL], messages: [{ role: "user", content: "Rome?" }] }).finalMessage();
    const call = first.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    expect(call).toMatchObject({ name: "get_weather", input: { city: "Rome" } });
    expect(first.stop_reason).toBe("tool_use");
    const second = await client(gw).messages.create({
      model: "m",
      max_tokens: 500,
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "Rome?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "30C" }] },
      ],
    });
    expect(second.content).toMatchObject([{ type: "text", text: "Warm in Rome." }]);
    const contents = emu.lastJson().contents;
    expect(contents[1].parts[0].functionCall).toMatchObject({ name: "get_weather", args: { city: "Rome" } });
    expect(contents[2].parts[0].functionResponse).toMatchObject({ name: "get_weather", response: { output: "30C" } });
  });
});

describe("Anthropic client on Gemini 3: thought signatures round trip in thinking blocks", () => {
  let emu: GeminiEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startGeminiEmulator();
    gw = await gatewayFor("gemini", emu, { settings: { model: "gemini-3-pro-preview" }, auth: { key: GEMINI_TEST_KEY } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  for (const callStreamed of [true, false]) {
    test(`the call's and the answer's signatures go back to Gemini on later turns (${callStreamed ? "streamed call, whole answer" : "whole call, streamed answer"})`, async () => {
      const ask = (params: Anthropic.MessageCreateParamsNonStreaming, streamed: boolean) => (streamed ? client(gw).messages.stream(params).finalMessage() : client(gw).messages.create(params));
      emu.enqueue(
        { events: functionCallEvents([{ name: "get_weather", args: { city: "Rome" }, thoughtSignature: "sig-call" }]) },
        { events: thinkingEvents(["Weighing it."], ["Warm ", "in Rome."], "sig-text") },
        { events: textEvents(["Bye."]) },
      );
      const base = { model: "m", max_tokens: 500, tools: [WEATHER_TOOL] };
      const first = await ask({ ...base, messages: [{ role: "user", content: "Rome?" }] }, callStreamed);
      // the signature rides in a thinking block just before the call it signs
      expect(first.content).toMatchObject([{ type: "thinking", thinking: "", signature: "agw1.gc.sig-call" }, { type: "tool_use", name: "get_weather", input: { city: "Rome" } }]);
      const call = first.content[1] as Anthropic.ToolUseBlock;
      const history: Anthropic.MessageParam[] = [
        { role: "user", content: "Rome?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "30C" }] },
      ];
      const second = await ask({ ...base, messages: history }, !callStreamed);
      expect(emu.lastJson().contents[1].parts).toMatchObject([{ functionCall: { name: "get_weather", args: { city: "Rome" } }, thoughtSignature: "sig-call" }]);
      expect(second.content).toMatchObject([
        { type: "thinking", thinking: "Weighing it.", signature: "" },
        { type: "text", text: "Warm in Rome." },
        { type: "thinking", thinking: "", signature: "agw1.ga.sig-text" },
      ]);

      await ask({ ...base, messages: [...history, { role: "assistant", content: second.content }, { role: "user", content: "Thanks" }] }, false);
      const contents = emu.lastJson().contents;
      expect(contents[1].parts[0].thoughtSignature).toBe("sig-call");
      expect(contents[3]).toEqual({ role: "model", parts: [{ text: "Warm in Rome.", thoughtSignature: "sig-text" }] });
    });
  }
});

describe("Anthropic client on Anthropic: passthrough", () => {
  let emu: AnthropicEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startAnthropicEmulator();
    gw = await gatewayFor("anthropic", emu, { settings: { model: "claude-pinned" }, auth: { key: "sk-ant-gateway" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("the body goes as sent (model pinned), beta headers kept, the client's key replaced", async () => {
    emu.enqueue(
      turn([
        { type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", model: "claude-pinned", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 3, output_tokens: 1 } } },
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 1 } },
        { type: "message_stop" },
      ]),
    );
    const body: Anthropic.Beta.MessageCreateParams = { model: "claude-x", max_tokens: 10, context_management: { edits: [] }, messages: [{ role: "user", content: "hi" }] };
    const msg = await client(gw).beta.messages.stream(body, { headers: { "anthropic-beta": "context-management-2025-06-27" } }).finalMessage();
    expect(msg.content).toMatchObject([{ type: "text", text: "Hi" }]);
    const req = emu.requests[0]!;
    expect(req.headers.get("x-api-key")).toBe("sk-ant-gateway");
    expect(req.headers.get("anthropic-beta")).toBe("context-management-2025-06-27");
    expect(req.json).toEqual({ ...body, model: "claude-pinned", stream: true });
    const log = await eventually(() => accessLogs(gw).find((l) => l["http.path"] === "/v1/messages" && l["gen_ai.usage.output_tokens"] !== undefined));
    expect(log).toMatchObject({ "gen_ai.usage.input_tokens": 3, "gen_ai.usage.output_tokens": 1, "gen_ai.response.model": "claude-pinned" });
  });
});

describe("Anthropic client on Claude on Vertex: through the hub, signed thinking kept", () => {
  let emu: AnthropicEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startAnthropicEmulator();
    gw = await gatewayFor("vertex", emu, { settings: { projectId: "p1", region: "us-east5", model: "claude-sonnet-4-20250514" }, auth: { key: "ya29.token" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("rawPredict with the Vertex body; thinking blocks, cache_control, server tools and beta flags replayed", async () => {
    emu.acceptSignatures("s1"); // Claude's, from an earlier answer
    emu.enqueue(
      turn([
        { type: "message_start", message: { id: "msg_v1", type: "message", role: "assistant", model: "claude-sonnet-4", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1 } } },
        { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
        { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Done" } },
        { type: "content_block_stop", index: 0 },
        { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 1 } },
        { type: "message_stop" },
      ]),
    );
    const msg = await client(gw).messages.create({
      model: "claude-x",
      max_tokens: 5000,
      thinking: { type: "enabled", budget_tokens: 1024 },
      tools: [{ type: "web_search_20250305", name: "web_search" }],
      messages: [
        { role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] },
        { role: "assistant", content: [{ type: "thinking", thinking: "t", signature: "s1" }, { type: "text", text: "ok" }] },
        { role: "user", content: "go on" },
      ],
    }, { headers: { "anthropic-beta": "context-1m-2025-08-07,interleaved-thinking-2025-05-14" } });
    expect(msg.content).toMatchObject([{ type: "text", text: "Done" }]);
    const req = emu.requests[0]!;
    // Vertex takes Claude's beta flags in the header, as Anthropic does; the version is in the body
    expect(req.headers.get("anthropic-beta")).toBe("context-1m-2025-08-07,interleaved-thinking-2025-05-14");
    expect(req.headers.get("anthropic-version")).toBeNull();
    expect(req.path).toBe("/v1/projects/p1/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict");
    expect(req.json.anthropic_version).toBe("vertex-2023-10-16");
    expect(req.json.thinking).toEqual({ type: "enabled", budget_tokens: 1024 });
    expect(req.json.tools).toEqual([{ type: "web_search_20250305", name: "web_search" }]);
    expect(req.json.messages[0].content).toEqual([{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }]);
    expect(req.json.messages[1].content[0]).toEqual({ type: "thinking", thinking: "t", signature: "s1" });
  });
});
