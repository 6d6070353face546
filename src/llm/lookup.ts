/**
 * A table's entry for a key that came from outside the gateway (a provider's error type, finish
 * reason or exception kind; a client's media type): the table's own entries only. A plain index
 * would answer Object.prototype's members too (`constructor`, `__proto__`, `toString`), and a
 * function or an object would go on as a status, a finish reason or a format.
 */
export function lookup<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
