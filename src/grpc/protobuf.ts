/**
 * The little protobuf the gateway's gRPC calls need (ext_authz, rate limit service): messages built as nested byte arrays
 * (strings, varints, sub-messages, string maps) and a reader that lists a message's fields by
 * number. Field numbers are in the callers (Envoy's `envoy/service/auth/v3/external_auth.proto`,
 * `envoy/service/ratelimit/v3/rls.proto`...). One request per exchange, a few
 * hundred bytes: clarity over the OTLP encoder's speed tricks.
 */

import { concatBytes } from "../http/bytes.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

function varint(v: number): number[] {
  const out: number[] = [];
  while (v > 0x7f) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** A message under construction: its fields, in order. */
export type Fields = Uint8Array[];

/** A length-delimited field (wire type 2): bytes, a string or a sub-message. */
export function bytesField(field: number, value: Uint8Array): Uint8Array {
  return concatBytes([new Uint8Array([...varint((field << 3) | 2), ...varint(value.byteLength)]), value]);
}

export function stringField(field: number, value: string): Uint8Array | undefined {
  return value === "" ? undefined : bytesField(field, enc.encode(value));
}

export function varintField(field: number, value: number): Uint8Array | undefined {
  return value === 0 ? undefined : new Uint8Array([...varint(field << 3), ...varint(value)]);
}

/** A sub-message from its fields (absent fields, undefined, are skipped). */
export function messageField(field: number, fields: readonly (Uint8Array | undefined)[]): Uint8Array {
  return bytesField(field, message(fields));
}

export function message(fields: readonly (Uint8Array | undefined)[]): Uint8Array {
  return concatBytes(fields.filter((f): f is Uint8Array => f !== undefined));
}

/** `map<string, string>` entries: one `{key = 1, value = 2}` message per entry. */
export function stringMapField(field: number, map: Iterable<readonly [string, string]>): Uint8Array[] {
  return [...map].map(([k, v]) => messageField(field, [stringField(1, k), stringField(2, v)]));
}

/** A double (wire type 1, little-endian). */
export function doubleField(field: number, value: number): Uint8Array {
  const out = new Uint8Array(1 + 8);
  out[0] = (field << 3) | 1; // fields here are below 16: one tag byte
  new DataView(out.buffer).setFloat64(1, value, true);
  return out;
}

/**
 * JSON data as google.protobuf.Struct fields (`fields = 1`: map<string, Value>); a Value is
 * null_value = 1, number_value = 2, string_value = 3, bool_value = 4, struct_value = 5,
 * list_value = 6 (ListValue: values = 1).
 */
export function structFields(obj: object): Uint8Array[] {
  return Object.entries(obj).map(([k, v]) => messageField(1, [stringField(1, k), messageField(2, valueFields(v))]));
}

function valueFields(v: unknown): (Uint8Array | undefined)[] {
  if (v === null || v === undefined) return [new Uint8Array([1 << 3, 0])];
  if (typeof v === "number") return [doubleField(2, v)];
  if (typeof v === "string") return [bytesField(3, enc.encode(v))];
  if (typeof v === "boolean") return [new Uint8Array([4 << 3, v ? 1 : 0])];
  if (Array.isArray(v)) return [messageField(6, v.map((x) => messageField(1, valueFields(x))))];
  if (typeof v === "object") return [messageField(5, structFields(v))];
  return [bytesField(3, enc.encode(String(v)))];
}

/** A decoded message: each field number's values (varints as numbers, length-delimited as bytes). */
export type Decoded = Map<number, (number | Uint8Array)[]>;

/** Reads one message; throws on a malformed one (the caller's failure mode decides). */
export function decode(bytes: Uint8Array): Decoded {
  const out: Decoded = new Map();
  let at = 0;
  const readVarint = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      if (at >= bytes.byteLength) throw new Error("truncated protobuf varint");
      const b = bytes[at++]!;
      v += (b & 0x7f) * scale;
      if (b < 0x80) return v;
      scale *= 0x80;
    }
  };
  while (at < bytes.byteLength) {
    const tag = readVarint();
    const field = Math.floor(tag / 8);
    let value: number | Uint8Array;
    switch (tag & 7) {
      case 0:
        value = readVarint();
        break;
      case 1:
        at += 8; // fixed64: not used by the messages read here
        continue;
      case 2: {
        const n = readVarint();
        if (at + n > bytes.byteLength) throw new Error("truncated protobuf field");
        value = bytes.subarray(at, at + n);
        at += n;
        break;
      }
      case 5:
        at += 4;
        continue;
      default:
        throw new Error(`unsupported protobuf wire type ${tag & 7}`);
    }
    const list = out.get(field);
    if (list) list.push(value);
    else out.set(field, [value]);
  }
  return out;
}

/** The last value of a sub-message field, decoded (protobuf: the last one wins). */
export function subMessage(m: Decoded, field: number): Decoded | undefined {
  const v = m.get(field)?.at(-1);
  return v instanceof Uint8Array ? decode(v) : undefined;
}

export function subMessages(m: Decoded, field: number): Decoded[] {
  return (m.get(field) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array).map(decode);
}

export function stringOf(m: Decoded, field: number): string {
  const v = m.get(field)?.at(-1);
  return v instanceof Uint8Array ? dec.decode(v) : "";
}

export function numberOf(m: Decoded, field: number): number {
  const v = m.get(field)?.at(-1);
  return typeof v === "number" ? v : 0;
}

export function stringsOf(m: Decoded, field: number): string[] {
  return (m.get(field) ?? []).filter((v): v is Uint8Array => v instanceof Uint8Array).map((v) => dec.decode(v));
}
