/**
 * The Anthropic, Responses and Gemini writers on hub parts directly: exact events, the deferred
 * opening (a failure before content leaves nothing written), stop reasons, usage arriving after
 * the finish, tool calls given whole or in interleaved fragments, redacted thinking, failures.
 */
import { describe, expect, test } from "bun:test";
import { anthropicWriter } from "../../../src/llm/hub/anthropic-writer.ts";
import { geminiWriter } from "../../../src/llm/hub/gemini-writer.ts";
import { literal, type ClientStreamWriter } from "../../../src/llm/hub/parts.ts";
import { responsesWriter } from "../../../src/llm/hub/responses-writer.ts";

const ctx = { model: "gw-model", created: 1_700_000_000 };

/** The SSE events written, as [event name, parsed data]. */
function events(text: string): [string | undefined, Record<string, any>][] {
  return text
    .split(/\r?\n\r?\n/)
    .filter((e) => e.trim() !== "" && !e.startsWith(":"))
    .map((e) => {
      const name = /^event: (.*)$/m.exec(e)?.[1];
      const data = /^data: (.*)$/m.exec(e)![1]!;
      return [name, JSON.parse(data)];
    });
}

describe("Anthropic writer", () => {
  test("text, a tool call in fragments, usage after the finish: the full sequence", () => {
    const w = anthropicWriter(ctx);
    w.start({ id: "chatcmpl-1", model: "gpt-x" });
    expect(w.take()).toBe("");
    w.text(literal("Hi"));
    w.toolCall({ index: 0, id: "call_1", name: "f" });
    w.toolArgs(0, literal('{"a":'));
    w.toolArgs(0, literal("1}"));
    w.finish("tool_calls");
    w.usage({ inputTokens: 30, outputTokens: 5, totalTokens: 35, cachedInputTokens: 10 });
    w.end();
    const ev = events(w.take());
    expect(ev.map(([n]) => n)).toEqual([
      "message_start",
      "content_block_start",
      "content_block_delta",
      "content_block_stop",
      "content_block_start",
      "content_block_delta",
      "content_block_delta",
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(ev[0]![1].message).toMatchObject({ id: "chatcmpl-1", model: "gpt-x", role: "assistant", content: [] });
    expect(ev[4]![1]).toEqual({ type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "call_1", name: "f", input: {} } });
    expect(ev[5]![1].delta).toEqual({ type: "input_json_delta", partial_json: '{"a":' });
    expect(ev[8]![1]).toEqual({ type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { input_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 10, output_tokens: 5 } });
    expect(w.done).toBe(true);
  });

  test("signed and redacted thinking; interleaved tool fragments go to their own block", () => {
    const w = anthropicWriter(ctx);
    w.reasoning(literal("hmm"));
    w.thinkingSigned("sig==");
    w.thinkingRedacted("opaque");
    w.toolCall({ index: 0, id: "a", name: "f", args: literal('{"x":1}') });
    w.toolCall({ index: 1, id: "b", name: "g" });
    w.toolArgs(0, literal(" "));
    w.end();
    const ev = events(w.take()).map(([, d]) => d);
    expect(ev[1]!.content_block).toEqual({ type: "thinking", thinking: "", signature: "" });
    expect(ev[3]!.delta).toEqual({ type: "signature_delta", signature: "sig==" });
    expect(ev[5]!.content_block).toEqual({ type: "redacted_thinking", data: "opaque" });
    const late = ev.find((d) => d.type === "content_block_delta" && d.delta.partial_json === " ")!;
    expect(late.index).toBe(2);
  });

  test("a failure before any content writes nothing (the pipeline answers an HTTP error); after content, an error event", () => {
    const early = anthropicWriter(ctx);
    early.fail({ kind: "provider", message: "nope", status: 429 });
    expect(early.contentStarted).toBe(false);
    const late = anthropicWriter(ctx);
    late.text(literal("a"));
    late.fail({ kind: "connection", message: "cut", status: 504 });
    const ev = events(late.take());
    expect(ev.at(-1)).toEqual(["error", { type: "error", error: { type: "timeout_error", message: "cut" } }]);
  });

  test("usage known before the content (an Anthropic-like upstream): message_start has it with no output yet, message_delta in full", () => {
    const w = anthropicWriter(ctx);
    w.usage({ inputTokens: 30, outputTokens: 1, totalTokens: 31, cachedInputTokens: 10, cacheWriteInputTokens: 5 });
    w.text(literal("a"));
    w.usage({ inputTokens: 30, outputTokens: 7, totalTokens: 37, cachedInputTokens: 10, cacheWriteInputTokens: 5 });
    w.end();
    const ev = events(w.take());
    expect(ev[0]![1]).toEqual({
      type: "message_start",
      message: {
        id: expect.stringMatching(/^msg_/),
        type: "message",
        role: "assistant",
        model: "gw-model",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 15, cache_creation_input_tokens: 5, cache_read_input_tokens: 10, output_tokens: 0 },
      },
    });
    expect(ev.at(-2)![1].usage).toEqual({ input_tokens: 15, cache_creation_input_tokens: 5, cache_read_input_tokens: 10, output_tokens: 7 });
  });

  test("an empty answer is still a complete message; length wins over tool calls", () => {
    const w = anthropicWriter(ctx);
    w.toolCall({ index: 0, id: "a", name: "f" });
    w.finish("length");
    w.end();
    expect(events(w.take()).find(([n]) => n === "message_delta")![1].delta.stop_reason).toBe("max_tokens");
    const empty = anthropicWriter(ctx);
    empty.end();
    const emptyEvents = events(empty.take());
    expect(emptyEvents.map(([n]) => n)).toEqual(["message_start", "message_delta", "message_stop"]);
    // no usage from the upstream at all: zeros, in Anthropic's minimal shape
    expect(emptyEvents[0]![1].message.usage).toEqual({ input_tokens: 0, output_tokens: 0 });
    expect(emptyEvents[1]![1].usage).toEqual({ input_tokens: 0, output_tokens: 0 });
  });
});

