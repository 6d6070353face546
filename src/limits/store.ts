/**
 * Where rate-limit buckets and budget spend live: in this process (the default), or in Redis
 * (`config.redis`, src/limits/redis.ts) so every replica enforces one limit. The in-process store
 * answers synchronously; callers await only when they get a promise.
 *
 * Buckets are agentgateway's token buckets (its local rate limiter, forked from pelikan's
 * ratelimit crate): a bucket starts full with `max` tokens; every `intervalMs` after its creation
 * `perFill` tokens are added, up to `max`.
 */
import { ByKey } from "./by-key.ts";

export interface BucketSpec {
  /** stable across replicas and reloads of the same config: the policy's place and settings */
  readonly id: string;
  readonly max: number;
  readonly perFill: number;
  readonly intervalMs: number;
}

export interface BucketState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** ms until the next refill */
  resetMs: number;
}

export interface BudgetSpec {
  readonly id: string;
  /** window length in ms; 0 for "total" */
  readonly windowMs: number;
}

export type MaybePromise<T> = T | Promise<T>;

/** `n` tokens from the bucket `spec` / `key`; n = 0 only checks that one is left. */
export interface TakeItem {
  spec: BucketSpec;
  key: string;
  n: number;
}

export interface LimitStore {
  readonly kind: "memory" | "redis";
  /** takes from every bucket at once, or from none when one lacks tokens (its state says allowed: false) */
  take(items: readonly TakeItem[]): MaybePromise<BucketState[]>;
  /** removes `n` tokens after the fact (never below zero) */
  amend(spec: BucketSpec, key: string, n: number): MaybePromise<void>;
  /** USD spent by `key` in the current window */
  spent(spec: BudgetSpec, key: string): MaybePromise<number>;
  charge(spec: BudgetSpec, key: string, usd: number): MaybePromise<void>;
}

interface Bucket {
  available: number;
  refillAt: number;
  spec: BucketSpec;
}

/** Buckets beyond this many are swept of the ones that are full again (idle tenants). */
const SWEEP_AT = 10_000;

export function memoryStore(now: () => number = () => performance.now(), wallClock: () => number = Date.now): LimitStore {
  const buckets = new ByKey<Bucket>();
  const spend = new ByKey<{ window: number; usd: number }>();
  const bucket = (spec: BucketSpec, key: string): Bucket => {
    let b = buckets.get(spec.id, key);
    const t = now();
    if (!b) {
      if (buckets.size >= SWEEP_AT) buckets.sweep((idle) => full(idle, t));
      b = { available: spec.max, refillAt: t + spec.intervalMs, spec };
      buckets.set(spec.id, key, b);
    } else refill(b, t);
    return b;
  };
  const windowOf = (spec: BudgetSpec) => (spec.windowMs === 0 ? 0 : Math.floor(wallClock() / spec.windowMs));
  return {
    kind: "memory",
    // (loops, not map/every callbacks: this runs on every limited request)
    take(items) {
      const bs: Bucket[] = [];
      const enough: boolean[] = [];
      let all = true;
      for (const i of items) {
        const b = bucket(i.spec, i.key);
        const ok = i.n === 0 ? b.available >= 1 : i.n <= b.available;
        bs.push(b);
        enough.push(ok);
        all &&= ok;
      }
      const t = now();
      const states: BucketState[] = [];
      for (let j = 0; j < items.length; j++) {
        const i = items[j]!;
        const b = bs[j]!;
        if (all) b.available -= i.n;
        states.push({ allowed: enough[j]!, limit: i.spec.max, remaining: b.available, resetMs: Math.max(0, b.refillAt - t) });
      }
      return states;
    },
    amend(spec, key, n) {
      const b = bucket(spec, key);
      b.available = Math.max(0, b.available - n);
    },
    spent(spec, key) {
      const s = spend.get(spec.id, key);
      return s && s.window === windowOf(spec) ? s.usd : 0;
    },
    charge(spec, key, usd) {
      const w = windowOf(spec);
      const s = spend.get(spec.id, key);
      spend.set(spec.id, key, { window: w, usd: (s && s.window === w ? s.usd : 0) + usd });
    },
  };
}

/** agentgateway's refill: whole intervals since `refillAt`, capped at `max`. */
function refill(b: Bucket, t: number): void {
  const spec = b.spec;
  if (t < b.refillAt) return;
  const intervals = Math.floor((t - b.refillAt) / spec.intervalMs) + 1;
  b.available = Math.min(spec.max, b.available + intervals * spec.perFill);
  b.refillAt += intervals * spec.intervalMs;
}

/** A bucket full again (refilled to `t`): an idle tenant's, which the sweep drops. */
function full(b: Bucket, t: number): boolean {
  refill(b, t);
  return b.available >= b.spec.max;
}
