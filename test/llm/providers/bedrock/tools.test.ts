/**
 * Tool use through Bedrock: parallel calls with OpenAI's tool indices, a three-turn tool
 * conversation (the history must reach Converse as toolUse / toolResult blocks in alternating
 * turns), tool names Bedrock would reject, tool_choice.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { ev, startBedrockEmulator, type BedrockEmulator } from "../../../emulators/bedrock.ts";
import { providerSuite } from "../../../helpers/gateway.ts";
import { collect } from "./collect.ts";
import * as scripts from "./scripts.ts";

const t = providerSuite("bedrock", startBedrockEmulator, scripts.PINNED);

const weather: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("parallel tool calls", () => {
  test("streaming: tool indices 0 and 1 (not Bedrock's block indices 1 and 2), ids, names, whole arguments", async () => {
    t.emu.script(() => ({ events: scripts.parallelTools }));
    const stream = await t.gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Weather in Paris and Tokyo?" }], tools: [weather], stream: true });
    const out = await collect(stream);
    expect(out.content).toBe("I'll check both cities.");
    expect(out.toolCalls).toEqual([
      { index: 0, id: "tooluse_paris01", name: "get_weather", arguments: '{"city":"Paris"}' },
      { index: 1, id: "tooluse_tokyo02", name: "get_weather", arguments: '{"city":"Tokyo"}' },
    ]);
    expect(out.finish).toBe("tool_calls");
    // the first delta of each call carries index, id, type, name and empty arguments
    const starts = out.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).filter((tc) => tc.id);
    expect(starts.map((s) => [s.index, s.type, s.function?.arguments])).toEqual([
      [0, "function", ""],
      [1, "function", ""],
    ]);
  });

  test("the SDK's stream helper assembles the same calls", async () => {
    t.emu.script(() => ({ events: scripts.parallelTools }));
    const runner = t.gw.client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "Weather in Paris and Tokyo?" }], tools: [weather] });
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.tool_calls?.map((c) => (c.type === "function" ? [c.id, c.function.name, JSON.parse(c.function.arguments)] : []))).toEqual([
      ["tooluse_paris01", "get_weather", { city: "Paris" }],
      ["tooluse_tokyo02", "get_weather", { city: "Tokyo" }],
    ]);
  });

  test("non-streaming: tool_calls with arguments as JSON strings", async () => {
    t.emu.script(() => ({ events: scripts.parallelTools }));
    const res = await t.gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Weather in Paris and Tokyo?" }], tools: [weather] });
    const msg = res.choices[0]!.message;
    expect(msg.content).toBe("I'll check both cities.");
    expect(msg.tool_calls).toEqual([
      { id: "tooluse_paris01", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
      { id: "tooluse_tokyo02", type: "function", function: { name: "get_weather", arguments: '{"city":"Tokyo"}' } },
    ]);
    expect(res.choices[0]!.finish_reason).toBe("tool_calls");
    expect(t.emu.lastJson().toolConfig).toEqual({
      tools: [{ toolSpec: { name: "get_weather", description: "Current weather for a city", inputSchema: { json: weather.function.parameters } } }],
    });
  });

  test("a tool without input (no input deltas) still gets valid JSON arguments", async () => {
    t.emu.script(() => ({ events: scripts.toolCall("tooluse_now", "get_time", "") }));
    const out = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "time?" }], tools: [{ type: "function", function: { name: "get_time" } }], stream: true }));
    expect(out.toolCalls).toEqual([{ index: 0, id: "tooluse_now", name: "get_time", arguments: "{}" }]);
  });
});

describe("a three-turn tool conversation", () => {
  test("each turn's history reaches Bedrock as toolUse/toolResult blocks, results merged into one user turn", async () => {
    const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: "system", content: "You are a travel assistant." },
      { role: "user", content: "Compare the weather in Paris and Tokyo, then suggest where to go." },
    ];
    // turn 1: two parallel calls
    t.emu.script(() => ({ events: scripts.parallelTools }));
    const first = await collect(await t.gw.client.chat.completions.create({ model: "m", messages, tools: [weather], stream: true }));
    messages.push({
      role: "assistant",
      content: first.content,
      tool_calls: first.toolCalls.map((c) => ({ id: c.id!, type: "function" as const, function: { name: c.name!, arguments: c.arguments } })),
    });
    messages.push({ role: "tool", tool_call_id: "tooluse_paris01", content: '{"temp_c":18,"sky":"cloudy"}' });
    messages.push({ role: "tool", tool_call_id: "tooluse_tokyo02", content: '{"temp_c":24,"sky":"sunny"}' });

    // turn 2: one more call, non-streaming this time
    t.emu.script(() => ({ events: scripts.toolCall("tooluse_flight03", "find_flights", '{"to":"Tokyo"}') }));
    const flights: OpenAI.Chat.Completions.ChatCompletionTool = { type: "function", function: { name: "find_flights", parameters: { type: "object", properties: { to: { type: "string" } } } } };
    const second = await t.gw.client.chat.completions.create({ model: "m", messages, tools: [weather, flights] });
    const body2 = t.emu.lastJson();
    expect(body2.system).toEqual([{ text: "You are a travel assistant." }]);
    expect(body2.messages).toEqual([
      { role: "user", content: [{ text: "Compare the weather in Paris and Tokyo, then suggest where to go." }] },
      {
        role: "assistant",
        content: [
          { text: "I'll check both cities." },
          { toolUse: { toolUseId: "tooluse_paris01", name: "get_weather", input: { city: "Paris" } } },
          { toolUse: { toolUseId: "tooluse_tokyo02", name: "get_weather", input: { city: "Tokyo" } } },
        ],
      },
      {
        role: "user",
        content: [
          { toolResult: { toolUseId: "tooluse_paris01", content: [{ text: '{"temp_c":18,"sky":"cloudy"}' }] } },
          { toolResult: { toolUseId: "tooluse_tokyo02", content: [{ text: '{"temp_c":24,"sky":"sunny"}' }] } },
        ],
      },
    ]);
    const call = second.choices[0]!.message.tool_calls![0]!;
    expect(call.type === "function" && call.function).toEqual({ name: "find_flights", arguments: '{"to":"Tokyo"}' });
    messages.push(second.choices[0]!.message as OpenAI.Chat.Completions.ChatCompletionMessageParam);
    messages.push({ role: "tool", tool_call_id: "tooluse_flight03", content: "NH216 departs 10:25" });

    // turn 3: the final answer (the client stops sending tools; the history still needs a toolConfig)
    t.emu.script(() => ({ events: scripts.text }));
    const third = await t.gw.client.chat.completions.create({ model: "m", messages });
    expect(third.choices[0]!.finish_reason).toBe("stop");
    const body3 = t.emu.lastJson();
    expect(body3.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant", "user", "assistant", "user"]);
    expect(body3.messages[3]).toEqual({ role: "assistant", content: [{ toolUse: { toolUseId: "tooluse_flight03", name: "find_flights", input: { to: "Tokyo" } } }] });
    expect(body3.messages[4]).toEqual({ role: "user", content: [{ toolResult: { toolUseId: "tooluse_flight03", content: [{ text: "NH216 departs 10:25" }] } }] });
    expect(body3.toolConfig.tools.map((x: { toolSpec: { name: string } }) => x.toolSpec.name).sort()).toEqual(["find_flights", "get_weather"]);
  });
});

describe("tool names and tool_choice", () => {
  test("names Bedrock rejects are sanitised in the request and restored in answers and streams", async () => {
    const tools: OpenAI.Chat.Completions.ChatCompletionFunctionTool[] = [
      { type: "function", function: { name: "mcp.github:create_issue", parameters: { type: "object", properties: {} } } },
      { type: "function", function: { name: `very_long_${"x".repeat(70)}`, parameters: { type: "object", properties: {} } } },
      { type: "function", function: { name: "plain_name", parameters: { type: "object", properties: {} } } },
    ];
    t.emu.script((req) => {
      const names: string[] = req.json.toolConfig.tools.map((x: { toolSpec: { name: string } }) => x.toolSpec.name);
      return { events: [ev.start(), ev.toolStart(0, "tooluse_a", names[0]!), ev.toolInput(0, "{}"), ev.blockStop(0), ev.toolStart(1, "tooluse_b", names[1]!), ev.blockStop(1), ev.stop("tool_use"), ev.metadata({ inputTokens: 1, outputTokens: 1 })] };
    });
    const history: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
      { role: "user", content: "file an issue" },
      { role: "assistant", content: null, tool_calls: [{ id: "tooluse_0", type: "function", function: { name: "mcp.github:create_issue", arguments: '{"title":"x"}' } }] },
      { role: "tool", tool_call_id: "tooluse_0", content: "created #1" },
    ];
    const res = await t.gw.client.chat.completions.create({ model: "m", messages: history, tools, tool_choice: { type: "function", function: { name: "mcp.github:create_issue" } } });
    const body = t.emu.lastJson();
    const sent: string[] = body.toolConfig.tools.map((x: { toolSpec: { name: string } }) => x.toolSpec.name);
    for (const name of sent) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(sent[2]).toBe("plain_name");
    expect(body.toolConfig.toolChoice).toEqual({ tool: { name: sent[0] } });
    expect(body.messages[1].content[0].toolUse.name).toBe(sent[0]);
    expect(res.choices[0]!.message.tool_calls!.map((c) => c.type === "function" && c.function.name)).toEqual(["mcp.github:create_issue", tools[1]!.function.name]);

    const out = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: history, tools, stream: true }));
    expect(out.toolCalls.map((c) => c.name)).toEqual(["mcp.github:create_issue", tools[1]!.function.name]);
  });

  test("tool_choice auto / required / none", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    const base = { model: "m", messages: [{ role: "user" as const, content: "hi" }], tools: [weather] };
    await t.gw.client.chat.completions.create({ ...base, tool_choice: "auto" });
    expect(t.emu.lastJson().toolConfig.toolChoice).toEqual({ auto: {} });
    await t.gw.client.chat.completions.create({ ...base, tool_choice: "required" });
    expect(t.emu.lastJson().toolConfig.toolChoice).toEqual({ any: {} });
    await t.gw.client.chat.completions.create({ ...base, tool_choice: "none" });
    expect(t.emu.lastJson().toolConfig).toBeUndefined();
  });
});
