/**
 * Limits and budgets in Redis (`config.redis`): each bucket and each spend counter is updated by
 * one Lua script (atomic on the server, whatever the number of gateway replicas), with the
 * server's clock (replicas' clocks may differ). Every call is bounded by `timeout`: Redis slow or
 * down never adds more latency than that. On failure, `failOpen` serves without the limit and
 * `failClosed` answers 503, with a log line (at most one per 10 s) either way.
 */
import { RedisClient } from "bun";
import { HttpError } from "../http/errors.ts";
import { policyMetrics } from "../telemetry/metrics/policy-metrics.ts";
import { notice } from "./notice.ts";
import { leasedBuckets, type LeaseItem, type RemoteBuckets, type RemoteState } from "./lease.ts";
import type { BucketSpec, BudgetSpec, LimitStore, TakeItem } from "./store.ts";

export interface RedisSettings {
  url: string;
  keyPrefix: string;
  failureMode: "failOpen" | "failClosed";
  timeoutMs: number;
}

/**
 * Token buckets, any number per call: ARGV[1] is "take" or "amend", then groups, each its item
 * count followed by (max, perFill, intervalMs, n, want) per item, one KEYS entry per item. A
 * "take" group takes from all its buckets or from none (n = 0 only checks that one token is
 * left); when it takes, it takes up to `want` >= n, the rest at most 1/64 of what is left (a
 * lease the gateway spends locally: src/limits/lease.ts). An "amend" removes n (never below
 * zero). Returns (allowed, remaining, ms to the next refill, tokens taken) per item.
 * The gateway sends the takes of all requests of one event-loop turn in one call, and those
 * mostly share a few buckets (one per tenant): each distinct bucket is read once and written
 * once per call, the groups in between work on its state in the script (measured: a batch of
 * 17 requests on two buckets went from 238 to 64 µs of Redis time).
 */
