/**
 * OpenAI chat-completion chunks read into the hub (for clients of other formats): the no-parse
 * fast path gives the same parts as parsing, frames split at every byte position, a missing
 * [DONE] after a finish reason ends the answer, a cut stream fails it, error events fail it with
 * their status.
 */
import { describe, expect, test } from "bun:test";
import type { HubWriter, StreamFailure } from "../../../../src/llm/hub/parts.ts";
import { contentDelta, openaiStream } from "../../../../src/llm/providers/openai/stream.ts";

type Part = [string, ...unknown[]];

function recorder(): { out: HubWriter; parts: Part[] } {
  const parts: Part[] = [];
  const rec = (name: string) => (...args: unknown[]) => void parts.push([name, ...args]);
  const out: HubWriter = {
    start: rec("start"),
    text: rec("text"),
    reasoning: rec("reasoning"),
    thinkingSigned: rec("signed"),
    thinkingRedacted: rec("redacted"),
    toolCall: rec("toolCall"),
    toolArgs: rec("toolArgs"),
    answerSignature: rec("answerSignature"),
    finish: rec("finish"),
    usage: rec("usage"),
    end: rec("end"),
    fail: rec("fail"),
  };
  return { out, parts };
}

const ctx = { model: "m", includeUsage: false, created: 1, upstreamHeaders: new Headers() };
const chunk = (delta: unknown, finish: string | null = null) =>
  `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;
const STREAM =
  chunk({ role: "assistant", content: "" }) +
  chunk({ content: 'He said \\"hi\\"' }) +
  chunk({ reasoning_content: "r" }) +
  chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }) +
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }) +
  chunk({}, "tool_calls") +
  'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n' +
  "data: [DONE]\n\n";

function run(text: string, split?: number): Part[] {
  const { out, parts } = recorder();
  const t = openaiStream(ctx, out);
  const bytes = new TextEncoder().encode(text);
  if (split === undefined) t.push(bytes);
  else {
    t.push(bytes.subarray(0, split));
    t.push(bytes.subarray(split));
  }
  t.end();
  return parts;
}

describe("OpenAI chunks -> hub parts", () => {
  test("every part, in order", () => {
    expect(run(STREAM)).toEqual([
      ["start", { id: "c1", model: "gpt" }],
      ["text", '"He said \\\\\\"hi\\\\\\""'],
      ["reasoning", '"r"'],
      ["toolCall", { index: 0, id: "call_1", name: "f", args: undefined, signature: undefined }],
      ["toolArgs", 0, '"{\\"a\\":1}"'],
      ["finish", "tool_calls"],
      ["usage", { inputTokens: 3, outputTokens: 2, totalTokens: 5 }],
      ["end"],
    ]);
  });

  test("Azure's prompt filter chunk first (no id, model or choice): the answer starts with the next chunk's id and model", () => {
    // the shape Azure OpenAI documents for streamed content filtering (prompt annotations first)
    const filter = 'data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}]}\n\n';
    expect(run(filter + STREAM)).toEqual(run(STREAM));
  });

  describe("tool calls as servers number them", () => {
    const call = (tc: Record<string, unknown>) => chunk({ tool_calls: [tc] });
    const fn = (name: string | undefined, args: string) => (name === undefined ? { arguments: args } : { name, arguments: args });
    /** the calls a stream makes, as a client assembles them from the parts */
    const calls = (text: string) => {
      const out: { index: number; id: string; name: string; args: string }[] = [];
      for (const [kind, ...a] of run(text + chunk({}, "tool_calls") + "data: [DONE]\n\n")) {
        if (kind === "toolCall") {
          const c = a[0] as { index: number; id: string; name: string; args?: string };
          out.push({ index: c.index, id: c.id, name: c.name, args: c.args ? (JSON.parse(c.args) as string) : "" });
        }
        if (kind === "toolArgs") out[a[0] as number]!.args += JSON.parse(a[1] as string) as string;
      }
      return out;
    };
    const TWO = [
      { index: 0, id: "call_a", name: "get_weather", args: '{"city":"Paris"}' },
      { index: 1, id: "call_b", name: "get_time", args: '{"tz":"CET"}' },
    ];

    test("indices as OpenAI gives them, fragments interleaved", () => {
      expect(calls(call({ index: 0, id: "call_a", function: fn("get_weather", "") }) + call({ index: 1, id: "call_b", function: fn("get_time", '{"tz"') }) + call({ index: 0, function: fn(undefined, '{"city":"Paris"}') }) + call({ index: 1, function: fn(undefined, ':"CET"}') }))).toEqual(TWO);
    });

    test("no index at all (Gemini's OpenAI compatibility, mistral.rs): a new id opens a new call", () => {
      expect(calls(call({ id: "call_a", function: fn("get_weather", '{"city":') }) + call({ function: fn(undefined, '"Paris"}') }) + call({ id: "call_b", function: fn("get_time", '{"tz":"CET"}') }))).toEqual(TWO);
    });

    test("parallel calls all given index 0 (Ollama): each new id is its own call, not one call with both argument objects", () => {
      expect(calls(call({ index: 0, id: "call_a", function: fn("get_weather", '{"city":"Paris"}') }) + call({ index: 0, id: "call_b", function: fn("get_time", '{"tz":"CET"}') }))).toEqual(TWO);
    });

    test("the id repeated on every fragment continues the call; indices from 1 become 0", () => {
      expect(calls(call({ index: 1, id: "call_a", function: fn("get_weather", '{"city":') }) + call({ index: 1, id: "call_a", function: fn("get_weather", '"Paris"}') }) + call({ index: 2, id: "call_b", function: fn("get_time", '{"tz":"CET"}') }))).toEqual(TWO);
    });
  });

  test("Groq's usage in its own field of the last chunk (x_groq.usage)", () => {
    const groqLast = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_01","usage":{"queue_time":0.02,"prompt_tokens":3,"prompt_time":0.001,"completion_tokens":2,"completion_time":0.004,"total_tokens":5,"total_time":0.005}}}\n\n';
    expect(run(chunk({ role: "assistant", content: "" }) + chunk({ content: "hi" }) + groqLast + "data: [DONE]\n\n")).toEqual([
      ["start", { id: "c1", model: "gpt" }],
      ["text", '"hi"'],
      ["finish", "stop"],
      ["usage", { inputTokens: 3, outputTokens: 2, totalTokens: 5 }],
      ["end"],
    ]);
  });

  test("split at every byte position: the same parts", () => {
    const whole = JSON.stringify(run(STREAM));
    for (let i = 1; i < STREAM.length; i++) expect(JSON.stringify(run(STREAM, i))).toBe(whole);
  });

  test("the fast path cuts the literal OpenAI writes; other shapes are parsed", () => {
    expect(contentDelta('{"id":"x","choices":[{"index":0,"delta":{"content":"a\\"b"},"logprobs":null,"finish_reason":null}]}')).toBe('"a\\"b"');
    expect(contentDelta('{"id":"x","choices":[{"index":0,"delta":{"content":"a"},"logprobs":null,"finish_reason":"stop"}]}')).toBeUndefined();
    expect(contentDelta('{"choices":[{"index":0,"delta":{"content":"a","role":"assistant"},"logprobs":null,"finish_reason":null}]}')).toBeUndefined();
  });

  test("the fast path finds the content wherever it moves between chunks (it looks first where the last one was)", () => {
    const at = (id: string, text: string) => `{"id":"${id}","choices":[{"index":0,"delta":{"content":"${text}"},"logprobs":null,"finish_reason":null}]}`;
    expect(contentDelta(at("a-long-id", "one"))).toBe('"one"');
    expect(contentDelta(at("a-long-id", "two"))).toBe('"two"');
    expect(contentDelta(at("x", "three"))).toBe('"three"');
    expect(contentDelta(at("a-much-longer-id-than-before", "four"))).toBe('"four"');
    // a shorter chunk than the last one's offset, and one without content at that offset
    expect(contentDelta("{}")).toBeUndefined();
    expect(contentDelta(`{"id":"a-much-longer-id-than-before","choices":[{"index":0,"delta":{"role":"assistant"},"logprobs":null,"finish_reason":null}]}`)).toBeUndefined();
  });

  test("the end without [DONE]: complete after a finish reason, incomplete before one", () => {
    const cut = STREAM.slice(0, STREAM.indexOf("data: [DONE]"));
    expect(run(cut).at(-1)).toEqual(["end"]);
    const early = run(chunk({ content: "a" }) + chunk({ content: "b" }));
    expect((early.at(-1)![1] as StreamFailure).kind).toBe("incomplete");
  });

  test("an error event fails the answer with its status and code", () => {
    const parts = run(chunk({ content: "a" }) + 'data: {"error":{"message":"slow","type":"rate_limit_error","code":"rate_limit_exceeded"}}\n\n');
    expect(parts.at(-1)).toEqual(["fail", { kind: "provider", message: "slow", status: 429, providerCode: "rate_limit_exceeded" }]);
  });
});
