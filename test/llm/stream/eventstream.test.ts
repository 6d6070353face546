/**
 * The event-stream decoder against AWS's own encoder (`@smithy/eventstream-codec`): every header
 * type, frames split at every byte, random splits, and corrupted bytes (never a hang, a crash or
 * a garbage message: corruption becomes one protocol error message).
 */
import { describe, expect, test } from "bun:test";
import { EventStreamCodec, Int64, type Message } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { crc32, eventStreamFrames, INVALID_FRAME_CODE } from "../../../src/llm/stream/eventstream.ts";
import type { EventStreamMessage } from "../../../src/llm/types.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const enc = new TextEncoder();

function event(type: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: enc.encode(JSON.stringify(payload)),
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** A realistic ConverseStream: text deltas with Bedrock's "p" padding, unicode included. */
function sampleStream(): Uint8Array[] {
  const p = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456";
  return [
    event("messageStart", { p, role: "assistant" }),
    ...["Hello", " wörld", " 👋", "!"].map((text) => event("contentBlockDelta", { contentBlockIndex: 0, delta: { text }, p })),
    event("contentBlockStop", { contentBlockIndex: 0, p }),
    event("messageStop", { p, stopReason: "end_turn" }),
    event("metadata", { metrics: { latencyMs: 120 }, p, usage: { inputTokens: 9, outputTokens: 4, totalTokens: 13 } }),
  ];
}

const dec = new TextDecoder();
const summary = (m: EventStreamMessage) => `${m.headers[":message-type"]}/${m.headers[":event-type"] ?? m.headers[":error-code"]}:${dec.decode(m.payload)}`;

function decodeAll(bytes: Uint8Array, cuts: number[]): { messages: EventStreamMessage[]; pending: number } {
  const d = eventStreamFrames();
  const messages: EventStreamMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.byteLength]) {
    messages.push(...d.push(bytes.subarray(from, cut)));
    from = cut;
  }
  return { messages, pending: d.pending };
}

describe("crc32", () => {
  test("matches the IEEE check value and continues across pieces", () => {
    const data = enc.encode("123456789");
    expect(crc32(data)).toBe(0xcbf43926);
    expect(crc32(data, 4, 9, crc32(data, 0, 4))).toBe(0xcbf43926);
    expect(crc32(data)).toBe(Bun.hash.crc32(data));
  });
});

