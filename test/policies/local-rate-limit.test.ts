/**
 * `localRateLimit` in process through the SDK: exact concurrency (20 clients, limit 5), headers on
 * every answer, the 429 shape, per-key buckets, token limits charged from usage (streams too),
 * conditional entries, refills, and config errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { apiError, BODY, chat, status } from "./helpers.ts";

let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];
beforeAll(() => {
  emu = startOpenAIEmulator();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  emu.stop();
});

export function llmYaml(upstream: string, policies: string, top = ""): string {
  return `${top}
llm:
  port: 0
  policies:
${policies.replace(/^/gm, "    ")}
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${upstream}/v1"}
`;
}

async function gateway(policies: string): Promise<TestGateway> {
  const g = await startTestGateway(llmYaml(emu.host, policies));
  gateways.push(g);
  return g;
}

describe("localRateLimit: requests", () => {
  test("20 concurrent clients against a limit of 5: exactly 5 pass, the rest get an OpenAI-shaped 429", async () => {
    const g = await gateway(`localRateLimit: [{maxTokens: 5, tokensPerFill: 5, fillInterval: 1h}]`);
    const results = await Promise.all(Array.from({ length: 20 }, () => status(chat(openaiClient(g.baseURL())))));
    expect(results.filter((r) => r.status === 200).length).toBe(5);
    expect(results.filter((r) => r.status === 429).length).toBe(15);
    const e = await apiError(chat(openaiClient(g.baseURL())));
    expect(e).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e.type).toBe("rate_limit_exceeded");
    expect(e.code).toBe("rate_limit_exceeded");
    expect(e.message).toContain("at most 5 requests, 5 more every 1h");
    expect(e.headers?.get("x-ratelimit-limit")).toBe("5");
    expect(e.headers?.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThan(3500);
    expect(Number(e.headers?.get("x-ratelimit-reset"))).toBeGreaterThan(3500);
  });

  test("every answer carries x-ratelimit-* of the most constrained bucket; a bucket refills", async () => {
    const g = await gateway(`localRateLimit: [{maxTokens: 10, tokensPerFill: 10, fillInterval: 1h}, {maxTokens: 2, tokensPerFill: 1, fillInterval: 300ms}]`);
    const first = await fetch(`${g.baseURL()}/chat/completions`, { method: "POST", body: BODY });
    expect(first.status).toBe(200);
    expect([first.headers.get("x-ratelimit-limit"), first.headers.get("x-ratelimit-remaining"), first.headers.get("x-ratelimit-reset")]).toEqual(["2", "1", "0"]);
    const models = await fetch(`${g.baseURL()}/models`); // the gateway's own answers too
    expect(models.headers.get("x-ratelimit-remaining")).toBe("0");
    expect((await fetch(`${g.baseURL()}/chat/completions`, { method: "POST", body: BODY })).status).toBe(429);
    await Bun.sleep(350);
    expect((await fetch(`${g.baseURL()}/chat/completions`, { method: "POST", body: BODY })).status).toBe(200);
  });

  test("a provider's error answer carries the limit's headers too; headers the provider set itself are kept", async () => {
    const g = await gateway(`localRateLimit: [{maxTokens: 7, tokensPerFill: 7, fillInterval: 1h}]`);
    emu.script(() => Response.json({ error: { message: "overloaded", type: "server_error", param: null, code: null } }, { status: 500, headers: { "x-ratelimit-limit": "100" } }));
    try {
      const res = await fetch(`${g.baseURL()}/chat/completions`, { method: "POST", body: BODY });
      expect(res.status).toBe(500);
      expect(res.headers.get("x-ratelimit-remaining")).toBe("6");
      expect(res.headers.get("x-ratelimit-limit")).toBe("100");
    } finally {
      emu.script(undefined);
    }
  });

  test("key: one bucket per API key", async () => {
    const g = await gateway(`apiKey: {mode: strict, keys: [{key: sk-a}, {key: sk-b}]}
localRateLimit: [{maxTokens: 2, tokensPerFill: 2, fillInterval: 1h, key: apiKey.key}]`);
    const a = openaiClient(g.baseURL(), "sk-a");
    const b = openaiClient(g.baseURL(), "sk-b");
    expect([(await status(chat(a))).status, (await status(chat(a))).status, (await status(chat(a))).status]).toEqual([200, 200, 429]);
    expect([(await status(chat(b))).status, (await status(chat(b))).status, (await status(chat(b))).status]).toEqual([200, 200, 429]);
  });

  test("conditional: the first entry whose condition holds applies", async () => {
    const g = await gateway(`localRateLimit:
  conditional:
  - {condition: 'request.headers["x-tier"] == "free"', maxTokens: 1, tokensPerFill: 1, fillInterval: 1h}
  - {maxTokens: 100, tokensPerFill: 100, fillInterval: 1h}`);
    const free = new OpenAI({ baseURL: g.baseURL(), apiKey: "x", maxRetries: 0, defaultHeaders: { "x-tier": "free" } });
    expect([(await status(chat(free))).status, (await status(chat(free))).status]).toEqual([200, 429]);
    expect((await status(chat(openaiClient(g.baseURL())))).status).toBe(200);
  });
});

describe("localRateLimit: tokens", () => {
  test("the request that exhausts the bucket succeeds, the next is refused; streamed usage is charged at the end", async () => {
    const g = await gateway(`localRateLimit: [{maxTokens: 30, tokensPerFill: 30, fillInterval: 1h, type: tokens}]`);
    const client = openaiClient(g.baseURL());
    const first = await chat(client);
    const used = first.usage!.prompt_tokens + first.usage!.completion_tokens;
    expect(used).toBeGreaterThan(15); // two answers overdraw 30 tokens
    expect(used).toBeLessThan(30); // one does not: only the streamed usage, charged at its end, empties the bucket
    const stream = await client.chat.completions.create({ model: "m", stream: true, messages: [{ role: "user", content: "hi" }] });
    for await (const _ of stream) {
      // the client did not ask for usage: the gateway reads it for the limit anyway
    }
    const refused = await apiError(chat(client));
    expect(refused.status).toBe(429);
    expect(refused.message).toContain("30 tokens");
    expect(refused.headers?.get("x-ratelimit-remaining")).toBe("0");
  });
});

describe("localRateLimit config", () => {
  test("located errors: maxTokens below tokensPerFill, a bad key expression, a fallback before the end", async () => {
    await expect(gateway(`localRateLimit: [{maxTokens: 1, tokensPerFill: 5, fillInterval: 1s}]`)).rejects.toThrow(/localRateLimit\[0\]\.maxTokens: maxTokens \(1\) cannot be less than tokensPerFill \(5\)/);
    await expect(gateway(`localRateLimit: [{maxTokens: 1, fillInterval: 1s, key: "apiKey.key +"}]`)).rejects.toThrow(/localRateLimit\[0\]\.key: invalid CEL expression/);
    await expect(gateway(`localRateLimit: {conditional: [{maxTokens: 1, fillInterval: 1s}, {maxTokens: 1, fillInterval: 1s}]}`)).rejects.toThrow(/only the last conditional entry may omit 'condition'/);
  });
});
