/**
 * Recorded Anthropic streams (test/fixtures/recorded/SOURCES.md) through the translator and the
 * OpenAI writer: the text, the tool calls (indices, ids, complete argument JSON), the finish
 * reason and the usage an SDK ends up with; the same client bytes however the reads are cut.
 */
import { describe, expect, test } from "bun:test";
import { openaiCompletion } from "../../../../src/llm/hub/openai-writer.ts";
import { anthropicChat } from "../../../../src/llm/providers/anthropic/index.ts";
import { answer, chunked, cutAt, normalised, pipeline, recorded, recordedText, streamContext, translate } from "../../../helpers/replay.ts";

const stream = anthropicChat.stream;
const enc = new TextEncoder();
/** the SDK fixture files lack the blank line that ends the last event on the wire */
const terminated = (path: string) => new Uint8Array([...recorded(path), ...enc.encode("\n\n")]);

interface Expected {
  id: string;
  model: string;
  content: string;
  tools: { index: number; id: string; name: string; args: unknown }[];
  finish: string;
  usage: Record<string, unknown>;
}

const FIXTURES: [string, Uint8Array, Expected][] = [
  [
    "basic-text.sse",
    terminated("anthropic/basic-text.sse"),
    {
      id: "msg_4QpJur2dWWDjF6C758FbBw5vm12BaVipnK",
      model: "claude-3-opus-latest",
      content: "Hello there!",
      tools: [],
      finish: "stop",
      usage: { prompt_tokens: 11, completion_tokens: 6, total_tokens: 17, prompt_tokens_details: { cached_tokens: 0 } },
    },
  ],
  [
    "tool-use-single.sse",
    terminated("anthropic/tool-use-single.sse"),
    {
      id: "msg_019Q1hrJbZG26Fb9BQhrkHEr",
      model: "claude-sonnet-4-20250514",
      content: "I'll check the current weather in Paris for you.",
      tools: [{ index: 0, id: "toolu_01NRLabsLyVHZPKxbKvkfSMn", name: "get_weather", args: { location: "Paris" } }],
      finish: "tool_calls",
      usage: { prompt_tokens: 377, completion_tokens: 65, total_tokens: 442, prompt_tokens_details: { cached_tokens: 0 } },
    },
  ],
  [
    "parallel-tools-recorded.turn1.sse",
    recorded("anthropic/parallel-tools-recorded.turn1.sse"),
    {
      id: "msg_01DfDUn6fFzYyGNjmWmA9XVK",
      model: "claude-3-5-sonnet-20241022",
      content:
        'I\'ll help you check the weather in San Francisco. Since the location parameter needs to be more specific, I\'ll use "San Francisco, CA" and I\'ll show you the temperature in both Celsius and Fahrenheit.',
      tools: [
        { index: 0, id: "toolu_01QYZ2sgjBq1oG8iryEt8QjR", name: "get_weather", args: { location: "San Francisco, CA", units: "c" } },
        { index: 1, id: "toolu_01Lu9hbRKgrZqvHFutZxCNnZ", name: "get_weather", args: { location: "San Francisco, CA", units: "f" } },
      ],
      finish: "tool_calls",
      usage: { prompt_tokens: 473, completion_tokens: 176, total_tokens: 649, prompt_tokens_details: { cached_tokens: 0 } },
    },
  ],
  [
    "parallel-tools-recorded.turn2.sse",
    recorded("anthropic/parallel-tools-recorded.turn2.sse"),
    {
      id: "msg_014L4v4PaF8RoEXeryKARnCp",
      model: "claude-3-5-sonnet-20241022",
      content: "The weather in San Francisco, CA is currently sunny with a temperature of 20°C (68°F).",
      tools: [],
      finish: "stop",
      usage: { prompt_tokens: 767, completion_tokens: 27, total_tokens: 794, prompt_tokens_details: { cached_tokens: 0 } },
    },
  ],
  [
    "usage-cache-fields.synthetic.sse",
    terminated("anthropic/usage-cache-fields.synthetic.sse"),
    {
      id: "msg_01MessageDeltaFields00000001",
      model: "claude-sonnet-4-5",
      content: "Hello there!",
      tools: [],
      finish: "stop",
      // input 40 + cache reads 7 + cache writes 12
      usage: { prompt_tokens: 59, completion_tokens: 8, total_tokens: 67, prompt_tokens_details: { cached_tokens: 7, cache_write_tokens: 12 } },
    },
  ],
];

