/**
 * The OpenAI chat-chunk writer on its own: the envelope, the deferred role chunk, tool calls,
 * thinking blocks on the finish chunk, usage only when asked, and one code per failure kind.
 */
import { describe, expect, test } from "bun:test";
import { openaiChunkWriter, openaiCompletion, openaiErrorEvent } from "../../../src/llm/hub/openai-writer.ts";
import { literal, trustedLiteral, type ClientStreamWriter, type StreamFailure } from "../../../src/llm/hub/parts.ts";

const CREATED = 1_764_000_000;
const writer = (includeUsage = false, model = "gw-model") => openaiChunkWriter({ model, includeUsage, created: CREATED });

/** The writer's text as data payloads: parsed JSON, or "[DONE]". */
function payloads(w: ClientStreamWriter): unknown[] {
  const text = w.take();
  expect(text.endsWith("\n\n")).toBe(true);
  return text
    .split("\n\n")
    .filter((e) => e !== "")
    .map((e) => {
      expect(e.startsWith("data: ")).toBe(true);
      return e === "data: [DONE]" ? "[DONE]" : JSON.parse(e.slice(6));
    });
}

type Chunk = { id: string; object: string; created: number; model: string; choices: { index: number; delta: Record<string, unknown>; logprobs: null; finish_reason: string | null }[]; usage?: unknown };

describe("envelope", () => {
  test("every chunk: the provider's id and model, created, object, choice 0 with logprobs and finish_reason", () => {
    const w = writer();
    w.start({ id: "msg_1", model: "claude-sonnet-4-20250514" });
    w.text(literal("Hi"));
    w.finish("stop");
    w.end();
    const out = payloads(w);
    expect(out.at(-1)).toBe("[DONE]");
    const chunks = out.slice(0, -1) as Chunk[];
    expect(chunks).toEqual([
      { id: "msg_1", object: "chat.completion.chunk", created: CREATED, model: "claude-sonnet-4-20250514", choices: [{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }] },
      { id: "msg_1", object: "chat.completion.chunk", created: CREATED, model: "claude-sonnet-4-20250514", choices: [{ index: 0, delta: { content: "Hi" }, logprobs: null, finish_reason: null }] },
      { id: "msg_1", object: "chat.completion.chunk", created: CREATED, model: "claude-sonnet-4-20250514", choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }] },
    ]);
    expect(w.model).toBe("claude-sonnet-4-20250514");
  });

  test("no id or model from the provider: a generated chatcmpl id (the same on every chunk) and the gateway's model", () => {
    const w = writer();
    w.start({});
    w.text(literal("a"));
    w.text(literal("b"));
    w.end();
    const chunks = payloads(w).slice(0, -1) as Chunk[];
    expect(chunks[0]!.id).toMatch(/^chatcmpl-[0-9a-f-]{36}$/);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(["gw-model"]));
    expect(w.model).toBe("gw-model");
  });

  test("content before any start() still gets an envelope; a later start() changes nothing", () => {
    const w = writer();
    w.text(literal("x"));
    w.start({ id: "late", model: "late-model" });
    w.end();
    const chunks = payloads(w).slice(0, -1) as Chunk[];
    expect(chunks.every((c) => c.id !== "late" && c.model === "gw-model")).toBe(true);
  });

  test("literals go in as they are; empty text, reasoning and argument fragments write nothing", () => {
    const w = writer();
    w.start({ id: "i" });
    w.text(trustedLiteral('"caf\\u00e9 \\"q\\""'));
    const first = w.take();
    expect(first).toContain('{"content":"caf\\u00e9 \\"q\\""}');
    w.text(literal(""));
    w.reasoning(literal(""));
    w.toolArgs(0, literal(""));
    expect(w.take()).toBe("");
  });
});