describe("Responses writer", () => {
  test("sequence numbers count every event; a text item and a function call; usage in response.completed", () => {
    const w = responsesWriter(ctx);
    w.text(literal("Hel"));
    w.text(literal("lo"));
    w.toolCall({ index: 0, id: "call_9", name: "f", args: literal("{}") });
    w.usage({ inputTokens: 3, outputTokens: 4, totalTokens: 7, reasoningTokens: 1 });
    w.end();
    const ev = events(w.take());
    expect(ev.map(([, d]) => d.sequence_number)).toEqual(ev.map((_, i) => i));
    const done = ev.filter(([n]) => n === "response.output_item.done").map(([, d]) => d.item);
    expect(done[0]).toMatchObject({ type: "message", status: "completed", content: [{ type: "output_text", text: "Hello" }] });
    expect(done[1]).toMatchObject({ type: "function_call", call_id: "call_9", name: "f", arguments: "{}" });
    const completed = ev.at(-1)![1].response;
    expect(completed.status).toBe("completed");
    expect(completed.output).toEqual(done);
    expect(completed.usage).toEqual({ input_tokens: 3, input_tokens_details: { cached_tokens: 0 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 7 });
  });

  test("a failure after content: an error event then response.failed", () => {
    const w = responsesWriter(ctx);
    w.text(literal("x"));
    w.fail({ kind: "provider", message: "Overloaded", status: 529, providerCode: "overloaded_error" });
    const ev = events(w.take());
    expect(ev.at(-2)).toEqual(["error", expect.objectContaining({ code: "overloaded_error", message: "Overloaded" })]);
    expect(ev.at(-1)![1].response).toMatchObject({ status: "failed", error: { code: "overloaded_error", message: "Overloaded" } });
  });
});

describe("Gemini writer", () => {
  test("tool call fragments are held until the call is whole; the last chunk has finishReason and usage", () => {
    const w = geminiWriter(ctx);
    w.reasoning(literal("think"));
    w.toolCall({ index: 0, id: "c1", name: "f" });
    w.toolArgs(0, literal('{"q":'));
    w.toolArgs(0, literal('"x"}'));
    w.toolCall({ index: 1, id: "c2", name: "g", args: literal("{}"), signature: "c2lnLWNhbGw=" });
    w.finish("tool_calls");
    w.usage({ inputTokens: 10, outputTokens: 6, totalTokens: 16, reasoningTokens: 2 });
    w.end();
    const chunks = events(w.take()).map(([, d]) => d);
    expect(chunks[0]!.candidates[0].content.parts).toEqual([{ thought: true, text: "think" }]);
    // a call the provider did not sign carries the gateway's "no signature" envelope (agw1.n., in base64); a signed one its signature
    expect(chunks[1]!.candidates[0].content.parts).toEqual([
      { functionCall: { name: "f", args: { q: "x" }, id: "c1" }, thoughtSignature: Buffer.from("agw1.n.").toString("base64") },
      { functionCall: { name: "g", args: {}, id: "c2" }, thoughtSignature: "c2lnLWNhbGw=" },
    ]);
    expect(chunks[2]).toMatchObject({ candidates: [{ finishReason: "STOP" }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, thoughtsTokenCount: 2, totalTokenCount: 16 }, modelVersion: "gw-model" });
  });

  test("failures: not content (an HTTP error then), Google's error event after content", () => {
    const early = geminiWriter(ctx);
    early.fail({ kind: "incomplete", message: "cut" });
    expect(early.contentStarted).toBe(false);
    const late: ClientStreamWriter = geminiWriter(ctx);
    late.text(literal("a"));
    late.fail({ kind: "provider", message: "quota", status: 429 });
    expect(events(late.take()).at(-1)![1]).toEqual({ error: { code: 429, message: "quota", status: "RESOURCE_EXHAUSTED" } });
  });
});
