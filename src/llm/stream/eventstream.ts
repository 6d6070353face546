/**
 * AWS `application/vnd.amazon.eventstream` framing (Bedrock ConverseStream, InvokeModelWithResponseStream).
 *
 *   total_len u32 | headers_len u32 | prelude_crc u32 | headers | payload | message_crc u32
 *
 * All integers big-endian; both CRCs are CRC-32 (IEEE, as in gzip), the first over the 8 length
 * bytes, the second over everything before it. A header is `name_len u8 | name | type u8 | value`
 * with ten value types (0 true, 1 false, 2 int8, 3 int16, 4 int32, 5 int64, 6 bytes, 7 string,
 * 8 timestamp, 9 uuid).
 *
 * Decoding is incremental: a network read may end anywhere, even inside the prelude, and the
 * tail is kept until the rest arrives. Only whole, checksum-verified messages are ever returned.
 * The prelude is verified as soon as its 12 bytes are in, so a corrupted length can never make
 * the decoder wait for gigabytes that will not come.
 *
 * Headers objects are frozen (a repeated header section shares one object).
 *
 * A corrupt stream (bad checksum, impossible length, malformed header) yields one last message
 * of the protocol's own error kind (`:message-type: error`, `:error-code: InvalidFrame`,
 * `:error-message`), after the good messages that preceded it; the decoder then returns nothing
 * more. Translators handle protocol errors anyway, so corruption becomes an error event for the
 * client, never garbage.
 */
import { concatBytes } from "../../http/bytes.ts";
import type { EventStreamMessage, FrameDecoder } from "../types.ts";

export type EventStreamHeaderValue = EventStreamMessage["headers"][string];

const PRELUDE_BYTES = 12;
/** prelude + trailing message CRC */
const OVERHEAD_BYTES = 16;
/** AWS caps messages at 16 MiB and the header section at 128 KiB */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
const MAX_HEADER_BYTES = 128 * 1024;

export const INVALID_FRAME_CODE = "InvalidFrame";

const EMPTY = new Uint8Array(0);
const utf8Decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------
/**
 * CRC-32 (IEEE, as in gzip) of `bytes[start, end)`, with Bun's native implementation (about 30x
 * faster here than a table-driven one in JS). `previous` continues a checksum already computed
 * over the bytes just before `start`, so a message's CRC reuses its prelude's.
 */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.byteLength, previous = 0): number {
  return Bun.hash.crc32(start === 0 && end === bytes.byteLength ? bytes : bytes.subarray(start, end), previous);
}

/** The table of the IEEE polynomial, for the prelude's 8 bytes (below). */
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32 of the 8 length bytes at `at`, in JavaScript: for 8 bytes the native call's view of them
 * (a Uint8Array made per message) costs more than the table loop.
 */