describe("eventStreamFrames", () => {
  test("decodes every header value type the AWS codec encodes", () => {
    const message: Message = {
      headers: {
        t: { type: "boolean", value: true },
        f: { type: "boolean", value: false },
        b: { type: "byte", value: -7 },
        s: { type: "short", value: -1234 },
        i: { type: "integer", value: 123456789 },
        l: { type: "long", value: Int64.fromNumber(-9007199254740991) },
        bin: { type: "binary", value: new Uint8Array([0, 1, 254, 255]) },
        str: { type: "string", value: "ünïcode ✓" },
        ts: { type: "timestamp", value: new Date(1_764_000_000_123) },
        id: { type: "uuid", value: "f6e2b9c4-8a1d-4c3b-9e7f-0123456789ab" },
      },
      body: enc.encode('{"ok":true}'),
    };
    const [m] = eventStreamFrames().push(codec.encode(message));
    expect(m!.headers).toEqual({
      t: true,
      f: false,
      b: -7,
      s: -1234,
      i: 123456789,
      l: -9007199254740991n,
      bin: new Uint8Array([0, 1, 254, 255]),
      str: "ünïcode ✓",
      ts: new Date(1_764_000_000_123),
      id: "f6e2b9c4-8a1d-4c3b-9e7f-0123456789ab",
    });
    expect(dec.decode(m!.payload)).toBe('{"ok":true}');
  });

  test("agrees with the AWS decoder on a whole stream in one read", () => {
    const frames = sampleStream();
    const { messages, pending } = decodeAll(concat(frames), []);
    expect(pending).toBe(0);
    expect(messages.map(summary)).toEqual(
      frames.map((f) => {
        const m = codec.decode(f);
        return `event/${m.headers[":event-type"]!.value}:${dec.decode(m.body)}`;
      }),
    );
  });

  test("a split at every byte position gives the same messages", () => {
    const bytes = concat(sampleStream());
    const expected = decodeAll(bytes, []).messages.map(summary);
    for (let cut = 0; cut <= bytes.byteLength; cut++) {
      const { messages, pending } = decodeAll(bytes, [cut]);
      expect(messages.map(summary)).toEqual(expected);
      expect(pending).toBe(0);
    }
  });

  test("one byte per read gives the same messages", () => {
    const bytes = concat(sampleStream());
    const cuts = Array.from({ length: bytes.byteLength - 1 }, (_, i) => i + 1);
    expect(decodeAll(bytes, cuts).messages.map(summary)).toEqual(decodeAll(bytes, []).messages.map(summary));
  });

  test("a 12 MB message in 64 KB reads, between small ones: decoded once, whole and verified; pending counts what arrived", () => {
    const big = event("contentBlockDelta", { delta: { text: "x".repeat(12_000_000) } });
    const frames = [...sampleStream().slice(0, 2), big, ...sampleStream().slice(2)];
    const bytes = concat(frames);
    const d = eventStreamFrames();
    const messages: EventStreamMessage[] = [];
    const bigAt = concat(frames.slice(0, 2)).byteLength;
    for (let at = 0; at < bytes.byteLength; at += 65536) {
      messages.push(...d.push(bytes.subarray(at, at + 65536)));
      const read = Math.min(at + 65536, bytes.byteLength);
      // inside the big message: what arrived of it is pending, nothing more
      if (read > bigAt && read < bigAt + big.byteLength) expect(d.pending).toBe(read - bigAt);
    }
    expect(d.pending).toBe(0);
    expect(messages.map(summary)).toEqual(decodeAll(bytes, []).messages.map(summary));
    expect(messages[2]!.payload.byteLength).toBe(codec.decode(big).body.byteLength);
  });

  test("a truncated stream leaves its partial frame pending", () => {
    const bytes = concat(sampleStream());
    for (const drop of [1, 4, 13, 40]) {
      const { messages, pending } = decodeAll(bytes.subarray(0, bytes.byteLength - drop), []);
      expect(messages.length).toBe(sampleStream().length - 1);
      expect(pending).toBeGreaterThan(0);
    }
  });

  test("a flipped byte anywhere ends the stream with one InvalidFrame error, after the good messages", () => {
    const frames = sampleStream();
    const bytes = concat(frames);
    const starts: number[] = [];
    frames.reduce((at, f) => (starts.push(at), at + f.byteLength), 0);
    for (let i = 0; i < bytes.byteLength; i++) {
      const corrupt = bytes.slice();
      corrupt[i] = corrupt[i]! ^ 0x5a;
      const { messages } = decodeAll(corrupt, [Math.floor(bytes.byteLength / 2)]);
      const frameOfByte = starts.findLastIndex((s) => s <= i);
      // every message before the damaged one is intact; then exactly one error, nothing after it
      expect(messages.slice(0, frameOfByte).map(summary)).toEqual(decodeAll(bytes, []).messages.slice(0, frameOfByte).map(summary));
      expect(messages.length).toBe(frameOfByte + 1);
      const last = messages.at(-1)!;
      expect(last.headers[":message-type"]).toBe("error");
      expect(last.headers[":error-code"]).toBe(INVALID_FRAME_CODE);
    }
  });

  test("fuzz: random splits and random corruption never hang, throw, or yield unverified messages", () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0;
      return seed % n;
    };
    const bytes = concat([...sampleStream(), ...sampleStream()]);
    const all = decodeAll(bytes, []).messages.map(summary);
    const good = new Set(all);
    const seen = { intact: 0, corrupted: 0, goodMessages: 0, errorEndings: 0 };
    for (let round = 0; round < 2000; round++) {
      const data = bytes.slice();
      const flips = rand(4);
      for (let k = 0; k < flips; k++) data[rand(data.byteLength)] = rand(256);
      if (rand(5) === 0) data.fill(rand(256), rand(data.byteLength)); // a garbage tail
      const cuts = Array.from({ length: rand(12) }, () => rand(data.byteLength)).sort((a, b) => a - b);
      const { messages } = decodeAll(data, cuts);
      const errors = messages.filter((m) => m.headers[":message-type"] === "error");
      const decoded = messages.filter((m) => m.headers[":message-type"] !== "error").map(summary);
      // at most one error, and only as the last message; every other message is one of the good ones
      expect(errors.length === 0 || (errors.length === 1 && messages.at(-1) === errors[0])).toBe(true);
      expect(decoded.filter((m) => !good.has(m))).toEqual([]);
      if (data.every((b, i) => b === bytes[i])) {
        // nothing was changed (flips may rewrite a byte to itself): the whole stream, however split
        seen.intact++;
        expect(decoded).toEqual(all);
        expect(errors).toEqual([]);
      } else seen.corrupted++;
      seen.goodMessages += decoded.length;
      seen.errorEndings += errors.length;
    }
    // the checks above ran on both kinds of input and on both kinds of outcome (the seed is fixed:
    // 1627 intact and 373 corrupted rounds, each corrupted one ending in its error)
    expect(seen.intact).toBeGreaterThan(1000);
    expect(seen.corrupted).toBeGreaterThan(300);
    expect(seen.goodMessages).toBeGreaterThan(20_000);
    expect(seen.errorEndings).toBeGreaterThan(300);
  });

  test("random bytes that are not an event stream at all end in an error, not a wait", () => {
    const junk = enc.encode("<html><body>502 Bad Gateway</body></html>");
    const messages = eventStreamFrames().push(junk);
    expect(messages.length).toBe(1);
    expect(messages[0]!.headers[":error-code"]).toBe(INVALID_FRAME_CODE);
  });
});
