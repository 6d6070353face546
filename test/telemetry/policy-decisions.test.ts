/**
 * What the policies decided, as an operator sees it after real traffic from the openai SDK: the
 * rate-limit, guardrail and Redis counters on /metrics (read with a Prometheus text parser), and
 * the admin page's JSON (`/api/state`): rate-limit state per key (a key read from a credential
 * shown only as a fingerprint) and provider health learnt from failures.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { freePort } from "../helpers/process.ts";
import { parseExposition, samples } from "../helpers/prometheus.ts";

const CLIENT_TOKEN = "sk-client-SECRET-9031";

const config = (host: string, extra = "") => `
config:
  readinessAddr: "off"
${extra}
binds:
- port: 0
  listeners:
  - name: main
    routes:
    - name: chat
      policies:
        localRateLimit:
        - {maxTokens: 2, tokensPerFill: 2, fillInterval: 1h, key: 'request.headers["x-user"]'}
        - {maxTokens: 50, tokensPerFill: 50, fillInterval: 1h, key: 'request.headers["authorization"]'}
        ai:
          promptGuard:
            request:
            - regex: {action: reject, rules: [{pattern: "(?i)forbidden"}]}
      backends:
      - ai: {name: openai-main, hostOverride: "${host}", provider: {openAI: {model: gpt-4o-mini}}}
`;

const ENV = { STATS_ADDR: "127.0.0.1:0", ADMIN_ADDR: "127.0.0.1:0" };

const client = (gw: TestGateway, user: string) => new OpenAI({ baseURL: `${gw.origin()}/v1`, apiKey: CLIENT_TOKEN, defaultHeaders: { "x-user": user }, maxRetries: 0 });
const ask = (gw: TestGateway, user: string, content = "hi") =>
  client(gw, user)
    .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content }] })
    .then(() => 200, (e: { status?: number }) => e.status ?? 0);

async function metric(gw: TestGateway, family: string, labels: Record<string, string>): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${gw.gateway.operations.statsPort}/metrics`)).text();
  const hit = samples(await parseExposition(text), family, `${family}_total`).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit?.value ?? 0;
}

interface LimitRow {
  policy: string;
  kind: string;
  key: string;
  used: number;
  limit: number;
  resetsAt?: number;
}
interface HealthRow {
  backend: string;
  provider: string;
  evicted: boolean;
  consecutiveFailures: number;
  lastFailure?: { status?: number };
}
async function state(gw: TestGateway): Promise<{ text: string; limits: LimitRow[]; health: HealthRow[] }> {
  const text = await (await fetch(`http://127.0.0.1:${gw.gateway.operations.adminPort}/api/state`)).text();
  return { text, ...(JSON.parse(text) as { limits: LimitRow[]; health: HealthRow[] }) };
}

describe("rate limits and guardrails, counted and shown", () => {
  let emu: OpenAIEmulator;
  let gw: TestGateway;
  const statuses: number[] = [];

  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await startTestGateway(config(emu.host), ENV);
    for (let i = 0; i < 3; i++) statuses.push(await ask(gw, "alice"));
    statuses.push(await ask(gw, "bob"));
    statuses.push(await ask(gw, "carol", "this is forbidden"));
  });
  afterAll(async () => {
    await gw?.stop();
    await emu?.stop();
  });

  test("the traffic: alice's third request is refused (429), carol's prompt is rejected by the guard", () => {
    expect(statuses.slice(0, 4)).toEqual([200, 200, 429, 200]);
    expect(statuses[4]).toBeGreaterThanOrEqual(400);
    expect(statuses[4]).not.toBe(429);
  });

  test("agentgateway_rate_limit_checks_total counts each bucket's decision", async () => {
    // two buckets per request: 5 requests reached the policy, alice's third was limited by the first bucket
    expect(await metric(gw, "agentgateway_rate_limit_checks", { kind: "requests", result: "limited" })).toBe(1);
    expect(await metric(gw, "agentgateway_rate_limit_checks", { kind: "requests", result: "allowed" })).toBe(9);
  });

  test("agentgateway_guardrail_checks_total counts each verdict with agentgateway's labels", async () => {
    expect(await metric(gw, "agentgateway_guardrail_checks", { phase: "Request", action: "Reject" })).toBe(1);
    expect(await metric(gw, "agentgateway_guardrail_checks", { phase: "Request", action: "Allow" })).toBe(3);
  });

  test("the admin state shows each key's bucket; a key read from a credential only as a fingerprint", async () => {
    const { text, limits } = await state(gw);
    const byUser = limits.filter((l) => l.policy.endsWith("localRateLimit.0"));
    expect(Object.fromEntries(byUser.map((l) => [l.key, [l.used, l.limit]]))).toEqual({ alice: [2, 2], bob: [1, 2], carol: [1, 2] });
    expect(byUser.every((l) => l.kind === "requests" && l.resetsAt! > Date.now())).toBe(true);
    const byToken = limits.filter((l) => l.policy.endsWith("localRateLimit.1"));
    expect(byToken).toHaveLength(1);
    expect(byToken[0]!.key).toMatch(/^sha256:[0-9a-f]{12}$/);
    expect(byToken[0]!.used).toBe(4); // alice's refused request took nothing from any bucket
    expect(text).not.toContain(CLIENT_TOKEN);
    expect(text).not.toContain("SECRET");
  });
});

test("provider health on the admin state: a failing provider shows its failures, then its eviction", async () => {
  const emu = startOpenAIEmulator();
  emu.script(() => Response.json({ error: { message: "overloaded", type: "server_error" } }, { status: 503 }));
  const backup = startOpenAIEmulator();
  const yaml = `
config:
  readinessAddr: "off"
binds:
- port: 0
  listeners:
  - routes:
    - backends:
      - ai:
          groups:
          - providers: [{name: primary, hostOverride: "${emu.host}", provider: {openAI: {model: m}}}]
          - providers: [{name: secondary, hostOverride: "${backup.host}", provider: {openAI: {model: m}}}]
`;
  const gw = await startTestGateway(yaml, ENV);
  try {
    const before = (await state(gw)).health;
    expect(before.map((h) => [h.provider, h.evicted])).toEqual([
      ["primary", false],
      ["secondary", false],
    ]);
    expect(await ask(gw, "dana")).toBe(200); // the primary fails (503), the secondary answers
    const after = (await state(gw)).health;
    const primary = after.find((h) => h.provider === "primary")!;
    expect(primary.evicted).toBe(true);
    expect(primary.lastFailure?.status).toBe(503);
    expect(after.find((h) => h.provider === "secondary")!.evicted).toBe(false);
  } finally {
    await gw.stop();
    await emu.stop();
    await backup.stop();
  }
});

test("agentgateway_redis_operations_total: a Redis that does not answer counts errors and each fail-open decision", async () => {
  const emu = startOpenAIEmulator();
  const deadRedis = `redis://127.0.0.1:${freePort()}`;
  const gw = await startTestGateway(config(emu.host, `  redis: {url: "${deadRedis}", failureMode: failOpen, timeout: 100ms}`), ENV);
  try {
    expect(await ask(gw, "erin")).toBe(200); // served without limits
    expect(await metric(gw, "agentgateway_redis_operations", { result: "error" })).toBeGreaterThanOrEqual(1);
    expect(await metric(gw, "agentgateway_redis_operations", { result: "failOpen" })).toBe(await metric(gw, "agentgateway_redis_operations", { result: "error" }));
    expect(await metric(gw, "agentgateway_redis_operations", { result: "ok" })).toBe(0);
  } finally {
    await gw.stop();
    await emu.stop();
  }
});
