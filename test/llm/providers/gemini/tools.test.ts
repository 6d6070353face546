/**
 * Gemini function calling through the OpenAI SDK: declarations and tool_choice going up, calls
 * coming back as `tool_calls` (ids made up, arguments as JSON strings, finish `tool_calls`), tool
 * results going back as functionResponse parts, thought signatures replayed across turns.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { functionCallEvents, GEMINI_TEST_KEY, startGeminiEmulator, textEvents, type GeminiEmulator } from "../../../emulators/gemini.ts";
import { gatewayFor, openaiClient, type TestGateway } from "../../../helpers/gateway.ts";

let emu: GeminiEmulator;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  emu = startGeminiEmulator();
  gw = await gatewayFor("gemini", emu, { auth: { key: GEMINI_TEST_KEY } });
  client = openaiClient(gw.baseURL());
});

afterAll(async () => {
  await gw?.stop();
  emu?.stop();
});

const last = () => emu.requests.at(-1)!;

const weatherTool: OpenAI.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: {
        city: { type: "string", description: "City name" },
        unit: { type: "string", enum: ["celsius", "fahrenheit"] },
      },
      required: ["city"],
      additionalProperties: false,
    },
  },
};
const timeTool: OpenAI.ChatCompletionTool = {
  type: "function",
  function: { name: "get_time", description: "Current time", parameters: { type: "object", properties: {} } },
};

/** Collects a streamed answer the way agent loops do: tool calls accumulated by index. */
async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const calls: { id?: string; name: string; arguments: string; extra?: unknown }[] = [];
  let content = "";
  let finish: string | null = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (!choice) continue;
    content += choice.delta.content ?? "";
    for (const tc of choice.delta.tool_calls ?? []) {
      const c = (calls[tc.index] ??= { name: "", arguments: "" });
      if (tc.id) c.id = tc.id;
      c.name += tc.function?.name ?? "";
      c.arguments += tc.function?.arguments ?? "";
      const extra = (tc as { extra_content?: unknown }).extra_content;
      if (extra) c.extra = extra;
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return { calls, content, finish };
}

describe("gemini tools: declarations and tool_choice", () => {
  test("tools become functionDeclarations with the schema reduced to what Gemini accepts", async () => {
    emu.script(() => ({ events: textEvents(["ok"]) }));
    await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [
        weatherTool,
        timeTool,
        {
          type: "function",
          function: {
            name: "book",
            parameters: {
              $schema: "http://json-schema.org/draft-07/schema#",
              type: "object",
              $defs: { Place: { type: "object", properties: { name: { type: "string", format: "hostname" } }, required: ["name"] } },
              properties: {
                from: { $ref: "#/$defs/Place" },
                to: { anyOf: [{ $ref: "#/$defs/Place" }, { type: "null" }] },
                seats: { type: "integer", minimum: 1, const: 2 },
                kind: { const: "train" },
                tags: { type: "array" },
                note: { oneOf: [{ type: "string" }, { type: "number" }] },
              },
              required: ["from", "missing"],
            },
          },
        },
      ],
    });
    const tools = last().json.tools;
    expect(tools).toHaveLength(1);
    const [weather, time, book] = tools[0].functionDeclarations;
    expect(weather).toEqual({
      name: "get_weather",
      description: "Current weather for a city",
      parameters: {
        type: "object",
        properties: { city: { type: "string", description: "City name" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } },
        required: ["city"],
      },
    });
    // a function without parameters declares none (Gemini rejects an object with no properties)
    expect(time).toEqual({ name: "get_time", description: "Current time" });
    expect(book.parameters).toEqual({
      type: "object",
      properties: {
        from: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
        to: { type: "object", properties: { name: { type: "string" } }, required: ["name"], nullable: true },
        seats: { type: "integer", minimum: 1 },
        kind: { type: "string", enum: ["train"] },
        tags: { type: "array", items: { type: "object" } },
        note: { anyOf: [{ type: "string" }, { type: "number" }] },
      },
      required: ["from"],
    });
  });

  test("tool_choice maps to functionCallingConfig", async () => {
    emu.script(() => ({ events: textEvents(["ok"]) }));
    const cases: [OpenAI.ChatCompletionToolChoiceOption, unknown][] = [
      ["auto", { mode: "AUTO" }],
      ["none", { mode: "NONE" }],
      ["required", { mode: "ANY" }],
      [{ type: "function", function: { name: "get_time" } }, { mode: "ANY", allowedFunctionNames: ["get_time"] }],
    ];
    for (const [choice, expected] of cases) {
      await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }], tools: [weatherTool, timeTool], tool_choice: choice });
      expect(last().json.toolConfig).toEqual({ functionCallingConfig: expected });
    }
  });
});