export const BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local mode = ARGV[1]
local out, state, order = {}, {}, {}
local a, k = 2, 1
while a <= #ARGV do
  local c = tonumber(ARGV[a]); a = a + 1
  local items, ok = {}, 1
  for i = 1, c do
    local max, per, iv, n, want = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
    a = a + 5
    local key = KEYS[k]
    k = k + 1
    local b = state[key]
    if b == nil then
      local s = redis.call('HMGET', key, 'a', 'r')
      local avail, refill = tonumber(s[1]), tonumber(s[2])
      if avail == nil or refill == nil then avail = max; refill = now + iv end
      b = {avail = avail, refill = refill, max = max, per = per, iv = iv}
      state[key] = b
      order[#order + 1] = key
    end
    if now >= b.refill then
      local m = math.floor((now - b.refill) / iv) + 1
      b.avail = math.min(max, b.avail + m * per)
      b.refill = b.refill + m * iv
    end
    local enough = 1
    if mode == 'take' and ((n == 0 and b.avail < 1) or (n > 0 and b.avail < n)) then enough = 0; ok = 0 end
    items[i] = {b, n, enough, want}
  end
  for i = 1, c do
    local e = items[i]
    local b, got = e[1], 0
    if mode == 'amend' then
      b.avail = math.max(0, b.avail - e[2])
    elseif ok == 1 then
      got = e[2]
      if e[4] > got then got = got + math.min(e[4] - got, math.floor((b.avail - got) / 64)) end
      b.avail = b.avail - got
    end
    out[#out + 1] = e[3]
    out[#out + 1] = b.avail
    out[#out + 1] = b.refill - now
    out[#out + 1] = got
  end
end
for _, key in ipairs(order) do
  local b = state[key]
  redis.call('HSET', key, 'a', b.avail, 'r', b.refill)
  local fills = b.per > 0 and math.ceil((b.max - b.avail) / b.per) or 1
  redis.call('PEXPIRE', key, (b.refill - now) + fills * b.iv + b.iv)
end
return out
`;

/** KEYS[1] spend counter of one window; ARGV usd, ttl ms (0: none). Returns the new total as a string. */
export const CHARGE_SCRIPT = `
local v = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 and redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ttl) end
return v
`;

const sha1 = (s: string) => new Bun.CryptoHasher("sha1").update(s).digest("hex");
const SCRIPTS = { bucket: { text: BUCKET_SCRIPT, sha: sha1(BUCKET_SCRIPT) }, charge: { text: CHARGE_SCRIPT, sha: sha1(CHARGE_SCRIPT) } };

/** One connection per URL per process, shared by every config that names it (reloads keep it). */
const connections = new Map<string, Connection>();

class Connection {
  private client: RedisClient;
  private connecting: Promise<void> | undefined;
  private lastReset = 0;
  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {
    this.client = this.open();
  }
  private open(): RedisClient {
    const client = new RedisClient(this.url, { enableOfflineQueue: false, connectionTimeout: Math.max(this.timeoutMs, 1000), autoReconnect: true });
    // connected before the first request needs it (a first command would otherwise pay for the handshake)
    this.connecting = client.connect().then(
      () => {},
      () => {},
    ).finally(() => (this.connecting = undefined));
    return client;
  }
  /** After a failure: a fresh client (at most twice a second), so a Redis that comes back is used at once. */
  reset(): void {
    const now = Date.now();
    if (now - this.lastReset < 500) return;
    this.lastReset = now;
    const old = this.client;
    this.connecting = undefined;
    this.client = this.open();
    try {
      old.close();
    } catch {
      // already closed
    }
  }
  async send(command: string, args: string[]): Promise<unknown> {
    if (!this.client.connected) {
      this.connecting ??= this.client.connect().finally(() => (this.connecting = undefined));
      await this.connecting;
      if (!this.client.connected) throw new Error("not connected");
    }
    return await this.client.send(command, args);
  }
  async script(s: { text: string; sha: string }, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.send("EVALSHA", [s.sha, String(keys.length), ...keys, ...args]);
    } catch (err) {
      if (!String((err as Error)?.message).includes("NOSCRIPT")) throw err;
      return await this.send("EVAL", [s.text, String(keys.length), ...keys, ...args]);
    }
  }
}

/** The URL without credentials, for logs. */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "(invalid url)";
  }
}

type Bounded = <T>(op: () => Promise<T>, open: T) => Promise<T>;

/** Runs Redis calls within the timeout; on failure the fail-open value, or a 503 when failing closed. */
function boundedCalls(settings: RedisSettings, c: Connection): Bounded {
  const where = displayUrl(settings.url);
  return async (op, open) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answer = await Promise.race([
        op(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
        }),
      ]);
      policyMetrics.redis("ok");
      return answer;
    } catch (err) {
      c.reset();
      policyMetrics.redis("error");
      policyMetrics.redis(settings.failureMode);
      const why = (err as Error)?.message ?? String(err);
      if (settings.failureMode === "failClosed") {
        notice("error", `redis:closed:${where}`, `rate limits: Redis at ${where} is unavailable (${why}); failing closed: requests are refused with 503`, { redis: where });
        throw new HttpError(503, "the gateway's rate-limit store is unavailable; try again shortly", { code: "rate_limit_store_unavailable" });
      }
      notice("warn", `redis:open:${where}`, `rate limits: Redis at ${where} is unavailable (${why}); failing open: requests are served without limits or budgets`, { redis: where });
      return open;
    } finally {
      clearTimeout(timer);
    }
  };
}

const scriptArgs = (items: readonly LeaseItem[]) => items.flatMap((i) => [String(i.spec.max), String(i.spec.perFill), String(i.spec.intervalMs), String(i.n), String(i.want)]);

/** The script's four numbers per item, from `at`. */
function states(items: readonly TakeItem[], r: number[], at: number): RemoteState[] {
  return items.map((i, j) => {
    const o = at + j * 4;
    return { allowed: Number(r[o]) === 1, limit: i.spec.max, remaining: Number(r[o + 1]), resetMs: Number(r[o + 2]), taken: Number(r[o + 3]) };
  });
}

/** Bucket takes and token charges, each batched per event-loop turn into one script call. */
function bucketCalls(c: Connection, bounded: Bounded, bucketKey: (spec: BucketSpec, key: string) => string): RemoteBuckets {
  let pending: { items: readonly LeaseItem[]; resolve(v: RemoteState[] | undefined): void; reject(e: unknown): void }[] = [];
  const flushTakes = () => {
    const batch = pending;
    pending = [];
    const keys = batch.flatMap((b) => b.items.map((i) => bucketKey(i.spec, i.key)));
    const argv = ["take", ...batch.flatMap((b) => [String(b.items.length), ...scriptArgs(b.items)])];
    bounded(async () => (await c.script(SCRIPTS.bucket, keys, argv)) as number[], undefined).then(
      (r) => {
        let at = 0;
        for (const b of batch) {
          b.resolve(r ? states(b.items, r, at) : undefined); // undefined: failing open
          at += b.items.length * 4;
        }
      },
      (err) => {
        for (const b of batch) b.reject(err);
      },
    );
  };
  // per Redis key: the charges add up, and `seen` is the same bucket's view for each of them (kept once)
  let owed = new Map<string, { item: TakeItem; seen: (st: RemoteState) => void }>();
  const flushAmends = () => {
    const batch = [...owed.entries()];
    owed = new Map();
    const items = batch.map(([, o]) => o.item);
    void bounded(() => c.script(SCRIPTS.bucket, batch.map(([k]) => k), ["amend", String(batch.length), ...scriptArgs(items.map((i) => ({ ...i, want: i.n })))]) as Promise<number[]>, undefined)
      .then((r) => r && states(items, r, 0).forEach((st, j) => batch[j]![1].seen(st)))
      .catch(() => {});
  };
  return {
    take: (items) =>
      new Promise<RemoteState[] | undefined>((resolve, reject) => {
        if (pending.length === 0) setImmediate(flushTakes);
        pending.push({ items, resolve, reject });
      }),
    amend(item, seen) {
      if (owed.size === 0) setImmediate(flushAmends);
      const k = bucketKey(item.spec, item.key);
      const o = owed.get(k);
      if (o) o.item = { ...o.item, n: o.item.n + item.n };
      else owed.set(k, { item, seen });
    },
  };
}

export function redisStore(settings: RedisSettings, wallClock: () => number = Date.now): LimitStore {
  let conn = connections.get(settings.url);
  if (!conn) connections.set(settings.url, (conn = new Connection(settings.url, settings.timeoutMs)));
  const c = conn;
  const prefix = settings.keyPrefix;
  const bounded = boundedCalls(settings, c);
  const window = (spec: BudgetSpec) => (spec.windowMs === 0 ? { id: "total", ttl: 0 } : ((w) => ({ id: String(w), ttl: (w + 1) * spec.windowMs - wallClock() + 60_000 }))(Math.floor(wallClock() / spec.windowMs)));
  const spendKey = (spec: BudgetSpec, key: string, w: string) => `${prefix}:budget:${spec.id}:${safeKey(key)}:${w}`;
  return {
    kind: "redis",
    ...leasedBuckets(bucketCalls(c, bounded, (spec, key) => `${prefix}:rl:${spec.id}:${safeKey(key)}`)),
    spent: (spec, key) =>
      bounded(async () => {
        const v = await c.send("GET", [spendKey(spec, key, window(spec).id)]);
        return v === null || v === undefined ? 0 : Number(v);
      }, 0),
    charge: (spec, key, usd) =>
      bounded(async () => {
        const w = window(spec);
        await c.script(SCRIPTS.charge, [spendKey(spec, key, w.id)], [String(usd), String(Math.max(0, Math.round(w.ttl)))]);
      }, undefined).catch(() => {}),
  };
}

/** Keys are tenant names, header values...: long or odd ones are hashed (Redis keys stay short and printable). */
function safeKey(key: string): string {
  return key.length <= 64 && /^[\w.@:+=-]*$/.test(key) ? key : `h:${Bun.hash(key).toString(36)}`;
}
