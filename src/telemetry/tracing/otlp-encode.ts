/**
 * OTLP trace export requests in protobuf (opentelemetry-proto `ExportTraceServiceRequest`),
 * written directly from the gateway's span records. Measured on the reference machine, the
 * official path (an SDK span, 4-5 µs, then `@opentelemetry/otlp-transformer`'s encoding, 3-5 µs)
 * kept a fully traced gateway at 0.66-0.77x of an untraced one; a span record and this writer
 * cost about 3 µs together (bench/otel-span-cost.ts), and the test receiver decodes the result
 * with a reader written separately from the OTLP schema.
 *
 * Field numbers (trace/v1, common/v1, resource/v1):
 *   ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 }
 *   ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 }
 *   Resource      { repeated KeyValue attributes = 1 }
 *   ScopeSpans    { InstrumentationScope scope = 1; repeated Span spans = 2 }
 *   InstrumentationScope { string name = 1; string version = 2 }
 *   Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5;
 *          SpanKind kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
 *          repeated KeyValue attributes = 9; Status status = 15; fixed32 flags = 16 }
 *   Status   { string message = 2; StatusCode code = 3 }
 *   KeyValue { string key = 1; AnyValue value = 2 }
 *   AnyValue { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4 }
 */

import { usdString } from "../cost/cost.ts";

export type AttributeValue = string | number | boolean;

/** A span as written: its attributes come from `attributes(emit)` so no object holds them. */
export interface SpanRecord {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  /** W3C trace flags */
  flags: number;
  name: string;
  /** SpanKind: 2 = SERVER */
  kind: number;
  /** ms since the epoch, with the sub-ms part (written as fixed64 ns) */
  startMs: number;
  endMs: number;
  attributes: Record<string, AttributeValue> | ((emit: EmitAttribute, copy: CopyAttributes) => void);
  /** StatusCode: 0 unset, 2 error */
  status: { code: number; message?: string | undefined };
}

const enc = new TextEncoder();
/** the digits of an amount being written (`Writer.usd`): at most 16 */
const DIGITS = new Uint8Array(16);
const NIBBLE = new Uint8Array(128);
for (let i = 0; i < 16; i++) {
  NIBBLE["0123456789abcdef".charCodeAt(i)] = i;
  NIBBLE["0123456789ABCDEF".charCodeAt(i)] = i;
}

/**
 * A growable protobuf writer in one buffer. A length-delimited field reserves one byte for its
 * length, writes its content in place, then writes the length, moving the content only when it
 * is 128 bytes or longer (a span, a batch): no buffer per nested message, no copy for the small
 * ones (attributes).
 */
