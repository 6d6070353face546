/**
 * The pieces of the failover loop on their own: providers' retry headers, the weighted order,
 * the eviction decisions (thresholds, restore), the retry backoff.
 */
import { describe, expect, test } from "bun:test";
import type { ProviderTarget } from "../../../src/config/model.ts";
import { TargetHealth, type HealthSettings } from "../../../src/llm/failover/health.ts";
import { orderCandidates } from "../../../src/llm/failover/order.ts";
import { goDuration, retryAfterMs } from "../../../src/llm/failover/retry-hints.ts";
import { backoffDelay, retriable } from "../../../src/policies/retry.ts";
import { sequence } from "../../helpers/gateway.ts";

const NOW = Date.parse("2026-01-01T00:00:00Z");

describe("retry hints", () => {
  test.each([
    [{ "retry-after-ms": "250" }, 250],
    [{ "retry-after": "3" }, 3000],
    [{ "retry-after": new Date(NOW + 7000).toUTCString() }, 7000],
    [{ "x-ratelimit-reset": "12" }, 12_000],
    [{ "x-ratelimit-reset": String(NOW / 1000 + 40) }, 40_000],
    [{ "x-ratelimit-reset-requests": "1m30s", "x-ratelimit-reset-tokens": "6s" }, 6000],
    [{ "anthropic-ratelimit-tokens-reset": new Date(NOW + 2000).toISOString() }, 2000],
    [{ "retry-after": "soon" }, undefined],
    [{}, undefined],
  ])("%p -> %p ms", (headers, ms) => {
    expect(retryAfterMs(new Headers(headers), NOW)).toBe(ms);
  });

  test("Go durations", () => {
    expect(goDuration("6m0s")).toBe(360_000);
    expect(goDuration("20ms")).toBe(20);
    expect(goDuration("1.5s")).toBe(1500);
    expect(goDuration("x")).toBeUndefined();
  });
});

const t = (name: string) => ({ name }) as ProviderTarget;

describe("candidate order", () => {
  test("groups first to last; inside a group drawn by weight", () => {
    const [a, b, c, d] = [t("a"), t("b"), t("c"), t("d")];
    const groups = [
      [
        { target: a, weight: 1 },
        { target: b, weight: 3 },
      ],
      [{ target: c, weight: 1 }],
      [{ target: d, weight: 0 }],
    ];
    // r * 4 = 0 -> a; r * 4 = 1.2 -> b first, then a
    expect(orderCandidates(groups, sequence([0])).map((x) => x.name)).toEqual(["a", "b", "c", "d"]);
    expect(orderCandidates(groups, sequence([0.3, 0])).map((x) => x.name)).toEqual(["b", "a", "c", "d"]);
    // over many draws the weights hold
    let bFirst = 0;
    for (let i = 0; i < 4000; i++) if (orderCandidates(groups, Math.random)[0] === b) bFirst++;
    expect(bFirst / 4000).toBeGreaterThan(0.7);
    expect(bFirst / 4000).toBeLessThan(0.8);
  });
});

const settings = (s: Partial<HealthSettings>): HealthSettings => ({ evicts: true, durationMs: undefined, consecutiveFailures: undefined, healthThreshold: undefined, restoreHealth: undefined, ...s });

describe("eviction", () => {
  test("one failure evicts by default, for the retry hint, else 30 s; off when eviction does not apply", () => {
    const h = new TargetHealth();
    expect(h.failed(0, { status: 429, retryAfterMs: 2000 }, undefined, true)).toBe(2000);
    expect(h.available(1999, undefined)).toBe(false);
    expect(h.available(2000, undefined)).toBe(true);
    expect(h.failed(5000, { status: 500 }, undefined, true)).toBe(30_000);
    expect(new TargetHealth().failed(0, { status: 500 }, undefined, false)).toBeUndefined();
  });

  test("consecutiveFailures and healthThreshold (either one), restoreHealth on return", () => {
    const s = settings({ consecutiveFailures: 3, healthThreshold: 0.3, restoreHealth: 0.5, durationMs: 1000 });
    const h = new TargetHealth();
    expect(h.failed(0, { status: 500 }, s, true)).toBeUndefined(); // score 1 -> 0.7
    expect(h.failed(0, { status: 500 }, s, true)).toBeUndefined(); // 0.7 -> 0.49
    expect(h.failed(0, { status: 500 }, s, true)).toBe(1000); // third in a row
    expect(h.available(1000, s)).toBe(true);
    expect(h.score).toBe(0.5);
    h.succeeded();
    expect(h.consecutiveFailures).toBe(0);
    const low = new TargetHealth();
    low.score = 0.2;
    expect(low.failed(0, { status: 503 }, settings({ healthThreshold: 0.3 }), true)).toBe(30_000);
  });
});

describe("retry", () => {
  const NO_VARS = () => ({});
  const r = { attempts: 3, backoffMs: 100, codes: new Set([429]) };
  test("what is retriable", () => {
    expect(retriable(r, { status: 429 }, NO_VARS)).toBe(true);
    expect(retriable(r, { status: 500 }, NO_VARS)).toBe(false);
    expect(retriable(r, { status: undefined }, NO_VARS)).toBe(true);
    expect(retriable(r, { status: undefined, timedOut: true }, NO_VARS)).toBe(false);
  });
  test("backoff doubles, jittered between half and all of it", () => {
    expect(backoffDelay(r, 1, () => 0)).toBe(50);
    expect(backoffDelay(r, 1, () => 0.999999)).toBeCloseTo(100, 3);
    expect(backoffDelay(r, 3, () => 0)).toBe(200);
    expect(backoffDelay({ ...r, backoffMs: 0 }, 2, Math.random)).toBe(0);
  });
});

describe("the health view for the admin page", () => {
  test("every provider target once, evicted ones with the time left", async () => {
    const { loadConfigText } = await import("../../../src/config/load.ts");
    const { providerHealth } = await import("../../../src/llm/failover/status.ts");
    const loaded = loadConfigText(
      `binds: [{port: 0, listeners: [{routes: [{backends: [{ai: {groups: [{providers: [{name: a, hostOverride: "127.0.0.1:1", provider: {openAI: {}}}, {name: b, hostOverride: "127.0.0.1:2", provider: {anthropic: {}}}]}]}}]}]}]}]`,
      "t.yaml",
      { env: {} },
    );
    if (!loaded.ok) throw new Error("config");
    const ai = [...loaded.value.binds.values()][0]!.listeners[0]!.router.routes[0]!.backends[0]!.backend;
    if (ai.kind !== "ai") throw new Error("ai");
    ai.groups[0]![1]!.health.failed(100, { status: 429 }, undefined, true);
    const view = providerHealth(loaded.value, 1100);
    expect(view.map((v) => [v.provider, v.kind, v.evicted, v.evictedForMs])).toEqual([
      ["a", "openai", false, 0],
      ["b", "anthropic", true, 29_000],
    ]);
    expect(view[1]!.lastFailure).toEqual({ status: 429, agoMs: 1000 });
  });
});