function preludeCrc32(bytes: Uint8Array, at: number): number {
  let c = 0xffffffff;
  for (let i = at; i < at + 8; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------------------------------------
// decoder

class FrameError extends Error {}

/** The decoder as a frame source for translated streams. */
export function eventStreamFrames(): FrameDecoder<EventStreamMessage> {
  /** bytes after the last whole message whose prelude is not complete yet */
  let held: Uint8Array = EMPTY;
  /**
   * A message whose prelude was read (its length known and checked), filled read by read in a
   * buffer that doubles as it fills (so memory follows what arrived, not what a prelude claims):
   * joining the held bytes with each read copied a large message again for every read
   * (quadratic in its size, up to MAX_MESSAGE_BYTES).
   */
  let filling: Uint8Array | undefined;
  let filled = 0;
  let fillTotal = 0;
  let broken = false;
  const decode = (buf: Uint8Array, out: EventStreamMessage[]): void => {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = 0;
    try {
      while (buf.byteLength - off >= PRELUDE_BYTES) {
        const total = view.getUint32(off);
        const headersLen = view.getUint32(off + 4);
        const preludeCrc = preludeCrc32(buf, off);
        if (preludeCrc !== view.getUint32(off + 8)) throw new FrameError("prelude checksum mismatch");
        if (total < OVERHEAD_BYTES || total > MAX_MESSAGE_BYTES || headersLen > MAX_HEADER_BYTES || headersLen > total - OVERHEAD_BYTES) {
          throw new FrameError(`impossible lengths (message ${total} bytes, headers ${headersLen} bytes)`);
        }
        if (buf.byteLength - off < total) {
          // the rest of this message is still to come: filled as it does (`filling`)
          filled = buf.byteLength - off;
          fillTotal = total;
          filling = new Uint8Array(Math.min(total, Math.max(2 * filled, 64 * 1024)));
          filling.set(buf.subarray(off));
          held = EMPTY;
          return;
        }
        const crcAt = off + total - 4;
        if (crc32(buf, off + 8, crcAt, preludeCrc) !== view.getUint32(crcAt)) throw new FrameError("message checksum mismatch");
        const headersEnd = off + PRELUDE_BYTES + headersLen;
        out.push({ headers: headersOf(buf, view, off + PRELUDE_BYTES, headersEnd), payload: buf.subarray(headersEnd, crcAt) });
        off += total;
      }
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      broken = true;
      held = EMPTY;
      filling = undefined;
      out.push(invalidFrame(err.message));
      return;
    }
    held = off === buf.byteLength ? EMPTY : buf.slice(off);
  };
  return {
    get pending() {
      return held.byteLength + filled;
    },
    push(chunk) {
      if (broken || chunk.byteLength === 0) return [];
      const out: EventStreamMessage[] = [];
      let rest = chunk;
      if (filling) {
        const take = Math.min(fillTotal - filled, rest.byteLength);
        if (filled + take > filling.byteLength) {
          const grown = new Uint8Array(Math.min(fillTotal, Math.max(2 * filling.byteLength, filled + take)));
          grown.set(filling.subarray(0, filled));
          filling = grown;
        }
        filling.set(rest.subarray(0, take), filled);
        filled += take;
        if (filled < fillTotal) return out;
        const whole = filling;
        filling = undefined;
        filled = 0;
        decode(whole, out);
        rest = rest.subarray(take);
        if (broken || rest.byteLength === 0) return out;
      }
      decode(held.byteLength === 0 ? rest : concatBytes([held, rest]), out);
      return out;
    },
  };
}

function invalidFrame(reason: string): EventStreamMessage {
  return {
    headers: {
      ":message-type": "error",
      ":error-code": INVALID_FRAME_CODE,
      ":error-message": `upstream sent a corrupt event-stream frame: ${reason}`,
    },
    payload: EMPTY,
  };
}

/**
 * Consecutive messages usually carry byte-identical header sections (one text delta after
 * another): the last section's decoding is reused (frozen, so no consumer can change it for the
 * next message) when the bytes match.
 */
let lastSection: Uint8Array = EMPTY;
let lastHeaders: Readonly<Record<string, EventStreamHeaderValue>> = Object.freeze({});

function headersOf(b: Uint8Array, view: DataView, start: number, end: number): Record<string, EventStreamHeaderValue> {
  const len = end - start;
  if (len === lastSection.byteLength && len > 0) {
    let i = 0;
    while (i < len && b[start + i] === lastSection[i]) i++;
    if (i === len) return lastHeaders as Record<string, EventStreamHeaderValue>;
  }
  const headers = Object.freeze(decodeHeaders(b, view, start, end));
  if (len <= 512) {
    lastSection = b.slice(start, end);
    lastHeaders = headers;
  }
  return headers;
}

function decodeHeaders(b: Uint8Array, view: DataView, pos: number, end: number): Record<string, EventStreamHeaderValue> {
  const headers: Record<string, EventStreamHeaderValue> = {};
  while (pos < end) {
    const nameLen = b[pos++]!;
    if (nameLen === 0 || pos + nameLen + 1 > end) throw new FrameError("malformed header name");
    const name = text(b, pos, pos + nameLen);
    pos += nameLen;
    const type = b[pos++]!;
    // strings first: the only type Bedrock sends
    if (type === 7 || type === 6) {
      if (pos + 2 > end) throw new FrameError(OVERRUN);
      const len = view.getUint16(pos);
      pos += 2;
      if (pos + len > end) throw new FrameError(OVERRUN);
      headers[name] = type === 7 ? text(b, pos, pos + len) : b.slice(pos, pos + len);
      pos += len;
      continue;
    }
    const size = FIXED_SIZE[type];
    if (size === undefined) throw new FrameError(`unknown header value type ${type}`);
    if (pos + size > end) throw new FrameError(OVERRUN);
    headers[name] = fixedValue(type, b, view, pos);
    pos += size;
  }
  return headers;
}

const OVERRUN = "header runs past its section";
/** value sizes of the fixed-size header types */
const FIXED_SIZE: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };

function fixedValue(type: number, b: Uint8Array, view: DataView, pos: number): EventStreamHeaderValue {
  switch (type) {
    case 0:
      return true;
    case 1:
      return false;
    case 2:
      return view.getInt8(pos);
    case 3:
      return view.getInt16(pos);
    case 4:
      return view.getInt32(pos);
    case 5:
      return view.getBigInt64(pos);
    case 8:
      return new Date(Number(view.getBigInt64(pos)));
    default:
      return uuid(b, pos);
  }
}

/**
 * Header names and values repeat on every message (`:event-type`, `contentBlockDelta`...):
 * short ASCII strings are interned, found again by comparing bytes, without building a string.
 */
const interned = new Map<number, string>();
const MAX_INTERNED = 256;
const MAX_INTERNED_LENGTH = 32;

/** UTF-8 text: interned when short ASCII (every header name, most values). */
function text(b: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len === 0) return "";
  if (len > MAX_INTERNED_LENGTH) return utf8Decoder.decode(b.subarray(start, end));
  const key = (len << 24) ^ (b[start]! << 16) ^ (b[end - 1]! << 8) ^ b[start + (len >> 1)]!;
  const hit = interned.get(key);
  if (hit !== undefined && hit.length === len) {
    let i = 0;
    while (i < len && hit.charCodeAt(i) === b[start + i]) i++;
    if (i === len) return hit;
  }
  let s = "";
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    if (c >= 0x80) return utf8Decoder.decode(b.subarray(start, end));
    s += String.fromCharCode(c);
  }
  if (interned.size < MAX_INTERNED) interned.set(key, s);
  return s;
}

function uuid(b: Uint8Array, at: number): string {
  let hex = "";
  for (let i = at; i < at + 16; i++) hex += b[i]!.toString(16).padStart(2, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
