/**
 * The stream translator inside the core's streaming pipeline, fed byte-exact Anthropic SSE split
 * at every possible position: the client bytes must not depend on how the network cut the reads.
 */
import { describe, expect, test } from "bun:test";
import { anthropicStream, compactDelta } from "../../../../src/llm/providers/anthropic/stream.ts";
import { HttpError } from "../../../../src/http/errors.ts";
import { openaiChunkWriter } from "../../../../src/llm/hub/openai-writer.ts";
import { translatedStream } from "../../../../src/llm/stream/relays.ts";
import { encodeEvents, type AnthropicEvent } from "../../../emulators/anthropic.ts";
import * as s from "./scripts.ts";

/** A turn with multi-byte UTF-8 in text, thinking and tool arguments, and escapes. */
const unicodeTurn: AnthropicEvent[] = [
  s.messageStart("msg_01Unicode", { input_tokens: 40 }),
  s.thinkingStart(0),
  s.thinking(0, "Grüße → “quotes” and \\ backslashes"),
  s.signature(0, s.THINKING_SIGNATURE),
  s.stop(0),
  s.textStart(1),
  s.text(1, "Bonjour 👋, il fait 18°C"),
  s.text(1, ' à Paris. "}} not the end'),
  s.stop(1),
  s.toolStart(2, "toolu_01Uni", "note"),
  s.json(2, '{"text": "日本語'),
  s.json(2, ' テキスト"}'),
  s.stop(2),
  s.messageDelta("tool_use", { output_tokens: 60 }),
  s.messageStop,
];

async function translate(pieces: Uint8Array[], includeUsage = true): Promise<string> {
  const upstream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of pieces) c.enqueue(p);
      c.close();
    },
  });
  const ctx = { model: "m", includeUsage, created: 1700000000, upstreamHeaders: new Headers() };
  const writer = openaiChunkWriter(ctx);
  const body = await translatedStream({
    upstream,
    onEnd() {},
    startedAt: performance.now(), answerAt: "content",
    translator: anthropicStream(ctx, writer),
    writer,
  });
  return new Response(body).text();
}

describe("reads split at any byte", () => {
  const DONE = ["data: [DONE]", "tool_calls"] as const;
  for (const [name, events, [lastEvent, finish]] of [
    ["unicode turn", unicodeTurn, DONE],
    ["parallel tools", s.parallelTools, DONE],
    ["error mid-stream", s.errorMidStream, ['data: {"error":{"message":"Overloaded","type":"api_error","param":null,"code":"overloaded_error","status":529}}', null]],
  ] as const) {
    test(name, async () => {
      const bytes = new TextEncoder().encode(encodeEvents(events));
      const whole = await translate([bytes]);
      // the unsplit translation ends as this turn must: its finish reason (none for an error), then
      // [DONE] or the error event (every chunk has a finish_reason key: only its value says anything)
      expect(whole.trimEnd().split("\n\n").at(-1)).toBe(lastEvent);
      expect([...whole.matchAll(/"finish_reason":"([a-z_]+)"/g)].map((m) => m[1])).toEqual(finish === null ? [] : [finish]);
      for (let i = 1; i < bytes.length; i++) {
        const out = await translate([bytes.subarray(0, i), bytes.subarray(i)]);
        if (out !== whole) throw new Error(`split at byte ${i} of ${bytes.length} changed the output`);
      }
      // and one byte per read
      expect(await translate(Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)))).toBe(whole);
    });
  }

  test("CRLF line endings decode the same", async () => {
    const lf = encodeEvents(s.oneTool);
    expect(await translate([new TextEncoder().encode(lf.replace(/\n/g, "\r\n"))])).toBe(await translate([new TextEncoder().encode(lf)]));
  });
});

