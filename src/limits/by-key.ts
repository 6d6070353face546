/**
 * Values by a limit's spec id, then the request's key (buckets, spend, leases): two lookups of
 * strings the request already holds (the key is often a stored fingerprint), where one of
 * `id + key` made a string and hashed it every time.
 */
export class ByKey<V> {
  private readonly specs = new Map<string, Map<string, V>>();
  size = 0;

  get(id: string, key: string): V | undefined {
    return this.specs.get(id)?.get(key);
  }

  set(id: string, key: string, value: V): void {
    let keys = this.specs.get(id);
    if (!keys) this.specs.set(id, (keys = new Map()));
    if (!keys.has(key)) this.size++;
    keys.set(key, value);
  }

  clear(): void {
    this.specs.clear();
    this.size = 0;
  }

  /** Removes the values `drop` says to (idle buckets). */
  sweep(drop: (value: V) => boolean): void {
    for (const [id, keys] of this.specs) {
      for (const [key, value] of keys) {
        if (!drop(value)) continue;
        keys.delete(key);
        this.size--;
      }
      if (keys.size === 0) this.specs.delete(id);
    }
  }
}