class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;
  /** a span's attributes, written here (made once a writer, not two closures a span) */
  readonly emitAttribute: EmitAttribute = (k, v) => keyValue(this, SPAN_ATTRIBUTES, k, v);
  readonly copyAttributes: CopyAttributes = (bytes) => this.copy(bytes);
  constructor(size = 64 * 1024) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  varint(v: number): void {
    this.ensure(10);
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }
  tag(field: number, wire: number): void {
    this.buf[this.pos++] = (field << 3) | wire; // field numbers here are < 16: one byte
  }
  /** starts a length-delimited field; returns where its length goes */
  begin(field: number): number {
    this.ensure(2);
    this.tag(field, 2);
    return this.pos++;
  }
  end(at: number): void {
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return;
    }
    const n = varintSize(len);
    this.ensure(n);
    this.buf.copyWithin(at + n, at + 1, this.pos);
    this.pos = at;
    this.varint(len);
    this.pos += len;
  }
  string(field: number, s: string): void {
    this.ensure(s.length + 6);
    const at = this.begin(field);
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      this.buf[this.pos++] = c;
    }
    if (i < s.length) {
      // not ASCII: the rest through the UTF-8 encoder
      this.ensure((s.length - i) * 3);
      this.pos += enc.encodeInto(s.slice(i), this.buf.subarray(this.pos)).written;
    }
    this.end(at);
  }
  /** bytes already encoded (a loop: they are short, and a native set() cost more than the copy) */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < bytes.length; i++) buf[pos++] = bytes[i]!;
    this.pos = pos;
  }
  /** bytes already encoded, many at once (a block of attributes) */
  copy(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
  hex(field: number, h: string): void {
    this.ensure(h.length / 2 + 2);
    const at = this.begin(field);
    for (let i = 0; i < h.length; i += 2) this.buf[this.pos++] = (NIBBLE[h.charCodeAt(i)]! << 4) | NIBBLE[h.charCodeAt(i + 1)]!;
    this.end(at);
  }
  /**
   * ms since the epoch as fixed64 ns, in two 32-bit halves without a BigInt (two per span were
   * 1% of a traced request): ns = W * 1e6 + F with W whole ms split so that every product stays
   * exact in a double.
   */
  nanosFromMs(field: number, ms: number): void {
    this.ensure(9);
    this.tag(field, 1);
    const whole = Math.floor(ms);
    const frac = Math.round((ms - whole) * 1e6);
    const wh = Math.floor(whole / 2 ** 21);
    const h = wh * 1e6; // times 2^21: exact, < 2^53
    const hh = Math.floor(h / 2 ** 11);
    const lo = (h - hh * 2 ** 11) * 2 ** 21 + (whole - wh * 2 ** 21) * 1e6 + frac;
    const carry = Math.floor(lo / 2 ** 32);
    this.view.setUint32(this.pos, lo - carry * 2 ** 32, true);
    this.view.setUint32(this.pos + 4, hh + carry, true);
    this.pos += 8;
  }
  /**
   * An amount in USD as the string `usdString` makes, its digits written straight from the
   * integer amount in units of 1e-10 USD (six per traced request: the strings were a tenth of a
   * span's cost). Amounts `usdString` writes otherwise (900,000 USD or more) go through it.
   */
  usd(field: number, value: number): void {
    const units = Math.round(value * 1e10);
    if (units === 0) return this.string(field, "0");
    if (!(units > 0 && units <= Number.MAX_SAFE_INTEGER)) return this.string(field, usdString(value));
    // the decimal digits, least significant first (% and an exact division: no rounding)
    let n = 0;
    for (let u = units; u > 0; n++) {
      const d = u % 10;
      DIGITS[n] = d;
      u = (u - d) / 10;
    }
    // the lowest of the ten decimals to write: trailing zeros are not
    let low = 0;
    while (low < 10 && (low >= n || DIGITS[low] === 0)) low++;
    this.ensure(n + 16);
    const at = this.begin(field);
    const buf = this.buf;
    if (n <= 10) buf[this.pos++] = 48; // "0"
    for (let i = n - 1; i >= 10; i--) buf[this.pos++] = 48 + DIGITS[i]!;
    if (low < 10) {
      buf[this.pos++] = 46; // "."
      for (let i = 9; i >= low; i--) buf[this.pos++] = i < n ? 48 + DIGITS[i]! : 48;
    }
    this.end(at);
  }
  double(field: number, v: number): void {
    this.ensure(9);
    this.tag(field, 1);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }
}

/**
 * An attribute key with its encodings, made once per name: every span carries the same thirty
 * keys and mostly the same values (listener, route, provider and model names). Writing them byte by
 * byte, and looking the key up per attribute, were most of a span's cost in the gateway's
 * profile; a copy of bytes written once is a fraction of it. `values` keeps the encoded KeyValue
 * of at most PER_KEY string values a key, so durations stop being added once that many were seen,
 * and none longer than MAX_KEPT_LENGTH. Names come from the code and the config, so the keys are
 * bounded too. The value written last is checked before the map: most attributes repeat the
 * previous span's value, and a string comparison is a fraction of a map lookup (which was a
 * fifth of a span). A key whose values never repeat (an id) keeps none.
 */
