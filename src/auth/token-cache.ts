/**
 * The one cache for cloud credentials that expire: AWS credentials, Microsoft Entra tokens and
 * Google access/ID tokens. One value per key (or a single value), fetched once for all the
 * callers that want it at the same time.
 *
 * The policy, in the order a call checks it:
 *   - fresh (now < refreshAt): served from the cache.
 *   - due but still valid (refreshAt <= now < expiresAt): served from the cache, and one refresh
 *     runs in the background. If it fails, the old value keeps being served and the next call
 *     starts another refresh (no error reaches a caller while a valid value is at hand).
 *   - expired, or never fetched: the caller waits for a fetch. Concurrent callers share it; if it
 *     fails, every one of them gets its error and nothing is cached, so the next call fetches
 *     again.
 * `refreshAt` is `expiresAt - min(REFRESH_MARGIN_MS, lifetime / 2)`, the lifetime measured from
 * when the fetch started. A source may set `refreshAt` itself for a value that never expires but
 * should be looked at again (AWS shared credential files, re-read every few minutes).
 *
 * The clock is a parameter, so tests can step over the boundaries exactly.
 */

/**
 * How long before expiry a value is renewed: five minutes, as the AWS SDK for JavaScript
 * (CREDENTIAL_EXPIRE_WINDOW) and google-auth-library (eagerRefreshThresholdMillis) do, and as
 * MSAL renews Entra tokens. It absorbs clock skew between this host and the issuer and a slow
 * token endpoint, while the usual one-hour tokens are still fetched only about once an hour.
 * Short-lived values get half their lifetime instead: a two-minute token with a five-minute margin
 * would be due on arrival and fetched again on every request.
 */
export const REFRESH_MARGIN_MS = 5 * 60_000;

/** A value as its source found it, with how long it may be used. */
export interface Expiring<V> {
  value: V;
  /** ms epoch after which the value must not be used (Infinity when it does not expire) */
  expiresAt: number;
  /** ms epoch from which to look for a fresh value; default: the margin policy above */
  refreshAt?: number | undefined;
}

export interface TokenCacheOptions {
  /** clock (ms epoch); default Date.now */
  now?: () => number;
  /** default REFRESH_MARGIN_MS */
  marginMs?: number;
}

export type Fetcher<V> = () => Promise<Expiring<V>>;

/** When a value fetched at `startedAt` and expiring at `expiresAt` is due for renewal. */
export function refreshTime(startedAt: number, expiresAt: number, marginMs = REFRESH_MARGIN_MS): number {
  const lifetime = Math.max(0, expiresAt - startedAt);
  return expiresAt - Math.min(marginMs, lifetime / 2);
}

/** One cached value and the fetch under way for it, if any. */
interface Slot<V> {
  current?: { value: V; expiresAt: number; refreshAt: number };
  inflight?: Promise<V>;
}

/** A cache of one value: the returned function gives the current value, fetching as the policy says. */
export function singleTokenCache<V>(fetch: Fetcher<V>, opts: TokenCacheOptions = {}): () => Promise<V> {
  const slot: Slot<V> = {};
  const now = opts.now ?? Date.now;
  const margin = opts.marginMs ?? REFRESH_MARGIN_MS;
  return () => read(slot, fetch, now, margin);
}

/** A cache of one value per key (keys are compared as Map keys compare them). */
export class TokenCache<V, K = string> {
  readonly #slots = new Map<K, Slot<V>>();
  readonly #now: () => number;
  readonly #margin: number;

  constructor(opts: TokenCacheOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#margin = opts.marginMs ?? REFRESH_MARGIN_MS;
  }

  /**
   * The value for `key`, fetched with `fetch` when the policy says so. `now` overrides the
   * cache's clock for this call (a cache shared by callers that each carry their own clock).
   */
  get(key: K, fetch: Fetcher<V>, now: () => number = this.#now): Promise<V> {
    let slot = this.#slots.get(key);
    if (!slot) this.#slots.set(key, (slot = {}));
    return read(slot, fetch, now, this.#margin);
  }

  /** Forgets every value; a fetch under way completes for its waiters but is not kept. */
  clear(): void {
    this.#slots.clear();
  }
}

function read<V>(slot: Slot<V>, fetch: Fetcher<V>, now: () => number, margin: number): Promise<V> {
  const t = now();
  const current = slot.current;
  if (current && t < current.refreshAt) return Promise.resolve(current.value);
  if (current && t < current.expiresAt) {
    // still valid: refresh behind the caller's back; a failure is retried on the next call
    refresh(slot, fetch, now, margin).catch(() => {});
    return Promise.resolve(current.value);
  }
  return refresh(slot, fetch, now, margin);
}

/** The slot's fetch under way, or a new one. */
function refresh<V>(slot: Slot<V>, fetch: Fetcher<V>, now: () => number, margin: number): Promise<V> {
  if (slot.inflight) return slot.inflight;
  const startedAt = now();
  // `then(fetch)`: a fetcher that throws synchronously still rejects this promise, after
  // `inflight` is set, so the `finally` below always clears it
  const pending: Promise<V> = Promise.resolve()
    .then(fetch)
    .then((got) => {
      slot.current = { value: got.value, expiresAt: got.expiresAt, refreshAt: got.refreshAt ?? refreshTime(startedAt, got.expiresAt, margin) };
      return got.value;
    })
    .finally(() => {
      if (slot.inflight === pending) slot.inflight = undefined;
    });
  slot.inflight = pending;
  return pending;
}
