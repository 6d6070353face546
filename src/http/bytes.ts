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
