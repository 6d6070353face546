/**
 * Incremental `text/event-stream` framing (WHATWG HTML, "server-sent events"): lines end in
 * CRLF, LF or CR; a blank line ends an event; `data:` lines join with "\n"; `:` lines are comments.
 *
 * Works on bytes so that only complete events are ever decoded or forwarded: a network read that
 * ends mid-event (or mid-UTF-8 character) keeps the tail until the rest arrives, and an upstream
 * that dies mid-event never leaks half an event to the client.
 */
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

/** A class: a framer is made for every stream, and its methods need not be closures made with it. */
class Framer implements SseFramer {
  private held: Uint8Array = EMPTY;

  get pending(): number {
    return this.held.byteLength;
  }

  push(chunk: Uint8Array): Uint8Array {
    const held = this.held;
    let data: Uint8Array;
    let scanFrom: number;
    if (held.byteLength === 0) {
      data = chunk;
      scanFrom = 0;
    } else {
      data = new Uint8Array(held.byteLength + chunk.byteLength);
      data.set(held, 0);
      data.set(chunk, held.byteLength);
      // the held bytes contained no boundary; one may end in the last 3 of them
      scanFrom = Math.max(0, held.byteLength - 3);
    }
    const end = lastBoundary(data, scanFrom);
    if (end === 0) {
      this.held = held.byteLength === 0 ? chunk.slice() : data;
      return EMPTY;
    }
    if (end === data.byteLength) {
      this.held = EMPTY;
      return data;
    }
    this.held = data.slice(end);
    return data.subarray(0, end);
  }

  end(): Uint8Array {
    const held = this.held;
    const n = held.byteLength;
    if (n >= 2 && held[n - 1] === CR && (held[n - 2] === CR || held[n - 2] === LF)) {
      this.held = EMPTY;
      return held;
    }
    return EMPTY;
  }
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
