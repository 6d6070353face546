/**
 * Incremental `text/event-stream` framing (WHATWG HTML, "server-sent events"): lines end in
 * CRLF, LF or CR; a blank line ends an event; `data:` lines join with "\n"; `:` lines are comments.
 *
 * Works on bytes so that only complete events are ever decoded or forwarded: a network read that
 * ends mid-event (or mid-UTF-8 character) keeps the tail until the rest arrives, and an upstream
 * that dies mid-event never leaks half an event to the client.
 */
import { concatBytes } from "../../http/bytes.ts";
import type { FrameDecoder, SseEvent } from "../types.ts";

const LF = 10;
const CR = 13;

/** Cuts a byte stream at event boundaries, without decoding anything. */
export interface SseFramer {
  /** Feeds one network read; returns the bytes of the events it completed (possibly empty). */
  push(chunk: Uint8Array): Uint8Array;
  /**
   * End of stream: returns an event completed by the end itself (a trailing CR that could have
   * been the start of CRLF); an unterminated event is not dispatched (per the SSE spec) and stays
   * counted in `pending`.
   */
  end(): Uint8Array;
  /** Bytes of an unfinished event still held (non-zero after `end()` = truncated stream). */
  readonly pending: number;
}

const EMPTY = new Uint8Array(0);
const textDecoder = new TextDecoder();

export function createSseFramer(): SseFramer {
  return new Framer();
}

/**
 * The most of one event the gateway holds. An upstream whose event never ends (no blank line)
 * made the gateway hold all of it, hundreds of MB a second, until the process died; past this
 * the stream ends with an error event instead. As the default `maxBufferSize`: the largest
 * events real providers send (an image inline in a Gemini or OpenAI event) are a few MB.
 */
export const MAX_EVENT_BYTES = 32 * 1024 * 1024;

/** An event grew past MAX_EVENT_BYTES: the stream cannot go on (the pipeline ends it with an error event). */
export class EventTooLarge extends Error {
  constructor() {
    super(`upstream sent an event larger than ${MAX_EVENT_BYTES} bytes`);
  }
}

/** A class: a framer is made for every stream, and its methods need not be closures made with it. */
class Framer implements SseFramer {
  /**
   * The reads of an unfinished event, joined once its end arrives: joining them on every read
   * copied a large event again for each read (a 3 MB image event in 64 KB reads: ~70 MB copied).
   */
  private held: Uint8Array[] = [];
  private heldBytes = 0;

  get pending(): number {
    return this.heldBytes;
  }

  push(chunk: Uint8Array): Uint8Array {
    if (chunk.byteLength === 0) return EMPTY;
    let end = lastBoundary(chunk, 0);
    if (this.heldBytes === 0) {
      if (end === chunk.byteLength) return chunk;
      this.hold(chunk.subarray(end));
      return chunk.subarray(0, end);
    }
    if (end === 0) {
      // none within this read; one may still end in its first bytes, begun in the held bytes:
      // look at the held bytes' last 3 (and 2 more for a CRLF pair's look-behind) with them
      const k = Math.min(5, this.heldBytes);
      const window = new Uint8Array(k + Math.min(4, chunk.byteLength));
      window.set(tailOf(this.held, k), 0);
      window.set(chunk.subarray(0, window.byteLength - k), k);
      const found = lastBoundary(window, Math.max(0, k - 3));
      if (found === 0) {
        this.hold(chunk);
        return EMPTY;
      }
      // (at k when the held bytes' last CR turned out to end an event: none of this read is in it)
      end = Math.max(0, found - k);
    }
    const held = this.held;
    held.push(chunk.subarray(0, end));
    const out = concatBytes(held);
    this.held = [];
    this.heldBytes = 0;
    this.hold(chunk.subarray(end));
    return out;
  }

  end(): Uint8Array {
    const n = this.heldBytes;
    if (n < 2) return EMPTY;
    const [before, last] = tailOf(this.held, 2);
    if (last === CR && (before === CR || before === LF)) {
      const out = concatBytes(this.held);
      this.held = [];
      this.heldBytes = 0;
      return out;
    }
    return EMPTY;
  }