describe("recorded Anthropic streams", () => {
  for (const [name, bytes, want] of FIXTURES) {
    test(`${name}: text, tool calls, finish reason and usage`, async () => {
      const text = await pipeline(stream, [bytes]);
      const a = answer(text);
      expect(a.wellFormed).toBe(true);
      expect(a.done).toBe(true);
      expect(a.error).toBeUndefined();
      expect([...a.ids]).toEqual([want.id]);
      expect([...a.models]).toEqual([want.model]);
      expect(a.roles).toEqual(["assistant"]);
      expect(a.content).toBe(want.content);
      expect(a.toolCalls.map((c) => ({ index: c.index, id: c.id, name: c.name, args: JSON.parse(c.arguments) }))).toEqual(want.tools);
      expect(a.finish).toBe(want.finish);
      expect(a.usage).toEqual(want.usage);
      expect(translate(stream, [bytes])).toBe(text);
    });

    test(`${name}: the same bytes for reads of 1, 7, 64 and 1000 bytes`, () => {
      const whole = translate(stream, [bytes]);
      for (const size of [1, 7, 64, 1000]) expect(translate(stream, chunked(bytes, size))).toBe(whole);
    });
  }

  test("tool-use-single.sse split into two reads at every byte", () => {
    const bytes = FIXTURES[1]![1];
    const whole = translate(stream, [bytes]);
    for (let i = 1; i < bytes.byteLength; i++) {
      const out = translate(stream, cutAt(bytes, [i]));
      if (out !== whole) throw new Error(`a read boundary at byte ${i} of ${bytes.byteLength} changed the output`);
    }
  });

  test("parallel-tools-recorded.turn1.sse (padded JSON) split at every byte, through the pipeline every 97th", async () => {
    const bytes = FIXTURES[2]![1];
    const whole = translate(stream, [bytes]);
    for (let i = 1; i < bytes.byteLength; i++) {
      if (translate(stream, cutAt(bytes, [i])) !== whole) throw new Error(`a read boundary at byte ${i} changed the output`);
    }
    for (let i = 1; i < bytes.byteLength; i += 97) expect(normalised(await pipeline(stream, cutAt(bytes, [i, Math.min(i + 300, bytes.byteLength)])))).toBe(normalised(whole));
  });

  test("the SDK file as stored (last event unterminated) is reported as cut, after the text it had", () => {
    const a = answer(translate(stream, [recorded("anthropic/basic-text.sse")]));
    expect(a.content).toBe("Hello there!");
    expect(a.done).toBe(false);
    expect(a.error).toMatchObject({ code: "upstream_stream_incomplete", message: "upstream stream was cut off mid-event", status: 502 });
  });

  test("without include_usage: no usage chunk, nothing else changes", () => {
    const bytes = FIXTURES[2]![1];
    const a = answer(translate(stream, [bytes], streamContext({}, false)));
    expect(a.usage).toBeUndefined();
    expect(a.toolCalls).toHaveLength(2);
    expect(a.finish).toBe("tool_calls");
  });
});

test("recorded non-streamed message with two tool calls -> chat.completion", () => {
  const ctx = streamContext();
  const msg = anthropicChat.response(recordedText("anthropic/nonstream-parallel-tools.json"), ctx);
  const json = JSON.parse(openaiCompletion(msg, ctx));
  expect(json).toMatchObject({ id: "msg_019TRvczheYztAPERcbH1sWv", object: "chat.completion", model: "claude-sonnet-4-20250514" });
  expect(json.choices[0].message).toEqual({
    role: "assistant",
    content: "I'll use the test_tool twice as requested, first with count 1 and then with count 2.",
    refusal: null,
    tool_calls: [
      { id: "toolu_0179r6ofLHbaispTuUAqMJfr", type: "function", function: { name: "test_tool", arguments: '{"count":1}' } },
      { id: "toolu_012uz9XtyrRxAoELvYgkQnxi", type: "function", function: { name: "test_tool", arguments: '{"count":2}' } },
    ],
  });
  expect(json.choices[0].finish_reason).toBe("tool_calls");
  expect(json.usage).toEqual({ prompt_tokens: 418, completion_tokens: 114, total_tokens: 532, prompt_tokens_details: { cached_tokens: 0 } });
});
