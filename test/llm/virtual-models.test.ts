/**
 * `llm.virtualModels` over real HTTP with the SDK: weighted targets spread by weight and fail
 * over to each other; failover targets by priority; targets resolved against `models` patterns
 * (internal models included), the upstream model being the entry's pinned model or the target's
 * name; listed in /v1/models; a target matching no model fails the load by name. `health` on an
 * llm model.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfigText } from "../../src/config/load.ts";
import { formatIssues } from "../../src/config/errors.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, sequence, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let a: OpenAIEmulator;
let b: OpenAIEmulator;
let gw: TestGateway;
let random = sequence([0]);
let clock = 0;

const yaml = (aHost: string, bHost: string) => `
llm:
  port: 0
  models:
  - name: gpt-a
    provider: openai
    params: {model: upstream-a, baseUrl: "http://${aHost}/v1"}
  - name: "b/*"
    visibility: internal
    provider: openai
    params: {baseUrl: "http://${bHost}/v1"}
    health: {eviction: {duration: 5s}}
  virtualModels:
  - name: smart
    routing:
      weighted:
        targets: [{model: gpt-a, weight: 3}, {model: b/big, weight: 1}]
  - name: careful
    routing:
      failover:
        targets: [{model: b/small, priority: 1}, {model: gpt-a, priority: 0}]
  - name: routed
    routing:
      conditional:
        targets:
        - {when: 'request.headers["x-tier"] == "premium"', model: b/premium}
        - {when: 'llm.requestModel == "routed" && size(llmRequest.messages) > 2', model: b/long}
        - {model: gpt-a}
`;

beforeAll(async () => {
  a = startOpenAIEmulator();
  b = startOpenAIEmulator();
  gw = await startTestGateway(yaml(a.host, b.host), {}, { deps: { random: () => random(), now: () => clock } });
});
afterAll(async () => {
  await gw.stop();
  await a.stop();
  await b.stop();
});

const ask = (model: string) => openaiClient(gw.baseURL()).chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }).withResponse();

describe("virtual models", () => {
  test("weighted: drawn by weight (3:1); the upstream model is the entry's pinned one, else the target's name", async () => {
    random = sequence([0.7]); // 0.7 * 4 = 2.8 < 3 -> gpt-a
    expect((await ask("smart")).response.headers.get("x-agw-provider")).toBe("gpt-a");
    expect(a.lastJson().model).toBe("upstream-a");
    random = sequence([0.8]); // 3.2 -> b/big
    expect((await ask("smart")).response.headers.get("x-agw-provider")).toBe("b/*");
    expect(b.lastJson().model).toBe("b/big");
  });

  test("weighted targets fail over to each other", async () => {
    random = sequence([0.8]);
    b.script(() => new Response("{}", { status: 503 }));
    expect((await ask("smart")).response.headers.get("x-agw-provider")).toBe("gpt-a");
    b.script(undefined);
    clock += 5_000; // b's eviction (its own health: 5 s) is over
  });

  test("failover: lowest priority first, the next priority when it fails", async () => {
    random = sequence([0]);
    expect((await ask("careful")).response.headers.get("x-agw-provider")).toBe("gpt-a");
    a.script(() => new Response("{}", { status: 429 }));
    const r = await ask("careful");
    expect(r.response.headers.get("x-agw-provider")).toBe("b/*");
    expect(b.lastJson().model).toBe("b/small");
    a.script(undefined);
    clock += 60_000;
  });

  test("internal models are not served directly; virtual models are listed", async () => {
    const err = await ask("b/big").catch((e: { status?: number }) => e);
    expect((err as { status: number }).status).toBe(404);
    const ids = (await openaiClient(gw.baseURL()).models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(["gpt-a", "smart", "careful"]));
    expect(ids).not.toContain("b/*");
  });

  test("conditional: the first target whose CEL holds (headers, then the body), else the fallback", async () => {
    const client = (headers: Record<string, string> = {}) => new OpenAI({ baseURL: gw.baseURL(), apiKey: "x", maxRetries: 0, defaultHeaders: headers });
    const hi = [{ role: "user" as const, content: "hi" }];
    const r1 = await client({ "x-tier": "premium" }).chat.completions.create({ model: "routed", messages: hi }).withResponse();
    expect(r1.response.headers.get("x-agw-provider")).toBe("b/*");
    expect(b.lastJson().model).toBe("b/premium");
    const long = [...hi, { role: "assistant" as const, content: "hello" }, { role: "user" as const, content: "more" }];
    await client().chat.completions.create({ model: "routed", messages: long });
    expect(b.lastJson().model).toBe("b/long");
    const r3 = await client().chat.completions.create({ model: "routed", messages: hi }).withResponse();
    expect(r3.response.headers.get("x-agw-provider")).toBe("gpt-a");
  });

  test("conditional: only the last target may omit 'when'; a bad condition is located", () => {
    const noWhen = loadConfigText(yaml("127.0.0.1:1", "127.0.0.1:2").replace(`- {when: 'request.headers["x-tier"] == "premium"', model: b/premium}`, "- {model: b/premium}"), "t.yaml", { env: {} });
    expect(noWhen.ok).toBe(false);
    if (!noWhen.ok) expect(formatIssues(noWhen.errors)).toContain("only the last conditional target may omit 'when'");
    const bad = loadConfigText(yaml("127.0.0.1:1", "127.0.0.1:2").replace(`request.headers["x-tier"] == "premium"`, "request.headers[ =="), "t.yaml", { env: {} });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(formatIssues(bad.errors)).toContain("llm.virtualModels[2].routing.conditional.targets[0].when: invalid CEL expression");
  });

  test("a target that matches no model fails the load, located", () => {
    const r = loadConfigText(yaml("127.0.0.1:1", "127.0.0.1:2").replace("model: b/small", "model: c/none"), "t.yaml", { env: {} });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatIssues(r.errors)).toContain("llm.virtualModels[1].routing.failover.targets[0].model: virtual model target 'c/none' matches no entry of llm.models");
  });
});
