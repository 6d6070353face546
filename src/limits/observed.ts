/**
 * What the admin page shows of rate limits and budgets: the state of each (policy, key) as the
 * last request saw it, whichever store holds it (in process or Redis). One table per compiled
 * config (a reload starts a new one, as it starts new in-process buckets). Recording is one Map
 * write on the request path; nothing is read back there. Entries leave when their bucket is
 * full again or their budget window has ended (a key that stopped calling), and beyond
 * MAX_ENTRIES the oldest leave first.
 *
 * Keys come from client data. When the key's CEL expression reads something that names a
 * credential (`request.headers["authorization"]`, `apiKey.key`...), the page shows a fingerprint
 * of the key (`sha256:` and 12 hex digits), never the key itself.
 */
import type { RateLimitKind as LimitKind } from "../telemetry/metrics/policy-metrics.ts";

export interface LimitView {
  /** where the policy sits in the config (`binds.0.listeners.0.routes.0.policies.localRateLimit.0`) */
  policy: string;
  kind: LimitKind;
  /** the bucket's key (`""` for a policy without `key`), or its fingerprint */
  key: string;
  used: number;
  limit: number;
  /** ms since the epoch of the next refill, or of the window's end */
  resetsAt?: number;
}

/** The compiled facts about one policy entry that every observation of it shares. */
export interface ObservedLimit {
  readonly table: LimitTable;
  readonly policy: string;
  readonly kind: LimitKind;
  readonly limit: number;
  /** show keys as fingerprints (the key expression reads a credential) */
  readonly fingerprintKeys: boolean;
}

interface Entry {
  limit: ObservedLimit;
  key: string;
  used: number;
  resetsAt: number | undefined;
  /** wall-clock ms after which the entry says nothing (bucket full again, window over) */
  staleAt: number;
}

/**
 * One config's table: what its policies observe and the admin page reads, by policy then key
 * (two lookups of strings the request holds, not one of a string made for every request).
 */
export interface LimitTable {
  readonly entries: Map<string, Map<string, Entry>>;
  size: number;
}

const MAX_ENTRIES = 1000;
const CREDENTIAL = /(authorization|api[-_]?key|apikey|token|secret|password|cookie|basicauth)/i;

export const limitTable = (): LimitTable => ({ entries: new Map(), size: 0 });

/** What `observe()` needs at compile time; `keySource` is the key's CEL text, when there is one. */
export function observedLimit(table: LimitTable, policy: string, kind: LimitKind, limit: number, keySource: string | undefined): ObservedLimit {
  return { table, policy, kind, limit, fingerprintKeys: keySource !== undefined && CREDENTIAL.test(keySource) };
}

/** Records what a request saw: `used` of `limit`, stale (dropped) after `staleAt` ms since the epoch. */
export function observe(limit: ObservedLimit, key: string, used: number, resetsAt: number | undefined, staleAt: number): void {
  const table = limit.table;
  let keys = table.entries.get(limit.policy);
  const e = keys?.get(key);
  if (e) {
    e.limit = limit;
    e.used = used;
    e.resetsAt = resetsAt;
    e.staleAt = staleAt;
    return;
  }
  if (table.size >= MAX_ENTRIES) dropOldest(table);
  if (!keys) table.entries.set(limit.policy, (keys = new Map()));
  keys.set(key, { limit, key, used, resetsAt, staleAt });
  table.size++;
}

/** The first entry of the first policy still observed (a policy's entries in the order first seen). */
function dropOldest(table: LimitTable): void {
  for (const [policy, keys] of table.entries) {
    for (const key of keys.keys()) {
      keys.delete(key);
      table.size--;
      break;
    }
    if (keys.size === 0) table.entries.delete(policy);
    return;
  }
}

/** The table the admin page shows, most constrained first. */
export function limitsView(table: LimitTable, now = Date.now()): LimitView[] {
  const out: LimitView[] = [];
  for (const [policy, keys] of table.entries) {
    for (const [k, e] of keys) {
      if (e.staleAt <= now) {
        keys.delete(k);
        table.size--;
        continue;
      }
      const key = e.limit.fingerprintKeys && e.key !== "" ? fingerprint(e.key) : e.key;
      out.push({ policy: e.limit.policy, kind: e.limit.kind, key, used: round(e.used), limit: e.limit.limit, resetsAt: e.resetsAt });
    }
    if (keys.size === 0) table.entries.delete(policy);
  }
  return out.sort((a, b) => b.used / (b.limit || 1) - a.used / (a.limit || 1));
}

function fingerprint(key: string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(key).digest("hex").slice(0, 12)}`;
}

const round = (n: number) => Math.round(n * 10_000) / 10_000;