describe("the role chunk waits for content", () => {
  test("start() alone writes nothing and content has not started", () => {
    const w = writer();
    w.start({ id: "a", model: "b" });
    w.usage({ inputTokens: 1, outputTokens: 0, totalTokens: 1 });
    expect(w.take()).toBe("");
    expect(w.contentStarted).toBe(false);
  });

  for (const [name, part] of [
    ["text", (w: ClientStreamWriter) => w.text(literal("t"))],
    ["reasoning", (w: ClientStreamWriter) => w.reasoning(literal("r"))],
    ["a tool call", (w: ClientStreamWriter) => w.toolCall({ index: 0, id: "c", name: "f" })],
    ["a signed thinking block", (w: ClientStreamWriter) => w.thinkingSigned("sig")],
    ["the answer's signature", (w: ClientStreamWriter) => w.answerSignature("sig")],
    ["the finish", (w: ClientStreamWriter) => w.finish("stop")],
  ] as const) {
    test(`${name} opens with the role chunk`, () => {
      const w = writer();
      w.start({ id: "a" });
      part(w);
      expect(w.contentStarted).toBe(true);
      const chunks = payloads(w) as Chunk[];
      expect(chunks[0]!.choices[0]!.delta).toEqual({ role: "assistant", content: "" });
      expect(chunks.filter((c) => c.choices[0]?.delta.role !== undefined)).toHaveLength(1);
    });
  }

  test("a failure before content: only the error event, content not started", () => {
    const w = writer();
    w.start({ id: "a" });
    w.fail({ kind: "provider", message: "Overloaded", status: 529, providerCode: "overloaded_error" });
    expect(w.contentStarted).toBe(false);
    expect(w.done).toBe(true);
    expect(payloads(w)).toEqual([{ error: { message: "Overloaded", type: "api_error", param: null, code: "overloaded_error", status: 529 } }]);
  });
});

describe("tool calls", () => {
  test("the first chunk carries id, type, name and empty arguments; fragments follow by index", () => {
    const w = writer();
    w.toolCall({ index: 0, id: "call_a", name: "get_weather" });
    w.toolArgs(0, literal('{"city":'));
    w.toolArgs(0, literal('"Paris"}'));
    w.finish("tool_calls");
    const deltas = (payloads(w) as Chunk[]).map((c) => c.choices[0]!.delta);
    expect(deltas.slice(1, 4)).toEqual([
      { tool_calls: [{ index: 0, id: "call_a", type: "function", function: { name: "get_weather", arguments: "" } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
    ]);
  });

  test("whole arguments and a signature (Gemini) go on the first chunk", () => {
    const w = writer();
    w.toolCall({ index: 0, id: "call_g", name: "now", args: literal('{"tz":"UTC"}'), signature: "c2ln" });
    w.finish("tool_calls");
    const deltas = (payloads(w) as Chunk[]).map((c) => c.choices[0]!.delta);
    expect(deltas[1]).toEqual({
      tool_calls: [{ index: 0, id: "call_g", type: "function", function: { name: "now", arguments: '{"tz":"UTC"}' }, extra_content: { google: { thought_signature: "c2ln" } } }],
    });
    expect(deltas).toHaveLength(3); // role, call, finish: no "{}" for a call that had its arguments
  });

  test('a call whose arguments never came gets "{}" right before the finish chunk, even among interleaved calls', () => {
    const w = writer();
    w.toolCall({ index: 0, id: "a", name: "f" });
    w.toolCall({ index: 1, id: "b", name: "g" });
    w.toolArgs(1, literal('{"x":'));
    w.toolCall({ index: 2, id: "c", name: "h" });
    w.toolArgs(1, literal("1}"));
    w.finish("tool_calls");
    w.end();
    const deltas = (payloads(w).slice(0, -1) as Chunk[]).map((c) => c.choices[0]!);
    expect(deltas.slice(-3)).toEqual([
      { index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: "{}" } }] }, logprobs: null, finish_reason: null },
      { index: 0, delta: { tool_calls: [{ index: 2, function: { arguments: "{}" } }] }, logprobs: null, finish_reason: null },
      { index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" },
    ]);
    const args = new Map<number, string>();
    for (const d of deltas) for (const c of (d.delta.tool_calls ?? []) as { index: number; function: { arguments?: string } }[]) args.set(c.index, (args.get(c.index) ?? "") + (c.function.arguments ?? ""));
    expect([...args.values()].map((a) => JSON.parse(a))).toEqual([{}, { x: 1 }, {}]);
  });
});

