import { describe, expect, test } from "bun:test";
import { createSseFramer, parseEvents, sseFrames } from "../../../src/llm/stream/sse.ts";
import type { SseEvent } from "../../../src/llm/types.ts";

const enc = new TextEncoder();

/** Feeds `bytes` split at `cuts`, returning events and the concatenated forwarded bytes. */
function feed(bytes: Uint8Array, cuts: number[]) {
  const d = sseFrames();
  const f = createSseFramer();
  const events: SseEvent[] = [];
  const forwarded: number[] = [];
  let prev = 0;
  for (const cut of [...cuts, bytes.byteLength]) {
    events.push(...d.push(bytes.subarray(prev, cut)));
    forwarded.push(...f.push(bytes.subarray(prev, cut)));
    prev = cut;
  }
  events.push(...(d.end?.() ?? []));
  forwarded.push(...f.end());
  expect(f.pending).toBe(d.pending);
  return { events, forwarded: new Uint8Array(forwarded), pending: d.pending };
}

const OPENAI = [
  'data: {"id":"c","choices":[{"delta":{"role":"assistant","content":"héllo 👋"}}]}\n\n',
  ": keep-alive comment\n\n",
  'data: {"id":"c","choices":[{"delta":{"content":" wörld"}}]}\n\n',
  "data: [DONE]\n\n",
].join("");

const ANTHROPIC = [
  "event: message_start\r\ndata: {\"type\":\"message_start\"}\r\n\r\n",
  "event: ping\r\ndata: {\"type\": \"ping\"}\r\n\r\n",
  "event: content_block_delta\r\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"日本\"}}\r\n\r\n",
].join("");

describe("SSE framing", () => {
  test("parses data, event, comments and multi-line data", () => {
    expect(parseEvents("event: a\ndata: 1\ndata: 2\n\n:comment\n\ndata:no-space\n\n")).toEqual([
      { event: "a", data: "1\n2" },
      { event: undefined, data: "no-space" },
    ]);
  });

  const OPENAI_EVENTS: SseEvent[] = [
    { event: undefined, data: '{"id":"c","choices":[{"delta":{"role":"assistant","content":"héllo 👋"}}]}' },
    { event: undefined, data: '{"id":"c","choices":[{"delta":{"content":" wörld"}}]}' },
    { event: undefined, data: "[DONE]" },
  ];
  const ANTHROPIC_EVENTS: SseEvent[] = [
    { event: "message_start", data: '{"type":"message_start"}' },
    { event: "ping", data: '{"type": "ping"}' },
    { event: "content_block_delta", data: '{"type":"content_block_delta","delta":{"text":"日本"}}' },
  ];
  for (const [name, text, expected] of [
    ["LF (OpenAI)", OPENAI, OPENAI_EVENTS],
    ["CRLF (Anthropic style)", ANTHROPIC, ANTHROPIC_EVENTS],
    ["CR only", OPENAI.replaceAll("\n", "\r"), OPENAI_EVENTS],
  ] as const) {
    test(`${name}: split at every byte (and every pair of bytes) decodes the same`, () => {
      const bytes = enc.encode(text);
      const whole = feed(bytes, []);
      expect(whole.events).toEqual(expected);
      expect(whole.forwarded).toEqual(bytes);
      for (let i = 1; i < bytes.byteLength; i++) {
        const r = feed(bytes, [i]);
        expect(r.events).toEqual(whole.events);
        expect(r.forwarded).toEqual(bytes);
        expect(r.pending).toBe(0);
      }
      for (let i = 1; i < bytes.byteLength; i += 3) {
        for (let j = i + 1; j < bytes.byteLength; j += 5) {
          expect(feed(bytes, [i, j]).events).toEqual(whole.events);
        }
      }
      // one byte at a time
      expect(feed(bytes, [...Array(bytes.byteLength - 1).keys()].map((k) => k + 1)).events).toEqual(whole.events);
    });
  }

  test("only complete events are forwarded: a cut mid-event (mid UTF-8 char) is held back, then released intact", () => {
    const bytes = enc.encode(OPENAI);
    const byteCut = enc.encode(OPENAI.slice(0, OPENAI.indexOf("👋"))).byteLength + 2; // inside the 4-byte emoji
    const d = sseFrames();
    const f = createSseFramer();
    expect(d.push(bytes.subarray(0, byteCut))).toEqual([]);
    expect(f.push(bytes.subarray(0, byteCut)).byteLength).toBe(0);
    expect(d.pending).toBe(byteCut);
    // the rest arrives: every event comes out whole, and the bytes forwarded are exactly the input
    const rest = d.push(bytes.subarray(byteCut));
    expect([...rest, ...(d.end?.() ?? [])]).toEqual(OPENAI_EVENTS);
    expect(new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([...f.push(bytes.subarray(byteCut)), ...f.end()]))).toBe(OPENAI);
    expect(d.pending).toBe(0);
  });

  test("an unterminated final event is not dispatched and stays pending (a truncated stream)", () => {
    const r = feed(enc.encode('data: {"a":1}\n\ndata: {"b":2}'), []);
    expect(r.events).toEqual([{ event: undefined, data: '{"a":1}' }]);
    expect(r.pending).toBe('data: {"b":2}'.length);
  });
});
