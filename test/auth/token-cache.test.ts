/**
 * The shared credential cache (src/auth/token-cache.ts) on a stepped clock: single flight,
 * the refresh-ahead boundary, background refresh, failures, and keys kept apart.
 */
import { describe, expect, test } from "bun:test";
import { REFRESH_MARGIN_MS, refreshTime, singleTokenCache, TokenCache, type Expiring } from "../../src/auth/token-cache.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = 1_700_000_000_000;

/** A fetcher whose answers the test hands out one by one, counting the calls. */
function source<V>() {
  const waiting: { resolve: (v: Expiring<V>) => void; reject: (e: unknown) => void }[] = [];
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    counted: () => {
      calls++;
      return new Promise<Expiring<V>>((resolve, reject) => waiting.push({ resolve, reject }));
    },
    resolve(value: V, expiresAt: number, refreshAt?: number) {
      waiting.shift()!.resolve({ value, expiresAt, refreshAt });
    },
    reject(err: unknown) {
      waiting.shift()!.reject(err);
    },
  };
}

/** Lets the fetch callbacks and the cache's own promise steps run. */
const settle = () => Bun.sleep(0);

function setup() {
  const clock = { now: T0 };
  const src = source<string>();
  const get = singleTokenCache(src.counted, { now: () => clock.now });
  return { clock, src, get };
}

describe("single flight", () => {
  test("N concurrent callers share one fetch and get the same value", async () => {
    const { clock, src, get } = setup();
    const all = Promise.all(Array.from({ length: 50 }, () => get()));
    await settle();
    expect(src.calls).toBe(1);
    src.resolve("tok-1", clock.now + HOUR);
    expect(new Set(await all)).toEqual(new Set(["tok-1"]));
    expect(src.calls).toBe(1);
  });

  test("a fresh value is served without fetching", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    src.resolve("tok-1", clock.now + HOUR);
    await first;
    clock.now += 30 * MIN;
    expect(await get()).toBe("tok-1");
    expect(src.calls).toBe(1);
  });
});

describe("refresh ahead of expiry", () => {
  test("the policy: five minutes before expiry, half the lifetime when that is shorter", () => {
    expect(REFRESH_MARGIN_MS).toBe(5 * MIN);
    expect(refreshTime(T0, T0 + HOUR)).toBe(T0 + HOUR - 5 * MIN);
    expect(refreshTime(T0, T0 + 10 * MIN)).toBe(T0 + 5 * MIN);
    expect(refreshTime(T0, T0 + 4 * MIN)).toBe(T0 + 2 * MIN);
    expect(refreshTime(T0, T0)).toBe(T0);
    expect(refreshTime(T0, T0 - MIN)).toBe(T0 - MIN); // already expired: due at once
    expect(refreshTime(T0, Infinity)).toBe(Infinity);
  });

  test("one millisecond before the margin: cached; at the margin: refreshed", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    src.resolve("tok-1", T0 + HOUR);
    await first;
    clock.now = T0 + HOUR - REFRESH_MARGIN_MS - 1;
    expect(await get()).toBe("tok-1");
    await settle();
    expect(src.calls).toBe(1);
    clock.now += 1;
    expect(await get()).toBe("tok-1"); // still valid: served while the refresh runs
    await settle();
    expect(src.calls).toBe(2);
  });

  test("the lifetime counts from when the fetch started, not when it answered", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    clock.now += 2 * MIN; // a slow token endpoint
    src.resolve("tok-1", T0 + 8 * MIN); // an 8-minute token: due at T0 + 4 min
    await first;
    clock.now = T0 + 4 * MIN - 1;
    await get();
    await settle();
    expect(src.calls).toBe(1);
    clock.now = T0 + 4 * MIN;
    await get();
    await settle();
    expect(src.calls).toBe(2);
  });

  test("a source's own refreshAt wins (values that never expire but are re-read)", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    src.resolve("file-creds", Infinity, T0 + 5 * MIN);
    await first;
    clock.now = T0 + 5 * MIN - 1;
    await get();
    await settle();
    expect(src.calls).toBe(1);
    clock.now = T0 + 5 * MIN;
    expect(await get()).toBe("file-creds");
    await settle();
    expect(src.calls).toBe(2);
  });
});