describe("thinking blocks", () => {
  test("sent once, on the finish chunk, each block built from the reasoning since the previous one", () => {
    const w = writer();
    w.reasoning(literal("Let me "));
    w.reasoning(trustedLiteral('"think \\"hard\\""'));
    w.thinkingSigned("sig-1");
    w.thinkingRedacted("opaque");
    w.reasoning(literal("again"));
    w.thinkingSigned("sig-2");
    w.text(literal("Answer"));
    const before = payloads(w) as Chunk[];
    expect(before.some((c) => "thinking_blocks" in c.choices[0]!.delta)).toBe(false);
    w.finish("stop");
    const [finish] = payloads(w) as Chunk[];
    expect(finish!.choices[0]).toEqual({
      index: 0,
      delta: {
        thinking_blocks: [
          { type: "thinking", thinking: 'Let me think "hard"', signature: "sig-1" },
          { type: "redacted_thinking", data: "opaque" },
          { type: "thinking", thinking: "again", signature: "sig-2" },
        ],
      },
      logprobs: null,
      finish_reason: "stop",
    });
  });

  test("reasoning that is never signed makes no block", () => {
    const w = writer();
    w.reasoning(literal("thought summary"));
    w.finish("stop");
    const chunks = payloads(w) as Chunk[];
    expect(chunks.at(-1)!.choices[0]!.delta).toEqual({});
  });
});

describe("usage", () => {
  const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15, cachedInputTokens: 4 };

  test("asked for: usage:null on every chunk, then a usage chunk before [DONE]", () => {
    const w = writer(true);
    w.start({ id: "u" });
    w.text(literal("x"));
    w.usage({ inputTokens: 1, outputTokens: 1, totalTokens: 2 });
    w.usage(usage); // cumulative: the latest wins
    w.finish("stop");
    w.end();
    const out = payloads(w);
    const chunks = out.slice(0, -2) as Chunk[];
    expect(chunks.every((c) => c.usage === null)).toBe(true);
    expect(out.at(-2)).toEqual({ id: "u", object: "chat.completion.chunk", created: CREATED, model: "gw-model", choices: [], usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, prompt_tokens_details: { cached_tokens: 4 } } });
    expect(out.at(-1)).toBe("[DONE]");
    expect(w.reportedUsage).toEqual(usage);
  });

  test("not asked for: no usage field and no usage chunk, but the usage is still known for the log", () => {
    const w = writer(false);
    w.text(literal("x"));
    w.usage(usage);
    w.finish("length");
    w.end();
    const out = payloads(w);
    expect(out.at(-1)).toBe("[DONE]");
    expect((out.slice(0, -1) as Chunk[]).every((c) => !("usage" in c) && c.choices.length === 1)).toBe(true);
    expect((out.at(-2) as Chunk).choices[0]!.finish_reason).toBe("length");
    expect(w.reportedUsage).toEqual(usage);
  });

  test("asked for but never reported: no usage chunk", () => {
    const w = writer(true);
    w.text(literal("x"));
    w.end();
    expect(payloads(w).filter((p) => typeof p === "object" && (p as Chunk).choices.length === 0)).toEqual([]);
  });
});