export interface AttributeKey {
  readonly name: string;
  /** a number value is an amount in USD, written as agentgateway writes one (`usdString`) */
  readonly usd: boolean;
  /** KeyValue.key (field 1), encoded */
  readonly field: Uint8Array;
  /** encoded KeyValue contents by string value; undefined: the key's values never repeat */
  readonly values: Map<string, Uint8Array> | undefined;
  /** the string value found last, and its encoded KeyValue contents */
  last: string | undefined;
  lastBytes: Uint8Array | undefined;
}

/** Receives a span's attributes one by one (undefined values are skipped). */
export type EmitAttribute = (key: AttributeKey, value: AttributeValue | undefined) => void;
/** Receives attributes already encoded by `encodeAttributes`, copied into the span as they are. */
export type CopyAttributes = (encoded: Uint8Array) => void;

/** Attributes encoded once as a span's KeyValues, for spans that repeat them (`CopyAttributes`). */
export function encodeAttributes(write: (emit: EmitAttribute) => void): Uint8Array {
  return encoded((w) => write((k, v) => keyValue(w, SPAN_ATTRIBUTES, k, v)));
}

const keys = new Map<string, AttributeKey>();
const PER_KEY = 64;
/** values a client chooses (a path, a header in a custom attribute) are kept only when short: at most 64 x 256 characters a key */
const MAX_KEPT_LENGTH = 256;

/**
 * The key `name`; `values: "once"` for values that never repeat (ids): none are kept; `"usd"` for
 * amounts in USD (numbers, written as agentgateway's decimal strings; none are kept either).
 */
export function attributeKey(name: string, values: "recurring" | "once" | "usd" = "recurring"): AttributeKey {
  let key = keys.get(name);
  if (key === undefined) {
    key = { name, usd: values === "usd", field: encoded((w) => w.string(1, name)), values: values === "recurring" ? new Map() : undefined, last: undefined, lastBytes: undefined };
    keys.set(name, key);
  }
  return key;
}

function encoded(write: (w: Writer) => void): Uint8Array {
  const w = new Writer(256);
  write(w);
  return w.buf.slice(0, w.pos);
}

/** the KeyValue contents for a string value, when it is or can still be kept */
function recurringKeyValue(key: AttributeKey, value: string): Uint8Array | undefined {
  if (value === key.last) return key.lastBytes;
  const values = key.values;
  if (values === undefined) return undefined;
  let bytes = values.get(value);
  if (bytes === undefined) {
    if (values.size >= PER_KEY || value.length > MAX_KEPT_LENGTH) return undefined;
    bytes = keptKeyValue(key, value);
    values.set(value, bytes);
  }
  key.last = value;
  key.lastBytes = bytes;
  return bytes;
}

/** A string value's KeyValue contents, to keep (apart from recurringKeyValue: its closure would give every call a scope object). */
function keptKeyValue(key: AttributeKey, value: string): Uint8Array {
  return encoded((w) => {
    w.raw(key.field);
    const any = w.begin(2);
    w.string(1, value);
    w.end(any);
  });
}

/** KeyValue (field `field` of its parent: 9 in a Span, 1 in a Resource) */
function keyValue(w: Writer, field: number, key: AttributeKey, value: AttributeValue | undefined): void {
  if (value === undefined) return;
  const whole = typeof value === "string" ? recurringKeyValue(key, value) : undefined;
  if (whole !== undefined) {
    w.ensure(whole.length + 3);
    w.tag(field, 2);
    w.varint(whole.length);
    w.raw(whole);
    return;
  }
  const kv = w.begin(field);
  w.raw(key.field);
  const any = w.begin(2);
  if (typeof value === "string") w.string(1, value);
  else if (typeof value === "boolean") {
    w.ensure(2);
    w.tag(2, 0);
    w.varint(value ? 1 : 0);
  } else if (key.usd) w.usd(1, value);
  else if (Number.isInteger(value) && value >= 0) {
    w.ensure(1);
    w.tag(3, 0);
    w.varint(value);
  } else w.double(4, value);
  w.end(any);
  w.end(kv);
}

