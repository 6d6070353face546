/** Byte buffers joined into one (the single part itself when there is only one). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.byteLength;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.byteLength;
  }
  return out;
}

const bufferIndexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array | string, from?: number) => number;

/**
 * Where `needle` first occurs in `bytes` at or after `from` (-1: nowhere): Buffer's native
 * substring search called on the bytes themselves. A `Buffer` view made per call for the same
 * search cost ~150 ns, about 1.5 µs a streamed chunk when chunks come spaced (docs/performance.md).
 */
export function indexOfBytes(bytes: Uint8Array, needle: Uint8Array | string, from = 0): number {
  return bufferIndexOf.call(bytes, needle, from);
}

/** The whitespace JSON allows between tokens: space, tab, line feed, carriage return. */
function skipJsonSpace(bytes: Uint8Array, at: number): number {
  let i = at;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) break;
    i++;
  }
  return i;
}

/**
 * Whether JSON text holds the member `"key": value` however it was serialized: any JSON whitespace
 * around the colon (`JSON.stringify`'s `"k":""`, Python's `"k": ""`, an indented `"k" :\n ""`).
 * A byte scan, no parsing: `"key"` only occurs unescaped as a key or a whole string value, and a
 * value is not followed by a colon. `key` and `value` are ASCII (`value` as its JSON text, e.g. `""`).
 */
export function hasJsonMember(bytes: Uint8Array, key: string, value: string): boolean {
  const quoted = `"${key}"`;
  for (let at = indexOfBytes(bytes, quoted); at !== -1; at = indexOfBytes(bytes, quoted, at + quoted.length)) {
    let i = skipJsonSpace(bytes, at + quoted.length);
    if (bytes[i] !== 0x3a) continue;
    i = skipJsonSpace(bytes, i + 1);
    let j = 0;
    while (j < value.length && bytes[i + j] === value.charCodeAt(j)) j++;
    if (j === value.length) return true;
  }
  return false;
}
