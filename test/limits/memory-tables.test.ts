/**
 * The in-process tables behind rate limits, budgets and the admin page's limits view, at the
 * sizes where they clean up after themselves: idle buckets swept past 10 000 keys (a drained
 * bucket keeps its state), budget spend per key and window, and the admin table's oldest
 * entries leaving first past 1 000.
 */
import { describe, expect, test } from "bun:test";
import { limitsView, limitTable, observe, observedLimit } from "../../src/limits/observed.ts";
import { memoryStore, type BucketSpec } from "../../src/limits/store.ts";

/** The in-process store answers synchronously. */
function sync<T>(v: T | Promise<T>): T {
  if (v instanceof Promise) throw new Error("the memory store answered with a promise");
  return v;
}

const spec: BucketSpec = { id: "route.localRateLimit.0", max: 2, perFill: 2, intervalMs: 60_000 };
const other: BucketSpec = { id: "route.localRateLimit.1", max: 5, perFill: 5, intervalMs: 60_000 };

describe("memoryStore", () => {
  test("buckets are per spec and key: the same key under two specs counts apart", () => {
    const store = memoryStore(() => 0);
    expect(sync(store.take([{ spec, key: "k", n: 2 }, { spec: other, key: "k", n: 1 }]))).toEqual([
      { allowed: true, limit: 2, remaining: 0, resetMs: 60_000 },
      { allowed: true, limit: 5, remaining: 4, resetMs: 60_000 },
    ]);
    // one bucket short: nothing is taken from either
    expect(sync(store.take([{ spec, key: "k", n: 1 }, { spec: other, key: "k", n: 1 }])).map((s) => [s.allowed, s.remaining])).toEqual([
      [false, 0],
      [true, 4],
    ]);
  });

  test("past 10 000 buckets, idle (full) ones are swept; a drained one keeps its state", () => {
    let t = 0;
    const store = memoryStore(() => t);
    sync(store.take([{ spec, key: "drained", n: 2 }]));
    for (let i = 0; i < 10_050; i++) sync(store.take([{ spec: other, key: `tenant-${i}`, n: 0 }]));
    t = 1_000;
    expect(sync(store.take([{ spec, key: "drained", n: 1 }]))[0]!.allowed).toBe(false);
    // a swept tenant starts full again
    expect(sync(store.take([{ spec: other, key: "tenant-1", n: 5 }]))[0]).toMatchObject({ allowed: true, remaining: 0 });
  });

  test("budget spend adds up per spec, key and window", () => {
    let wall = 0;
    const store = memoryStore(() => 0, () => wall);
    const day = { id: "route.budget.0", windowMs: 86_400_000 };
    store.charge(day, "alice", 0.25);
    store.charge(day, "alice", 0.5);
    store.charge(day, "bob", 1);
    store.charge({ id: "route.budget.1", windowMs: 0 }, "alice", 9);
    expect([sync(store.spent(day, "alice")), sync(store.spent(day, "bob")), sync(store.spent(day, "carol"))]).toEqual([0.75, 1, 0]);
    wall = 86_400_000;
    expect(sync(store.spent(day, "alice"))).toBe(0);
  });
});

describe("the admin page's limits table", () => {
  test("one entry per policy and key, updated in place; past 1 000 the oldest leave first", () => {
    const table = limitTable();
    const a = observedLimit(table, "routes.0.localRateLimit.0", "requests", 10, "request.headers['x-tenant']");
    const b = observedLimit(table, "routes.0.localRateLimit.1", "tokens", 1000, undefined);
    const later = Date.now() + 60_000;
    observe(a, "t1", 3, undefined, later);
    observe(a, "t1", 4, undefined, later);
    observe(b, "", 10, undefined, later);
    expect(limitsView(table).map((v) => [v.policy, v.key, v.used])).toEqual([
      ["routes.0.localRateLimit.0", "t1", 4],
      ["routes.0.localRateLimit.1", "", 10],
    ]);
    for (let i = 0; i < 1_000; i++) observe(a, `many-${i}`, 1, undefined, later);
    const view = limitsView(table);
    expect(view).toHaveLength(1_000);
    expect(view.some((v) => v.key === "t1")).toBe(false);
    expect(view.some((v) => v.key === "many-999")).toBe(true);
  });

  test("stale entries leave when the page is read; credential keys show as fingerprints", () => {
    const table = limitTable();
    const keyed = observedLimit(table, "p", "requests", 10, "apiKey.key");
    observe(keyed, "sk-secret-key", 1, undefined, Date.now() + 60_000);
    observe(keyed, "gone", 1, undefined, Date.now() - 1);
    const view = limitsView(table);
    expect(view).toHaveLength(1);
    expect(view[0]!.key).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(JSON.stringify(view)).not.toContain("sk-secret-key");
    expect(limitsView(table)).toHaveLength(1);
  });
});
