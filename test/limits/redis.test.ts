/**
 * Limits and budgets in a real Redis: exact concurrency across two gateway processes, budgets
 * shared by both, Redis killed mid-run (fail open with a log line, fail closed with a 503),
 * Redis frozen (no more latency than the timeout), and recovery when it comes back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { eventually, openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { freePort, startGatewayProcess, type GatewayProcess } from "../helpers/process.ts";
import { startRedis, type TestRedis } from "../helpers/redis.ts";
import { apiError, chat, status } from "../policies/helpers.ts";

let emu: OpenAIEmulator;
let redis: TestRedis;
const gateways: TestGateway[] = [];
const processes: GatewayProcess[] = [];
beforeAll(async () => {
  emu = startOpenAIEmulator();
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  await Promise.all(processes.map((p) => p.stop()));
  await redis.stop();
  emu.stop();
});

const CATALOG = `'{"providers":{"openai":{"models":{"gpt-4o-mini":{"rates":{"input":"1000","output":"1000"}}}}}}'`;

function yaml(policies: string, opts: { port?: number; failureMode?: string; timeout?: string; prefix?: string } = {}): string {
  return `
config:
  redis: {url: "${redis.url}", keyPrefix: ${opts.prefix ?? "t"}, failureMode: ${opts.failureMode ?? "failOpen"}, timeout: ${opts.timeout ?? "100ms"}}
  modelCatalog: [{inline: ${CATALOG}}]
llm:
  port: ${opts.port ?? 0}
  policies:
${policies.replace(/^/gm, "    ")}
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
`;
}

async function gateway(policies: string, opts: Parameters<typeof yaml>[1] = {}): Promise<TestGateway> {
  const g = await startTestGateway(yaml(policies, opts));
  gateways.push(g);
  return g;
}

async function twoProcesses(policies: string, prefix: string): Promise<[string, string]> {
  const urls: string[] = [];
  for (let i = 0; i < 2; i++) {
    const port = freePort();
    const p = await startGatewayProcess(yaml(policies, { port, prefix }));
    processes.push(p);
    urls.push(`http://127.0.0.1:${port}/v1`);
  }
  return [urls[0]!, urls[1]!];
}

describe("Redis-backed limits", () => {
  test("two gateway processes, one Redis: 20 clients against a limit of 5, exactly 5 pass", async () => {
    const [a, b] = await twoProcesses(`localRateLimit: [{maxTokens: 5, tokensPerFill: 5, fillInterval: 1h}]`, "two");
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => status(chat(openaiClient(i % 2 ? a : b)))));
    expect(results.filter((r) => r.status === 200).length).toBe(5);
    expect(results.filter((r) => r.status === 429).length).toBe(15);
  }, 30_000);

  test("a budget spent through one process is exhausted in the other", async () => {
    const [a, b] = await twoProcesses(`budgets: [{maxCost: 0.01, window: 24h}]`, "budget2");
    expect((await status(chat(openaiClient(a)))).status).toBe(200); // ~20 tokens at $1000 per 1M: $0.02
    const e = await (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await status(chat(openaiClient(b, "x")));
        if ("error" in r) return r.error;
        await Bun.sleep(20); // the spend is charged when the first answer ends
      }
      throw new Error("the budget was never exhausted");
    })();
    expect(e.status).toBe(429);
    expect(e.code).toBe("insufficient_quota");
    expect(e.type).toBe("insufficient_quota");
    expect(e.headers?.get("x-should-retry")).toBe("false");
  }, 30_000);

  test("Redis killed mid-run: failOpen serves and logs once; failClosed answers 503; both recover", async () => {
    const open = await gateway(`localRateLimit: [{maxTokens: 2, tokensPerFill: 2, fillInterval: 1h}]`, { prefix: "kill-open" });
    const closed = await gateway(`localRateLimit: [{maxTokens: 2, tokensPerFill: 2, fillInterval: 1h}]`, { prefix: "kill-closed", failureMode: "failClosed" });
    expect((await status(chat(openaiClient(open.baseURL())))).status).toBe(200);
    expect((await status(chat(openaiClient(closed.baseURL())))).status).toBe(200);
    await redis.stop();
    try {
      for (let i = 0; i < 4; i++) expect((await status(chat(openaiClient(open.baseURL())))).status).toBe(200); // over the limit, but open
      const e = await apiError(chat(openaiClient(closed.baseURL())));
      expect(e.status).toBe(503);
      expect(e.code).toBe("rate_limit_store_unavailable");
      open.rawLog(); // flush
      closed.rawLog();
      const lines = [...open.logs, ...closed.logs].filter((l) => String(l.message ?? "").startsWith("rate limits: Redis at"));
      expect(lines.some((l) => String(l.message).includes("failing open"))).toBe(true);
      expect(lines.some((l) => String(l.message).includes("failing closed"))).toBe(true);
      expect(lines.filter((l) => String(l.message).includes("failing open")).length).toBe(1); // not one per request
      expect(String(lines[0]!.message)).toContain(`127.0.0.1:${redis.port}`);
    } finally {
      await redis.start();
    }
    // back (the restarted Redis lost its data: a fresh bucket of 2): served again, and limited again
    await eventually(async () => (await status(chat(openaiClient(closed.baseURL())))).status === 200, 5000, "served once Redis is back");
    const after: number[] = [];
    for (let i = 0; i < 3; i++) after.push((await status(chat(openaiClient(closed.baseURL())))).status);
    expect(after).toContain(429);
  }, 30_000);

  test("Redis frozen: a request waits no longer than the timeout, then fails open", async () => {
    // under 64 tokens a bucket is never leased: every request asks Redis
    const g = await gateway(`localRateLimit: [{maxTokens: 60, tokensPerFill: 60, fillInterval: 1h}]`, { prefix: "slow", timeout: "150ms" });
    expect((await status(chat(openaiClient(g.baseURL())))).status).toBe(200);
    redis.pause();
    try {
      const t0 = performance.now();
      expect((await status(chat(openaiClient(g.baseURL())))).status).toBe(200);
      const ms = performance.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(140);
      expect(ms).toBeLessThan(800);
    } finally {
      redis.resume();
    }
  }, 30_000);

  test("leases: a large bucket serves the next requests without Redis (frozen Redis, no wait); the remaining header counts them", async () => {
    const g = await gateway(`localRateLimit: [{maxTokens: 6400, tokensPerFill: 6400, fillInterval: 1h}]`, { prefix: "lease", timeout: "150ms" });
    const remaining = async () => (await chat(openaiClient(g.baseURL())).withResponse()).response.headers.get("x-ratelimit-remaining");
    expect(await remaining()).toBe("6399");
    redis.pause();
    try {
      const t0 = performance.now();
      const next: (string | null)[] = [];
      for (let i = 0; i < 10; i++) next.push(await remaining());
      // served from the 100 tokens leased with the first take: no Redis timeout to wait for
      expect(performance.now() - t0).toBeLessThan(140);
      expect(next.at(-1)).toBe("6389");
    } finally {
      redis.resume();
    }
  }, 30_000);

  test("a lease half spent is topped up in the background: with Redis frozen after 60 requests, 60 more are still counted locally", async () => {
    const g = await gateway(`localRateLimit: [{maxTokens: 6400, tokensPerFill: 6400, fillInterval: 1h}]`, { prefix: "topup", timeout: "150ms" });
    const remaining = async () => Number((await chat(openaiClient(g.baseURL())).withResponse()).response.headers.get("x-ratelimit-remaining"));
    for (let i = 0; i < 60; i++) await remaining(); // the lease of 100 falls under half: topped up
    redis.pause();
    try {
      const next: number[] = [];
      for (let i = 0; i < 60; i++) next.push(await remaining());
      // failing open would answer the bucket's size (6400); a local lease counts down
      expect(next.every((r, i) => i === 0 || r === next[i - 1]! - 1)).toBe(true);
      expect(next.at(-1)).toBe(6400 - 120);
    } finally {
      redis.resume();
    }
  }, 30_000);

  test("leases never let more through than the bucket holds: two processes, a bucket of 200, 300 requests, exactly 200 pass", async () => {
    const [a, b] = await twoProcesses(`localRateLimit: [{maxTokens: 200, tokensPerFill: 200, fillInterval: 1h}]`, "lease2");
    const results: number[] = [];
    for (let round = 0; round < 30; round++) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, i) => status(chat(openaiClient(i % 2 ? a : b)))));
      results.push(...batch.map((r) => r.status));
    }
    expect(results.filter((s) => s === 200).length).toBe(200);
    expect(results.slice(-20)).toEqual(Array(20).fill(429));
  }, 60_000);
});
