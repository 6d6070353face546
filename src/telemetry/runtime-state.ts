/**
 * Live state that policies keep and the admin page shows: provider health and eviction
 * (failover, issue 13) and rate-limit and budget state per key (limits and budgets, issue 12).
 * The module that owns the state registers a reader here when it is compiled or started; the
 * admin page shows "not tracked" for a reader nobody registered. Readers are called only when
 * the page asks, never on the request path.
 */

export interface ProviderHealth {
  /** the provider or backend name as the config gives it */
  target: string;
  healthy: boolean;
  /** ms since the epoch until which the provider is evicted */
  evictedUntil?: number;
  consecutiveFailures?: number;
  lastError?: string;
}

export interface LimitState {
  /** where the policy sits (`route/r1 localRateLimit[0]`, `llm.policies budgets[1]`) */
  policy: string;
  kind: "requests" | "tokens" | "budget";
  /** the bucket's key value (`""` for a policy without `key`); never a credential itself */
  key: string;
  used: number;
  limit: number;
  /** ms since the epoch when the window or bucket refills */
  resetsAt?: number;
}

export interface RuntimeStateReaders {
  health?: () => readonly ProviderHealth[];
  limits?: () => readonly LimitState[];
}

const readers: RuntimeStateReaders = {};

/** Registers (or, with undefined, removes) the reader of one kind of state. */
export function registerStateReader<K extends keyof RuntimeStateReaders>(kind: K, reader: RuntimeStateReaders[K]): void {
  if (reader) readers[kind] = reader;
  else delete readers[kind];
}

/** What the admin page shows: each kind's entries, or null when nothing tracks it. */
export function readRuntimeState(): { health: readonly ProviderHealth[] | null; limits: readonly LimitState[] | null } {
  return { health: readers.health?.() ?? null, limits: readers.limits?.() ?? null };
}