/** Span.attributes */
const SPAN_ATTRIBUTES = 9;

function span(w: Writer, s: SpanRecord): void {
  w.hex(1, s.traceId);
  w.hex(2, s.spanId);
  if (s.parentSpanId) w.hex(4, s.parentSpanId);
  w.string(5, s.name);
  w.ensure(1);
  w.tag(6, 0);
  w.varint(s.kind);
  w.nanosFromMs(7, s.startMs);
  w.nanosFromMs(8, s.endMs);
  const attrs = s.attributes;
  if (typeof attrs === "function") attrs(w.emitAttribute, w.copyAttributes);
  else for (const k in attrs) keyValue(w, SPAN_ATTRIBUTES, attributeKey(k), attrs[k]);
  const status = w.begin(15);
  if (s.status.message) w.string(2, s.status.message);
  w.ensure(1);
  w.tag(3, 0);
  w.varint(s.status.code);
  w.end(status);
  // flags: the W3C trace flags, plus "the parent's remoteness is known" and "it is remote"
  w.ensure(2);
  w.buf[w.pos++] = (16 << 3) | 5; // field 16 takes a two-byte tag
  w.buf[w.pos++] = 1;
  w.view.setUint32(w.pos, (s.flags & 0xff) | 0x100 | (s.parentSpanId ? 0x200 : 0), true);
  w.pos += 4;
}

/**
 * Spans written as they finish, straight into one buffer (no span object outlives its request),
 * then wrapped into an export request when the batch is sent. The buffer is kept from batch to
 * batch (it settles at the size of a full batch, ~400 KB for 512 spans) and the export request
 * is assembled with one copy of the spans: a fresh buffer per batch, grown by doubling and
 * sliced at the end, copied each span about three times and was a tenth of a traced request's
 * CPU (zero-filled allocations and copies in the profile).
 */
export class SpanBatch {
  private w = new Writer();
  count = 0;
  add(s: SpanRecord): void {
    const at = this.w.begin(2);
    span(this.w, s);
    this.w.end(at);
    this.count++;
  }
  /** the export request for the spans added so far; the batch starts empty again */
  take(resource: Record<string, AttributeValue>, scope: { name: string; version: string }): Uint8Array {
    const spans = this.w.buf.subarray(0, this.w.pos);
    // ResourceSpans { resource = 1; scope_spans = 2 { scope = 1; spans = 2... } }: the small
    // parts first, then the lengths that enclose the spans, then one buffer of the exact size
    const head = new Writer(1024);
    const res = head.begin(1);
    for (const k in resource) keyValue(head, 1, attributeKey(k), resource[k]);
    head.end(res);
    const resBytes = head.pos;
    const sc = head.begin(1);
    head.string(1, scope.name);
    head.string(2, scope.version);
    head.end(sc);
    const scopeBytes = head.pos - resBytes;
    const ssLen = scopeBytes + spans.length;
    const rsLen = resBytes + 1 + varintSize(ssLen) + ssLen;
    const out = new Writer(1 + varintSize(rsLen) + rsLen);
    out.tag(1, 2);
    out.varint(rsLen);
    out.buf.set(head.buf.subarray(0, resBytes), out.pos);
    out.pos += resBytes;
    out.tag(2, 2);
    out.varint(ssLen);
    out.buf.set(head.buf.subarray(resBytes, resBytes + scopeBytes), out.pos);
    out.pos += scopeBytes;
    out.buf.set(spans, out.pos);
    this.w.pos = 0;
    this.count = 0;
    return out.buf;
  }
}

function varintSize(v: number): number {
  let n = 1;
  for (; v > 0x7f; v = Math.floor(v / 128)) n++;
  return n;
}

/** The export request for a batch of spans of one resource and scope. */
export function encodeExport(spans: readonly SpanRecord[], resource: Record<string, AttributeValue>, scope: { name: string; version: string }): Uint8Array {
  const batch = new SpanBatch();
  for (const s of spans) batch.add(s);
  return batch.take(resource, scope);
}