describe("gemini tools: calls back to the client", () => {
  test("non-streaming: a single call becomes tool_calls with a generated id and JSON arguments; finish tool_calls", async () => {
    emu.script(() => ({ events: functionCallEvents([{ name: "get_weather", args: { city: "Paris", unit: "celsius" } }]) }));
    const res = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Weather in Paris?" }], tools: [weatherTool] });
    const choice = res.choices[0]!;
    // Gemini says STOP when it calls a function; agent loops need tool_calls
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.content).toBeNull();
    expect(choice.message.tool_calls).toHaveLength(1);
    const call = choice.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.type).toBe("function");
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "Paris", unit: "celsius" });
  });

  test("streaming: parallel calls with distinct indexes and ids, whole arguments, finish tool_calls", async () => {
    emu.script(() => ({
      events: functionCallEvents([
        { name: "get_weather", args: { city: "Paris" } },
        { name: "get_weather", args: { city: "Tokyo" } },
        { name: "get_time" },
      ]),
    }));
    const stream = await client.chat.completions.create({
      model: "gemini-2.5-flash",
      messages: [{ role: "user", content: "Weather in Paris and Tokyo, and the time?" }],
      tools: [weatherTool, timeTool],
      stream: true,
    });
    const { calls, finish, content } = await collect(stream);
    expect(finish).toBe("tool_calls");
    expect(content).toBe("");
    expect(calls.map((c) => c.name)).toEqual(["get_weather", "get_weather", "get_time"]);
    expect(calls.map((c) => JSON.parse(c.arguments))).toEqual([{ city: "Paris" }, { city: "Tokyo" }, {}]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(3);
  });

  test("a function call with no arguments has arguments '{}'", async () => {
    emu.script(() => ({ events: functionCallEvents([{ name: "get_time" }]) }));
    const res = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Time?" }], tools: [timeTool] });
    const call = res.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function.arguments).toBe("{}");
  });

  test("text before a call is kept as content", async () => {
    emu.script(() => ({ events: functionCallEvents([{ name: "get_time" }], { leadText: "Let me check." }) }));
    const stream = await client.chat.completions.create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "Time?" }], tools: [timeTool], stream: true });
    const { calls, content, finish } = await collect(stream);
    expect(content).toBe("Let me check.");
    expect(calls).toHaveLength(1);
    expect(finish).toBe("tool_calls");
  });
});

