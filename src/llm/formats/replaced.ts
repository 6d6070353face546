/**
 * The cleaners of a client's body before a native passthrough (native-envelopes.ts,
 * gemini-envelopes.ts) change a few items of long lists and must not touch the client's own
 * objects (another target may read them again), nor re-serialize a body in which nothing changed.
 */

/**
 * `items` with each one replaced by `f(item)` (undefined: left out), or undefined when `f` gave
 * back every item itself (nothing to change: the caller keeps the client's array).
 */
export function replaced<T>(items: readonly T[], f: (item: T) => T | undefined): T[] | undefined {
  let out: T[] | undefined;
  items.forEach((item, i) => {
    const next = f(item);
    if (next === item && out === undefined) return;
    out ??= items.slice(0, i);
    if (next !== undefined) out.push(next);
  });
  return out;
}
