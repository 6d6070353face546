/** `budgets` in process: a 429 insufficient_quota once spent (the SDK does not retry it), per-key budgets, unpriced models charged 0 and logged once. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { accessLogs, eventually, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { apiError, chat, status } from "./helpers.ts";

let emu: OpenAIEmulator;
let g: TestGateway;
beforeAll(async () => {
  emu = startOpenAIEmulator();
  g = await startTestGateway(`
config:
  modelCatalog: [{inline: '{"providers":{"openai":{"models":{"gpt-4o-mini":{"rates":{"input":"1000","output":"1000"}}}}}}'}]
llm:
  port: 0
  policies:
    apiKey: {mode: strict, keys: [{key: sk-a}, {key: sk-b}]}
    budgets: [{key: apiKey.key, maxCost: 0.01, window: 30d}]
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
`);
});
afterAll(async () => {
  await g.stop();
  emu.stop();
});

const client = (key: string) => new OpenAI({ baseURL: g.baseURL(), apiKey: key, maxRetries: 2 });

describe("budgets", () => {
  test("once a key has spent its budget: 429 insufficient_quota, x-should-retry: false, and the SDK does not retry", async () => {
    expect((await status(chat(client("sk-a")))).status).toBe(200); // about $0.02: over the $0.01 budget
    const cost = await eventually(() => accessLogs(g).at(-1)?.["agw.ai.usage.cost.total"] as string | undefined); // spend in the access log
    expect(Number(cost)).toBeGreaterThan(0.01);
    const before = emu.requests.length;
    const e = await apiError(chat(client("sk-a")));
    expect(e.status).toBe(429);
    expect(e.type).toBe("insufficient_quota");
    expect(e.code).toBe("insufficient_quota");
    expect(e.message).toContain("budget exhausted");
    expect(e.headers?.get("x-should-retry")).toBe("false");
    expect(emu.requests.length).toBe(before);
    await Bun.sleep(50);
    g.rawLog();
    expect(accessLogs(g).filter((l) => l["http.status"] === 429).length).toBe(1); // one attempt, no SDK retries
    // another key has its own budget
    expect((await status(chat(client("sk-b")))).status).toBe(200);
  });

  test("a model without a price is charged nothing, and logged once", async () => {
    const g2 = await startTestGateway(`
llm:
  port: 0
  policies:
    budgets: [{maxCost: 0.000001, window: 1h}]
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
`);
    try {
      const c = new OpenAI({ baseURL: g2.baseURL(), apiKey: "x", maxRetries: 0 });
      for (let i = 0; i < 3; i++) expect((await status(chat(c, "unpriced-model"))).status).toBe(200);
      g2.rawLog();
      const lines = g2.logs.filter((l) => String(l.message ?? "").includes("no price for model"));
      expect(lines.length).toBe(1);
    } finally {
      await g2.stop();
    }
  });
});