describe("gemini tools: a multi-turn conversation", () => {
  test("tool results go back as functionResponse parts named after the call; parallel results in one turn", async () => {
    // turn 1: the model asks for two calls
    emu.script(() => ({ events: functionCallEvents([{ name: "get_weather", args: { city: "Paris" } }, { name: "get_time" }]) }));
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Paris and the time?" }];
    const first = await client.chat.completions.create({ model: "gemini-2.5-flash", messages, tools: [weatherTool, timeTool] });
    const assistant = first.choices[0]!.message;
    messages.push(assistant);
    const [weatherCall, timeCall] = assistant.tool_calls! as OpenAI.ChatCompletionMessageFunctionToolCall[];
    messages.push({ role: "tool", tool_call_id: weatherCall!.id, content: '{"temp_c": 18, "sky": "cloudy"}' });
    messages.push({ role: "tool", tool_call_id: timeCall!.id, content: "14:05" });

    // turn 2: the model answers from the results
    emu.script(() => ({ events: textEvents(["It is 18°C and cloudy in Paris; the time is 14:05."]) }));
    const second = await client.chat.completions.create({ model: "gemini-2.5-flash", messages, tools: [weatherTool, timeTool] });
    expect(second.choices[0]!.message.content).toBe("It is 18°C and cloudy in Paris; the time is 14:05.");
    expect(second.choices[0]!.finish_reason).toBe("stop");

    expect(last().json.contents).toEqual([
      { role: "user", parts: [{ text: "Weather in Paris and the time?" }] },
      {
        role: "model",
        parts: [
          { functionCall: { name: "get_weather", args: { city: "Paris" }, id: weatherCall!.id } },
          { functionCall: { name: "get_time", args: {}, id: timeCall!.id } },
        ],
      },
      {
        role: "user",
        parts: [
          { functionResponse: { name: "get_weather", response: { temp_c: 18, sky: "cloudy" }, id: weatherCall!.id } },
          { functionResponse: { name: "get_time", response: { output: "14:05" }, id: timeCall!.id } },
        ],
      },
    ]);
  });

  test("Gemini 3: thought signatures ride on tool_calls and are replayed (the upstream rejects a turn without them)", async () => {
    const model = "gemini-3-pro-preview";
    emu.script(() => ({ events: functionCallEvents([{ name: "get_weather", args: { city: "Oslo" }, thoughtSignature: "c2lnLW9uZQ==" }, { name: "get_time" }], { thoughts: 120 }) }));
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Weather in Oslo and time?" }];

    // turn 1, streamed: the signature arrives on the first call's delta
    const stream = await client.chat.completions.create({ model, messages, tools: [weatherTool, timeTool], stream: true });
    const turn1 = await collect(stream);
    expect(turn1.calls[0]!.extra).toEqual({ google: { thought_signature: "c2lnLW9uZQ==" } });
    expect(turn1.calls[1]!.extra).toBeUndefined();

    // the agent loop sends the calls back as it received them
    messages.push({
      role: "assistant",
      content: null,
      tool_calls: turn1.calls.map((c) => ({ id: c.id!, type: "function" as const, function: { name: c.name, arguments: c.arguments }, ...(c.extra ? { extra_content: c.extra } : {}) })),
    } as OpenAI.ChatCompletionAssistantMessageParam);
    messages.push({ role: "tool", tool_call_id: turn1.calls[0]!.id!, content: '{"temp_c": 3}' });
    messages.push({ role: "tool", tool_call_id: turn1.calls[1]!.id!, content: "09:30" });

    // turn 2: another call (signed), then turn 3: the answer
    emu.script(() => ({ events: functionCallEvents([{ name: "get_weather", args: { city: "Bergen" }, thoughtSignature: "c2lnLXR3bw==" }]) }));
    const turn2 = await client.chat.completions.create({ model, messages, tools: [weatherTool, timeTool] });
    expect(turn2.choices[0]!.finish_reason).toBe("tool_calls");
    const call2 = turn2.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall & { extra_content?: unknown };
    expect(call2.extra_content).toEqual({ google: { thought_signature: "c2lnLXR3bw==" } });
    messages.push(turn2.choices[0]!.message);
    messages.push({ role: "tool", tool_call_id: call2.id, content: '{"temp_c": 6}' });

    emu.script(() => ({ events: textEvents(["Oslo 3°C, Bergen 6°C; it is 09:30."]) }));
    const turn3 = await client.chat.completions.create({ model, messages, tools: [weatherTool, timeTool] });
    expect(turn3.choices[0]!.message.content).toBe("Oslo 3°C, Bergen 6°C; it is 09:30.");

    const modelTurns = last().json.contents.filter((c: { role: string }) => c.role === "model");
    expect(modelTurns.map((t: { parts: { thoughtSignature?: string }[] }) => t.parts.map((p) => p.thoughtSignature))).toEqual([
      ["c2lnLW9uZQ==", undefined],
      ["c2lnLXR3bw=="],
    ]);
  });

  test("Gemini 3 with a history from elsewhere (no signatures): Google's skip marker is sent instead of failing", async () => {
    emu.script(() => ({ events: textEvents(["Done."]) }));
    const res = await client.chat.completions.create({
      model: "gemini-3-flash-preview",
      messages: [
        { role: "user", content: "Time?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_from_gpt", type: "function", function: { name: "get_time", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "call_from_gpt", content: "10:00" },
      ],
      tools: [timeTool],
    });
    expect(res.choices[0]!.message.content).toBe("Done.");
    expect(last().json.contents[1].parts[0].thoughtSignature).toBe("skip_thought_signature_validator");
  });

  test("a tool result whose tool_call_id matches no earlier call is a 400 naming the message", async () => {
    const err = await client.chat.completions
      .create({ model: "gemini-2.5-flash", messages: [{ role: "user", content: "x" }, { role: "tool", tool_call_id: "call_nowhere", content: "1" }] })
      .catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe("messages[1].tool_call_id");
    expect(err.error.message).toContain("call_nowhere");
  });

  test("tool call arguments that are not JSON are a 400, not a Gemini error", async () => {
    const err = await client.chat.completions
      .create({
        model: "gemini-2.5-flash",
        messages: [
          { role: "user", content: "x" },
          { role: "assistant", tool_calls: [{ id: "c1", type: "function", function: { name: "get_time", arguments: "{not json" } }] },
          { role: "tool", tool_call_id: "c1", content: "1" },
        ],
      })
      .catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe("messages[1].tool_calls[0].function.arguments");
  });
});