  /** keeps `bytes` (a copy: the read's buffer is not held on to) as part of the unfinished event */
  private hold(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.heldBytes += bytes.byteLength;
    if (this.heldBytes > MAX_EVENT_BYTES) {
      this.held = [];
      this.heldBytes = 0;
      throw new EventTooLarge();
    }
    this.held.push(bytes.slice());
  }
}

/** The last `n` bytes of `parts` (n at most their total). */
function tailOf(parts: readonly Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let at = n;
  for (let i = parts.length - 1; i >= 0 && at > 0; i--) {
    const p = parts[i]!;
    const take = Math.min(at, p.byteLength);
    out.set(p.subarray(p.byteLength - take), at - take);
    at -= take;
  }
  return out;
}

/**
 * Index just past the last blank line in `data` (0 if none), looking at positions >= `from`.
 * A CR as the very last byte is not trusted: its LF may be in the next read.
 */
function lastBoundary(data: Uint8Array, from: number): number {
  for (let i = data.byteLength - 1; i >= from; i--) {
    const c = data[i];
    if (c === LF) {
      let p = i - 1;
      if (p >= 0 && data[p] === CR) p--;
      if (p >= 0 && (data[p] === LF || data[p] === CR)) return i + 1;
    } else if (c === CR && i + 1 < data.byteLength && data[i + 1] !== LF) {
      const p = i - 1;
      if (p >= 0 && (data[p] === CR || data[p] === LF)) return i + 1;
    }
  }
  return 0;
}

/** Parses text made of complete events. */
export function parseEvents(text: string): SseEvent[] {
  const cr = text.indexOf("\r");
  // a CR that is not part of CRLF ends lines on its own: the general (slower) path
  if (cr !== -1 && text.charCodeAt(cr + 1) !== LF) return parseLines(text.split(/\r\n|\r|\n/));
  const events: SseEvent[] = [];
  let event: string | undefined;
  let data: string | undefined;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    let end = text.indexOf("\n", pos);
    if (end === -1) end = n;
    const lineEnd = end > pos && text.charCodeAt(end - 1) === CR ? end - 1 : end;
    if (lineEnd === pos) {
      if (data !== undefined) events.push({ event, data });
      event = undefined;
      data = undefined;
    } else if (text.startsWith("data:", pos)) {
      const from = text.charCodeAt(pos + 5) === 32 ? pos + 6 : pos + 5;
      const value = text.slice(from, lineEnd);
      data = data === undefined ? value : `${data}\n${value}`;
    } else if (text.startsWith("event:", pos)) {
      event = text.slice(text.charCodeAt(pos + 6) === 32 ? pos + 7 : pos + 6, lineEnd);
    }
    // other fields (id, retry) and comments (":...") are not used by the gateway
    pos = end + 1;
  }
  return events;
}

function parseLines(lines: string[]): SseEvent[] {
  const events: SseEvent[] = [];
  let event: string | undefined;
  let data: string | undefined;
  for (const line of lines) {
    if (line === "") {
      if (data !== undefined) events.push({ event, data });
      event = undefined;
      data = undefined;
      continue;
    }
    if (line.charCodeAt(0) === 58 /* : */) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === "data") data = data === undefined ? value : `${data}\n${value}`;
    else if (field === "event") event = value;
  }
  return events;
}

/** Events as a frame source for translated streams: only complete events are ever decoded. */
export function sseFrames(): FrameDecoder<SseEvent> {
  return new SseFrames();
}

class SseFrames implements FrameDecoder<SseEvent> {
  private readonly framer = new Framer();

  push(chunk: Uint8Array): SseEvent[] {
    return eventsOf(this.framer.push(chunk));
  }

  end(): SseEvent[] {
    return eventsOf(this.framer.end());
  }

  get pending(): number {
    return this.framer.pending;
  }
}

function eventsOf(bytes: Uint8Array): SseEvent[] {
  return bytes.byteLength === 0 ? [] : parseEvents(textDecoder.decode(bytes));
}
