/**
 * Anthropic answers (JSON and SSE, from the scripts) as the official OpenAI SDK sees them:
 * `create`, `create({stream: true})` iteration, and the `chat.completions.stream` helpers.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import { startAnthropicEmulator, turn, type AnthropicEmulator, type AnthropicEvent } from "../../../emulators/anthropic.ts";
import { accessLogs, eventually, providerSuite } from "../../../helpers/gateway.ts";
import * as s from "./scripts.ts";

const t = providerSuite("anthropic", startAnthropicEmulator, s.PINNED);

const ask: ChatCompletionMessageParam[] = [{ role: "user", content: "What's the weather in Boston?" }];
const tools: ChatCompletionTool[] = [
  {
    type: "function",
    function: { name: "get_weather", description: "Get current weather", parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } },
  },
];

async function chunksOf(events: AnthropicEvent[], extra: Record<string, unknown> = {}): Promise<ChatCompletionChunk[]> {
  t.emu.enqueue(turn(events));
  const stream = await t.gw.client.chat.completions.create({ model: "gpt-4o-mini", messages: ask, stream: true, ...extra } as never);
  const chunks: ChatCompletionChunk[] = [];
  for await (const c of stream as unknown as AsyncIterable<ChatCompletionChunk>) chunks.push(c);
  return chunks;
}

async function completionOf(events: AnthropicEvent[], extra: Record<string, unknown> = {}) {
  t.emu.enqueue(turn(events));
  return t.gw.client.chat.completions.create({ model: "gpt-4o-mini", messages: ask, ...extra } as never) as Promise<OpenAI.Chat.Completions.ChatCompletion>;
}

describe("text", () => {
  test("non-streaming: content, finish reason, usage with cache reads and writes counted in", async () => {
    const r = await completionOf(s.plainText);
    expect(r).toMatchObject({
      id: "msg_01XFDUDYJgAACzvnptvVoYEL",
      object: "chat.completion",
      model: s.MODEL,
      choices: [{ index: 0, message: { role: "assistant", content: s.PLAIN_TEXT, refusal: null }, logprobs: null, finish_reason: "stop" }],
      usage: { prompt_tokens: 132, completion_tokens: 12, total_tokens: 144, prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 20 } },
    });
    expect(typeof r.created).toBe("number");
  });

  test("streaming: one id, role first, content in order, finish chunk, no usage chunk unless asked", async () => {
    const chunks = await chunksOf(s.plainText);
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["msg_01XFDUDYJgAACzvnptvVoYEL"]));
    expect(chunks.every((c) => c.object === "chat.completion.chunk" && c.model === s.MODEL)).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe(s.PLAIN_TEXT);
    const last = chunks.at(-1)!;
    expect(last.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" });
    expect(chunks.slice(0, -1).every((c) => c.choices[0]!.finish_reason === null)).toBe(true);
    expect(chunks.some((c) => "usage" in c)).toBe(false);
  });

  test("streaming with include_usage: usage null on every chunk, then one usage chunk", async () => {
    const chunks = await chunksOf(s.plainText, { model: "stream-with-usage", stream_options: { include_usage: true } });
    const usageChunk = chunks.at(-1)!;
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage).toEqual({ prompt_tokens: 132, completion_tokens: 12, total_tokens: 144, prompt_tokens_details: { cached_tokens: 100, cache_write_tokens: 20 } });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe("stop");
    // and the access log accounts the same usage (this request's line: found by its model name, as
    // every earlier plainText request logged the same token counts)
    const line = await eventually(() => accessLogs(t.gw).find((l) => l["gen_ai.request.model"] === "stream-with-usage"));
    expect(line).toMatchObject({
      "gen_ai.provider.name": "anthropic",
      "gen_ai.usage.input_tokens": 132,
      "gen_ai.usage.output_tokens": 12,
      "gen_ai.usage.cache_read.input_tokens": 100,
    });
  });

  test("the stream helper accumulates the same message", async () => {
    t.emu.enqueue(turn(s.plainText));
    const runner = t.gw.client.chat.completions.stream({ model: "gpt-4o-mini", messages: ask });
    const deltas: string[] = [];
    runner.on("content", (d) => deltas.push(d));
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]!.message.content).toBe(s.PLAIN_TEXT);
    expect(final.choices[0]!.finish_reason).toBe("stop");
    expect(deltas.join("")).toBe(s.PLAIN_TEXT);
  });

  test("events split at every 7 bytes over the wire decode the same", async () => {
    t.emu.enqueue(turn(s.plainText, { chunkBytes: 7 }));
    const stream = await t.gw.client.chat.completions.create({ model: "x", messages: ask, stream: true });
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe(s.PLAIN_TEXT);
  });

  test("events printed as in the docs (spaces after colons) translate the same", async () => {
    t.emu.enqueue(turn(s.parallelTools, { spaced: true }));
    const spaced = t.gw.client.chat.completions.stream({ model: "x", messages: ask, tools });
    const a = await spaced.finalChatCompletion();
    expect(a.choices[0]!.message.tool_calls!.map((c) => c.type === "function" && c.function.arguments)).toEqual(['{"location": "Paris, France"}', '{"timezone": "Europe/Paris"}']);
  });
});

describe("tool calls", () => {
  test("non-streaming: tool_use -> tool_calls with arguments as a JSON string", async () => {
    const r = await completionOf(s.oneTool, { tools });
    expect(r.choices[0]!.finish_reason).toBe("tool_calls");
    expect(r.choices[0]!.message.content).toBe("Okay, let's check the weather for Boston, MA:");
    expect(r.choices[0]!.message.tool_calls).toEqual([
      { id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", type: "function", function: { name: "get_weather", arguments: '{"location":"Boston, MA"}' } },
    ]);
  });

  test("streaming one tool: the stream helper accumulates name and arguments", async () => {
    t.emu.enqueue(turn(s.oneTool));
    const runner = t.gw.client.chat.completions.stream({ model: "gpt-4o-mini", messages: ask, tools });
    const done: { name: string; arguments: string }[] = [];
    runner.on("tool_calls.function.arguments.done", (e) => done.push({ name: e.name, arguments: e.arguments }));
    const message = await runner.finalMessage();
    expect(message.content).toBe("Okay, let's check the weather for Boston, MA:");
    expect(message.tool_calls).toEqual([
      { id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", type: "function", function: { name: "get_weather", arguments: '{"location": "Boston, MA"}' } },
    ]);
    expect(done).toEqual([{ name: "get_weather", arguments: '{"location": "Boston, MA"}' }]);
    expect((await runner.finalChatCompletion()).choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("two parallel tools: indexes count tool blocks only, first delta carries id and name", async () => {
    const chunks = await chunksOf(s.parallelTools, { tools });
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls[0]).toEqual({ index: 0, id: "toolu_01A09q90qw90lq917835lq9", type: "function", function: { name: "get_weather", arguments: "" } });
    expect(calls.find((c) => c.index === 1 && c.id)).toEqual({ index: 1, id: "toolu_01B12r34st56uv78wx90yz12", type: "function", function: { name: "get_time", arguments: "" } });
    expect(calls.filter((c) => !c.id).every((c) => Object.keys(c).sort().join() === "function,index")).toBe(true);
    const args = [0, 1].map((i) => calls.filter((c) => c.index === i).map((c) => c.function?.arguments ?? "").join(""));
    expect(args.map((a) => JSON.parse(a))).toEqual([{ location: "Paris, France" }, { timezone: "Europe/Paris" }]);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("tool_calls");
  });

  test("a tool with no arguments gets '{}' (streaming and not)", async () => {
    t.emu.enqueue(turn(s.toolNoArgs));
    const streamed = await t.gw.client.chat.completions.stream({ model: "x", messages: ask, tools }).finalMessage();
    expect(streamed.tool_calls).toEqual([{ id: "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", type: "function", function: { name: "list_issues", arguments: "{}" } }]);
    const plain = await completionOf(s.toolNoArgs, { tools });
    expect(plain.choices[0]!.message.tool_calls![0]!).toMatchObject({ function: { name: "list_issues", arguments: "{}" } });
    expect(plain.choices[0]!.message.content).toBeNull();
  });
});

describe("reasoning", () => {
  const expectedBlocks = [{ type: "thinking", thinking: "The user wants the weather in Paris. I should call get_weather.", signature: s.THINKING_SIGNATURE }];

  test("streaming: thinking -> reasoning_content deltas; signed blocks on the finish chunk", async () => {
    const chunks = await chunksOf(s.thinkingTool, { tools, reasoning_effort: "low" });
    const reasoning = chunks.map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? "").join("");
    expect(reasoning).toBe("The user wants the weather in Paris. I should call get_weather.");
    const finish = chunks.at(-1)!.choices[0]!;
    expect(finish.finish_reason).toBe("tool_calls");
    expect((finish.delta as { thinking_blocks?: unknown }).thinking_blocks).toEqual(expectedBlocks);
    expect(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? [])[0]).toMatchObject({ index: 0, id: "toolu_01ThinkWeather000000001" });
  });

  test("round trip through the stream helper: the final message, sent back, replays the signed thinking", async () => {
    t.emu.enqueue(turn(s.thinkingTool));
    const assistant = await t.gw.client.chat.completions.stream({ model: "x", messages: ask, tools, reasoning_effort: "low" }).finalMessage();
    expect((assistant as unknown as { thinking_blocks: unknown }).thinking_blocks).toEqual(expectedBlocks);
    const call = assistant.tool_calls![0]!;
    await completionOf(s.plainText, {
      tools,
      reasoning_effort: "low",
      messages: [...ask, assistant, { role: "tool", tool_call_id: call.id, content: "18°C and sunny" }],
    });
    expect(t.emu.lastJson().messages).toEqual([
      { role: "user", content: "What's the weather in Boston?" },
      {
        role: "assistant",
        content: [...expectedBlocks, { type: "tool_use", id: "toolu_01ThinkWeather000000001", name: "get_weather", input: { location: "Paris, France" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01ThinkWeather000000001", content: "18°C and sunny" }] },
    ]);
  });

  test("round trip without streaming: reasoning_content plus thinking_blocks on the message", async () => {
    const r = await completionOf(s.thinkingTool, { tools, reasoning_effort: "low" });
    const message = r.choices[0]!.message as unknown as { reasoning_content: string; thinking_blocks: unknown };
    expect(message.reasoning_content).toBe("The user wants the weather in Paris. I should call get_weather.");
    expect(message.thinking_blocks).toEqual(expectedBlocks);
    await completionOf(s.plainText, { tools, messages: [...ask, r.choices[0]!.message, { role: "tool", tool_call_id: "toolu_01ThinkWeather000000001", content: "18°C" }] });
    expect((t.emu.lastJson().messages as { content: unknown[] }[])[1]!.content[0]).toEqual(expectedBlocks[0]);
  });
});

describe("finish reasons", () => {
  test("refusal -> content_filter", async () => {
    const chunks = await chunksOf(s.refusal);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("content_filter");
    const r = await completionOf(s.refusal);
    expect(r.choices[0]).toMatchObject({ finish_reason: "content_filter", message: { content: null } });
  });

  test("max_tokens -> length", async () => {
    const chunks = await chunksOf(s.maxTokens);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("length");
    expect((await completionOf(s.maxTokens)).choices[0]!.finish_reason).toBe("length");
  });
});

describe("broken streams", () => {
  test("an error event mid-stream: text so far, then the SDK raises with Anthropic's message", async () => {
    t.emu.enqueue(turn(s.errorMidStream));
    const stream = await t.gw.client.chat.completions.create({ model: "overloaded-mid-stream", messages: ask, stream: true });
    let text = "";
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })().then(() => undefined, (e: unknown) => e);
    expect(text).toBe("Let me think about");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toEqual({ message: "Overloaded", type: "api_error", param: null, code: "overloaded_error", status: 529 });
    // this request's access-log line records how the stream ended
    const line = await eventually(() => accessLogs(t.gw).find((l) => l["gen_ai.request.model"] === "overloaded-mid-stream"));
    expect(line).toMatchObject({ "http.status": 200, "gen_ai.provider.name": "anthropic", "gen_ai.response.model": s.MODEL, error: "overloaded_error: Overloaded" });
  });

  test("a connection cut mid-event ends with an error event, never a silent stop", async () => {
    const bytes = new TextEncoder().encode(s.plainText.map((e) => `event: ${(e as { type: string }).type}\ndata: ${JSON.stringify(e)}\n\n`).join("")).length;
    t.emu.enqueue(turn(s.plainText, { cutAfterBytes: Math.floor(bytes * 0.7), delayMs: 2 }));
    const stream = await t.gw.client.chat.completions.create({ model: "x", messages: ask, stream: true });
    let text = "";
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })().then(() => undefined, (e: unknown) => e);
    expect(text).toBe("Hello! How can I"); // the complete events before the cut, nothing of the cut one
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toEqual({ message: "upstream connection failed mid-stream", type: "api_error", param: null, code: "upstream_stream_error", status: 502 });
  });

  test("a stream that ends before message_delta is an error, not a finished answer", async () => {
    t.emu.enqueue(turn(s.plainText.slice(0, 5)));
    const stream = await t.gw.client.chat.completions.create({ model: "x", messages: ask, stream: true });
    const err = await (async () => {
      for await (const _ of stream);
    })().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain("ended before the message was complete");
  });
});
