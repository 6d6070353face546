/**
 * The official OpenAI SDK's `responses.create` (streaming and not) on every provider kind:
 * OpenAI (passthrough), Anthropic, Bedrock and Gemini (through the hub), multi-turn with function
 * calls and reasoning items that carry signed thinking to the next turn.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { functionCallEvents, GEMINI_TEST_KEY, startGeminiEmulator, textEvents, thinkingEvents, type GeminiEmulator } from "../../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { accessLogs, eventually, gatewayFor, openaiClient, type ProviderGateway } from "../../helpers/gateway.ts";
import { PINNED as BEDROCK } from "../providers/bedrock/scripts.ts";
import { bedrockText, bedrockThinkingTool, openaiTextStream, SIGNATURE } from "./scripts.ts";

const TOOLS: OpenAI.Responses.Tool[] = [
  { type: "function", name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: false },
];

async function collect(stream: AsyncIterable<OpenAI.Responses.ResponseStreamEvent>): Promise<{ types: string[]; final: OpenAI.Responses.Response | undefined }> {
  const types: string[] = [];
  let final: OpenAI.Responses.Response | undefined;
  for await (const e of stream) {
    types.push(e.type);
    if (e.type === "response.completed" || e.type === "response.incomplete") final = e.response;
  }
  return { types, final };
}

describe("Responses client on Bedrock: reasoning items and function calls over two turns", () => {
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

  test("streamed: the SDK's stream helper accumulates every item; the next turn replays the signed thinking", async () => {
    emu.enqueue({ events: bedrockThinkingTool("get_weather", '{"city":"Oslo"}') }, { events: bedrockText(["Cold ", "in Oslo."]) });
    const stream = gw.client.responses.stream({ model: "m", input: "Weather in Oslo?", instructions: "Be terse.", tools: TOOLS, reasoning: { effort: "high" } });
    const types: string[] = [];
    stream.on("event", (e) => types.push(e.type));
    const first = await stream.finalResponse();
    expect(types.slice(0, 2)).toEqual(["response.created", "response.in_progress"]);
    expect(types.at(-1)).toBe("response.completed");
    expect(types).toContain("response.reasoning_summary_text.delta");
    expect(types).toContain("response.function_call_arguments.delta");
    const [reasoning, call] = first.output as [OpenAI.Responses.ResponseReasoningItem, OpenAI.Responses.ResponseFunctionToolCall];
    expect(reasoning).toMatchObject({ type: "reasoning", summary: [{ type: "summary_text", text: "The user wants the weather; I should call the tool." }], encrypted_content: `agw1.t.${SIGNATURE}` });
    expect(call).toMatchObject({ type: "function_call", call_id: "tooluse_fmt01", name: "get_weather", arguments: '{"city":"Oslo"}', status: "completed" });
    expect(first.usage).toMatchObject({ input_tokens: 140, input_tokens_details: { cached_tokens: 20 }, output_tokens: 40 });
    const req1 = emu.requests[0]!.json;
    expect(req1.system).toEqual([{ text: "Be terse." }]);
    expect(req1.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 4096 } });

    const second = await gw.client.responses.create({
      model: "m",
      tools: TOOLS,
      reasoning: { effort: "high" },
      input: [{ role: "user", content: "Weather in Oslo?" }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: "function_call_output", call_id: call.call_id, output: "-3C" }],
    });
    expect(second.output_text).toBe("Cold in Oslo.");
    const req2 = emu.requests[1]!.json;
    expect(req2.messages[1].content).toEqual([
      { reasoningContent: { reasoningText: { text: "The user wants the weather; I should call the tool.", signature: SIGNATURE } } },
      { toolUse: { toolUseId: "tooluse_fmt01", name: "get_weather", input: { city: "Oslo" } } },
    ]);
    expect(req2.messages[2].content).toEqual([{ toolResult: { toolUseId: "tooluse_fmt01", content: [{ text: "-3C" }] } }]);
  });

  test("previous_response_id cannot be honoured without stored responses: a 400", async () => {
    const err = (await gw.client.responses.create({ model: "m", input: "hi", previous_response_id: "resp_1" }).catch((e) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe("previous_response_id");
  });
});

describe("Responses client on Anthropic", () => {
  let emu: AnthropicEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startAnthropicEmulator();
    gw = await gatewayFor("anthropic", emu, { settings: { model: "claude-x" }, auth: { key: "sk-ant-gw" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  const toolTurn = turn([
    { type: "message_start", message: { id: "msg_r1", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 50, output_tokens: 1 } } },
    { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "toolu_r1", name: "apply_patch", input: {} } },
    { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: '{"input":"*** Begin' } },
    { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: ' Patch"}' } },
    { type: "content_block_stop", index: 0 },
    { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 20 } },
    { type: "message_stop" },
  ]);

  test("a custom (free-form) tool is offered as a function and its call comes back as custom_tool_call", async () => {
    emu.enqueue(toolTurn);
    const { types, final } = await collect(
      await gw.client.responses.create({ model: "m", input: "patch it", stream: true, tools: [{ type: "custom", name: "apply_patch", description: "Apply a patch" }] }),
    );
    expect(types).toContain("response.custom_tool_call_input.done");
    expect(final!.output[0]).toMatchObject({ type: "custom_tool_call", call_id: "toolu_r1", name: "apply_patch", input: "*** Begin Patch" });
    const sent = emu.lastJson();
    expect(sent.tools[0]).toMatchObject({ name: "apply_patch", input_schema: { type: "object", properties: { input: { type: "string" } } } });

    emu.enqueue(turn([
      { type: "message_start", message: { id: "msg_r2", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 60, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Patched." } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 3 } },
      { type: "message_stop" },
    ]));
    const second = await gw.client.responses.create({
      model: "m",
      tools: [{ type: "custom", name: "apply_patch" }],
      input: [{ role: "user", content: "patch it" }, final!.output[0] as OpenAI.Responses.ResponseInputItem, { type: "custom_tool_call_output", call_id: "toolu_r1", output: "Done!" }],
    });
    expect(second.output_text).toBe("Patched.");
    expect(emu.lastJson().messages.slice(1)).toEqual([
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_r1", name: "apply_patch", input: { input: "*** Begin Patch" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r1", content: "Done!" }] },
    ]);
  });

  test("max_output_tokens reached: response.incomplete with its reason", async () => {
    emu.enqueue(turn([
      { type: "message_start", message: { id: "msg_r3", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Once upon" } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "max_tokens", stop_sequence: null }, usage: { output_tokens: 2 } },
      { type: "message_stop" },
    ]));
    const { final } = await collect(await gw.client.responses.create({ model: "m", input: "story", max_output_tokens: 2, stream: true }));
    expect(final).toMatchObject({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } });
    expect(emu.lastJson().max_tokens).toBe(2);
  });

  test("an overloaded error mid-stream is raised by the SDK", async () => {
    emu.enqueue(turn([
      { type: "message_start", message: { id: "msg_r4", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
      { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
    ]));
    const err = await collect(await gw.client.responses.create({ model: "m", input: "hi", stream: true })).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(String(err.message)).toContain("Overloaded");
  });
});

describe("Responses client on Gemini", () => {
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

  test("non-streamed function call, then the answer", async () => {
    emu.enqueue({ events: functionCallEvents([{ name: "get_weather", args: { city: "Rome" } }]) }, { events: textEvents(["Warm."]) });
    const first = await gw.client.responses.create({ model: "m", input: "Rome?", tools: TOOLS, reasoning: { effort: "low" } });
    // the effort reaches Gemini in its own shape (a thinking budget), not as reasoning_effort
    expect(emu.lastJson().generationConfig.thinkingConfig).toBeDefined();
    expect(emu.lastJson()).not.toHaveProperty("reasoning_effort");
    const call = first.output.find((o) => o.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ name: "get_weather", arguments: '{"city":"Rome"}' });
    const second = await gw.client.responses.create({ model: "m", tools: TOOLS, input: [{ role: "user", content: "Rome?" }, call, { type: "function_call_output", call_id: call.call_id, output: "30C" }] });
    expect(second.output_text).toBe("Warm.");
    expect(emu.lastJson().contents[2].parts[0].functionResponse).toMatchObject({ name: "get_weather" });
  });
});

describe("Responses client on Gemini 3: thought signatures round trip in reasoning items", () => {
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
      const ask = (params: Omit<OpenAI.Responses.ResponseCreateParamsNonStreaming, "stream">, streamed: boolean) =>
        streamed ? gw.client.responses.stream(params).finalResponse() : gw.client.responses.create({ ...params, stream: false });
      emu.enqueue(
        { events: functionCallEvents([{ name: "get_weather", args: { city: "Rome" }, thoughtSignature: "sig-call" }]) },
        { events: thinkingEvents(["Weighing it."], ["Warm ", "in Rome."], "sig-text") },
        { events: textEvents(["Bye."]) },
      );
      const first = await ask({ model: "m", tools: TOOLS, input: "Rome?" }, callStreamed);
      // the signature rides in a reasoning item just before the call it signs
      expect(first.output).toMatchObject([
        { type: "reasoning", summary: [], encrypted_content: "agw1.gc.sig-call" },
        { type: "function_call", name: "get_weather", arguments: '{"city":"Rome"}' },
      ]);
      const call = first.output[1] as OpenAI.Responses.ResponseFunctionToolCall;
      const input: OpenAI.Responses.ResponseInputItem[] = [{ role: "user", content: "Rome?" }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: "function_call_output", call_id: call.call_id, output: "30C" }];
      const second = await ask({ model: "m", tools: TOOLS, input }, !callStreamed);
      expect(emu.lastJson().contents[1].parts).toMatchObject([{ functionCall: { name: "get_weather", args: { city: "Rome" } }, thoughtSignature: "sig-call" }]);
      expect(second.output).toMatchObject([
        { type: "reasoning", summary: [{ type: "summary_text", text: "Weighing it." }] },
        { type: "message", content: [{ type: "output_text", text: "Warm in Rome." }] },
        { type: "reasoning", summary: [], encrypted_content: "agw1.ga.sig-text" },
      ]);

      await ask({ model: "m", tools: TOOLS, input: [...input, ...(second.output as OpenAI.Responses.ResponseInputItem[]), { role: "user", content: "Thanks" }] }, false);
      const contents = emu.lastJson().contents;
      expect(contents[1].parts[0].thoughtSignature).toBe("sig-call");
      expect(contents[3]).toEqual({ role: "model", parts: [{ text: "Warm in Rome.", thoughtSignature: "sig-text" }] });
    });
  }
});

describe("Responses client on an OpenAI-compatible chat-only backend (vLLM)", () => {
  let emu: OpenAIEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await gatewayFor("custom", emu, { name: "vllm", settings: { providerOverride: "vllm", formats: [{ type: "completions" }] }, auth: { key: "sk-gw" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("reasoning.effort is not sent as reasoning_effort: a chat backend may not reason or know the field", async () => {
    emu.enqueue(openaiTextStream(["fine"]));
    const { final } = await collect(await gw.client.responses.create({ model: "m", input: "hi", reasoning: { effort: "high" }, stream: true }));
    expect(final!.output[0]).toMatchObject({ type: "message", content: [{ type: "output_text", text: "fine" }] });
    const sent = emu.lastJson();
    expect(sent.messages).toEqual([{ role: "user", content: "hi" }]);
    expect(sent).not.toHaveProperty("reasoning_effort");
  });
});

describe("Responses client on OpenAI: passthrough", () => {
  let emu: OpenAIEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await gatewayFor("openAI", emu, { settings: { model: "gpt-5" }, auth: { key: "sk-gw" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("the body reaches /v1/responses as sent, model pinned", async () => {
    emu.enqueue(Response.json({ id: "resp_up", object: "response", created_at: 1, status: "completed", model: "gpt-5", usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7, input_tokens_details: { cached_tokens: 1 }, output_tokens_details: { reasoning_tokens: 0 } }, output: [{ id: "msg_1", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: "hello", annotations: [] }] }] }));
    const r = await openaiClient(gw.baseURL(), "sk-client").responses.create({ model: "x", input: "hi", store: false, include: ["reasoning.encrypted_content"] });
    expect(r.output_text).toBe("hello");
    const req = emu.requests[0]!;
    expect(req.path).toBe("/v1/responses");
    expect(req.json).toEqual({ model: "gpt-5", input: "hi", store: false, include: ["reasoning.encrypted_content"] });
    expect(req.headers.get("authorization")).toBe("Bearer sk-gw");
    const log = await eventually(() => accessLogs(gw).find((l) => l["http.path"] === "/v1/responses" && l["gen_ai.usage.input_tokens"] !== undefined));
    expect(log).toMatchObject({ "gen_ai.usage.input_tokens": 5, "gen_ai.usage.output_tokens": 2, "gen_ai.usage.cache_read.input_tokens": 1 });
  });
});