describe("background refresh", () => {
  test("the old value is served until the new one arrives, with one fetch for all callers", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    src.resolve("old", T0 + HOUR);
    await first;
    clock.now = T0 + HOUR - MIN; // due, still valid
    expect(await Promise.all([get(), get(), get()])).toEqual(["old", "old", "old"]);
    await settle();
    expect(src.calls).toBe(2);
    expect(await get()).toBe("old"); // the refresh has not answered yet
    expect(src.calls).toBe(2);
    src.resolve("new", clock.now + HOUR);
    await settle();
    expect(await get()).toBe("new");
    expect(src.calls).toBe(2);
  });

  test("once expired, callers wait for the refresh already under way instead of starting another", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    src.resolve("old", T0 + HOUR);
    await first;
    clock.now = T0 + HOUR - MIN;
    await get(); // starts the background refresh
    clock.now = T0 + HOUR; // expired now
    const waiting = get();
    await settle();
    expect(src.calls).toBe(2);
    src.resolve("new", clock.now + HOUR);
    expect(await waiting).toBe("new");
  });

  test("a failed background refresh keeps the old value in service and is retried on the next call", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    src.resolve("old", T0 + HOUR);
    await first;
    clock.now = T0 + HOUR - MIN;
    expect(await get()).toBe("old");
    await settle();
    src.reject(new Error("token endpoint down"));
    await settle();
    expect(await get()).toBe("old"); // no error reaches the caller, and a new attempt starts
    await settle();
    expect(src.calls).toBe(3);
    src.resolve("new", clock.now + HOUR);
    await settle();
    expect(await get()).toBe("new");
  });
});

describe("foreground failure", () => {
  test("every waiter gets the error, nothing is cached, the next call fetches again", async () => {
    const { clock, src, get } = setup();
    const waiters = Array.from({ length: 5 }, () => get().then(() => "ok", (e: Error) => e.message));
    await settle();
    expect(src.calls).toBe(1);
    src.reject(new Error("refused"));
    expect(await Promise.all(waiters)).toEqual(Array(5).fill("refused"));
    const retry = get();
    await settle();
    expect(src.calls).toBe(2);
    src.resolve("tok", clock.now + HOUR);
    expect(await retry).toBe("tok");
  });

  test("an expired value is never served, even when its refresh fails", async () => {
    const { clock, src, get } = setup();
    const first = get();
    await settle();
    src.resolve("old", T0 + HOUR);
    await first;
    clock.now = T0 + HOUR;
    const late = get();
    await settle();
    src.reject(new Error("refused"));
    await expect(late).rejects.toThrow("refused");
  });

  test("a fetcher that throws synchronously rejects, and does not wedge the cache", async () => {
    let n = 0;
    const get = singleTokenCache<string>(
      () => {
        if (n++ === 0) throw new Error("sync boom");
        return Promise.resolve({ value: "ok", expiresAt: Infinity });
      },
      { now: () => T0 },
    );
    await expect(get()).rejects.toThrow("sync boom");
    await settle();
    expect(await get()).toBe("ok");
  });
});

describe("keyed cache", () => {
  test("keys have their own values, fetches and failures", async () => {
    const clock = { now: T0 };
    const cache = new TokenCache<string>({ now: () => clock.now });
    const a = source<string>();
    const b = source<string>();
    const pa = Promise.all([cache.get("a", a.counted), cache.get("a", a.counted)]);
    const pb = cache.get("b", b.counted);
    await settle();
    expect([a.calls, b.calls]).toEqual([1, 1]);
    b.reject(new Error("b refused"));
    await expect(pb).rejects.toThrow("b refused");
    a.resolve("A", T0 + HOUR);
    expect(await pa).toEqual(["A", "A"]);
    clock.now = T0 + 30 * MIN;
    expect(await cache.get("a", a.counted)).toBe("A");
    const pb2 = cache.get("b", b.counted);
    await settle();
    b.resolve("B", clock.now + 10 * MIN);
    expect(await pb2).toBe("B");
    expect([a.calls, b.calls]).toEqual([1, 2]);
    // b is due (5 of its 10 minutes gone) while a is still fresh
    clock.now += 5 * MIN;
    await Promise.all([cache.get("a", a.counted), cache.get("b", b.counted)]);
    await settle();
    expect([a.calls, b.calls]).toEqual([1, 3]);
  });

  test("a per-call clock overrides the cache's own", async () => {
    const cache = new TokenCache<string>({ now: () => T0 });
    let calls = 0;
    const fetch = async () => ({ value: `v${++calls}`, expiresAt: T0 + HOUR });
    expect(await cache.get("k", fetch)).toBe("v1");
    expect(await cache.get("k", fetch, () => T0 + HOUR)).toBe("v2");
  });

  test("clear() forgets values; a fetch under way still answers its waiters but is not kept", async () => {
    const cache = new TokenCache<string>({ now: () => T0 });
    const src = source<string>();
    const before = cache.get("k", src.counted);
    await settle();
    cache.clear();
    src.resolve("orphan", T0 + HOUR);
    expect(await before).toBe("orphan");
    const after = cache.get("k", src.counted);
    await settle();
    expect(src.calls).toBe(2);
    src.resolve("kept", T0 + HOUR);
    expect(await after).toBe("kept");
    expect(await cache.get("k", src.counted)).toBe("kept");
  });
});