describe("fast path and parsed path agree", () => {
  test("compact (as the API sends) and pretty-printed events give the same chunks", async () => {
    for (const events of [unicodeTurn, s.plainText, s.parallelTools, s.toolNoArgs, s.thinkingTool]) {
      const compact = await translate([new TextEncoder().encode(encodeEvents(events))]);
      const spaced = await translate([new TextEncoder().encode(encodeEvents(events, true))]);
      expect(spaced).toBe(compact);
    }
  });

  test("the unicode turn decodes to the right values", async () => {
    const out = await translate([new TextEncoder().encode(encodeEvents(unicodeTurn))], false);
    const chunks = out
      .split("\n\n")
      .filter((l) => l.startsWith("data: {"))
      .map((l) => JSON.parse(l.slice(6)));
    const deltas = chunks.map((c) => c.choices[0].delta);
    expect(deltas.map((d) => d.content ?? "").join("")).toBe('Bonjour 👋, il fait 18°C à Paris. "}} not the end');
    expect(deltas.map((d) => d.reasoning_content ?? "").join("")).toBe("Grüße → “quotes” and \\ backslashes");
    expect(JSON.parse(deltas.flatMap((d) => d.tool_calls ?? []).map((c: { function: { arguments?: string } }) => c.function.arguments ?? "").join(""))).toEqual({ text: "日本語 テキスト" });
    expect(deltas.at(-1).thinking_blocks).toEqual([{ type: "thinking", thinking: "Grüße → “quotes” and \\ backslashes", signature: s.THINKING_SIGNATURE }]);
    expect(out.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  test("compactDelta takes only the exact compact shape", () => {
    expect(compactDelta('{"type":"content_block_delta","index":12,"delta":{"type":"text_delta","text":"a\\"}}b"}}')).toEqual({
      index: 12,
      type: "text_delta",
      literal: '"a\\"}}b"',
    });
    expect(compactDelta('{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}')!.literal).toBe('""');
    // fields in another order, extra fields, other types: left to JSON.parse
    expect(compactDelta('{"type":"content_block_delta","index":0,"delta":{"text":"p","type":"text_delta"}}')).toBeUndefined();
    expect(compactDelta('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","x":"b"}}')).toBeUndefined();
    expect(compactDelta('{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"},"x":1}')).toBeUndefined();
    expect(compactDelta('{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{"type":"x"}}}')).toBeUndefined();
    expect(compactDelta('{"type":"content_block_delta","index":0,"delta":{"type":"constructor","text":"a"}}')).toBeUndefined();
    expect(compactDelta('{"type":"message_delta","delta":{"stop_reason":"end_turn"}}')).toBeUndefined();
  });
});

describe("robustness", () => {
  test("unknown events, pings and a repeated message_start change nothing", async () => {
    const noisy: AnthropicEvent[] = [
      s.plainText[0]!,
      s.ping,
      { type: "future_event", payload: { x: 1 } },
      s.plainText[0]!,
      ...s.plainText.slice(1),
    ];
    expect(await translate([new TextEncoder().encode(encodeEvents(noisy))])).toBe(await translate([new TextEncoder().encode(encodeEvents(s.plainText))]));
  });

  test("garbage in an event ends the stream with an error event", async () => {
    const out = await translate([new TextEncoder().encode(`${encodeEvents(s.plainText.slice(0, 4))}event: content_block_delta\ndata: {not json\n\n`)]);
    expect(out).toContain('"delta":{"content":"Hello"}');
    expect(out.trimEnd().split("\n\n").at(-1)).toBe(
      'data: {"error":{"message":"upstream sent an invalid stream event","type":"api_error","param":null,"code":"upstream_invalid_event","status":502}}',
    );
  });

  test("garbage before any content is a real HTTP error, with the same type and code", async () => {
    const err = await translate([new TextEncoder().encode(`${encodeEvents(s.plainText.slice(0, 3))}event: content_block_delta\ndata: {not json\n\n`)]).catch((e) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 502, type: "api_error", code: "upstream_invalid_event", message: "upstream sent an invalid stream event" });
  });
});