describe("endings", () => {
  test("end() without finish() still finishes (stop); nothing is written after the end", () => {
    const w = writer();
    w.text(literal("x"));
    w.end();
    w.text(literal("late"));
    w.fail({ kind: "connection", message: "late" });
    const out = payloads(w);
    expect((out.at(-2) as Chunk).choices[0]!.finish_reason).toBe("stop");
    expect(out.at(-1)).toBe("[DONE]");
    expect(w.failure).toBeUndefined();
    expect(w.take()).toBe("");
  });

  test("a failure after content ends with the error event and no [DONE]", () => {
    const w = writer();
    w.text(literal("partial"));
    w.fail({ kind: "incomplete", message: "cut" });
    const out = payloads(w);
    expect(out.at(-1)).toEqual({ error: { message: "cut", type: "api_error", param: null, code: "upstream_stream_incomplete", status: 502 } });
    expect(out).not.toContain("[DONE]");
    expect(w.contentStarted).toBe(true);
    expect(w.failure).toEqual({ kind: "incomplete", message: "cut" });
  });

  test("one code per kind; the type follows the status", () => {
    const cases: [StreamFailure, { type: string; code: string; status: number }][] = [
      [{ kind: "provider", message: "m", status: 429, providerCode: "throttlingException" }, { type: "rate_limit_error", code: "throttlingException", status: 429 }],
      [{ kind: "provider", message: "m", status: 400, providerCode: "prompt_blocked" }, { type: "invalid_request_error", code: "prompt_blocked", status: 400 }],
      [{ kind: "provider", message: "m", status: 424, providerCode: "modelStreamErrorException" }, { type: "api_error", code: "modelStreamErrorException", status: 424 }],
      [{ kind: "provider", message: "m" }, { type: "api_error", code: "upstream_error", status: 502 }],
      [{ kind: "invalid", message: "m" }, { type: "api_error", code: "upstream_invalid_event", status: 502 }],
      [{ kind: "incomplete", message: "m" }, { type: "api_error", code: "upstream_stream_incomplete", status: 502 }],
      [{ kind: "connection", message: "m" }, { type: "api_error", code: "upstream_stream_error", status: 502 }],
      [{ kind: "connection", message: "m", status: 504 }, { type: "api_error", code: "upstream_stream_error", status: 504 }],
    ];
    for (const [failure, want] of cases) {
      expect(JSON.parse(openaiErrorEvent(failure).slice(6))).toEqual({ error: { message: "m", param: null, ...want } });
    }
  });
});

describe("whole answers", () => {
  test("the chat.completion: provider id and model, message fields only when present, usage", () => {
    const json = JSON.parse(
      openaiCompletion(
        {
          id: "msg_9",
          model: "claude-x",
          text: null,
          reasoning: "why",
          thinkingBlocks: [{ type: "thinking", thinking: "why", signature: "s" }],
          toolCalls: [{ id: "t1", name: "f", arguments: '{"a":1}', signature: "g" }],
          finish: "tool_calls",
          usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 },
        },
        { model: "gw", created: CREATED },
      ),
    );
    expect(json).toEqual({
      id: "msg_9",
      object: "chat.completion",
      created: CREATED,
      model: "claude-x",
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: null,
            refusal: null,
            tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: '{"a":1}' }, extra_content: { google: { thought_signature: "g" } } }],
            reasoning_content: "why",
            thinking_blocks: [{ type: "thinking", thinking: "why", signature: "s" }],
          },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
    });
  });

  test("no id, model or usage reported: generated id, the gateway's model, no usage; the answer's signature", () => {
    const json = JSON.parse(openaiCompletion({ text: "hi", toolCalls: [], finish: "stop", answerSignature: "sig" }, { model: "gw", created: CREATED }));
    expect(json.id).toMatch(/^chatcmpl-/);
    expect(json.model).toBe("gw");
    expect(json.usage).toBeUndefined();
    expect(json.choices[0].message).toEqual({ role: "assistant", content: "hi", refusal: null, extra_content: { google: { thought_signature: "sig" } } });
  });
});
