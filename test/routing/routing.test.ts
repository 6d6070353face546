/**
 * Routing and backends end to end: listeners by hostname, weighted backends, path rules
 * (pathPrefix, pathOverride, presets' base URLs, passthrough paths), HTTPS listeners, plain
 * `host:` backends and the `llm:` router. Route and backend policies: test/policies/.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import type { Deps } from "../../src/server/context.ts";
import { openaiClient, sequence, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const TLS = join(import.meta.dir, "../fixtures/tls");
let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];

beforeAll(() => {
  emu = startOpenAIEmulator();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  emu.stop();
});

async function gateway(yaml: string, deps?: Partial<Deps>): Promise<TestGateway> {
  const g = await startTestGateway(yaml, {}, { deps });
  gateways.push(g);
  return g;
}

const chat = (c: OpenAI, model = "gpt-4o-mini") => c.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
const last = () => emu.requests.at(-1)!;

describe("listeners, hostnames and weights", () => {
  test("listeners on one port are chosen by Host; route hostnames too", async () => {
    const g = await gateway(`
binds:
- port: 0
  listeners:
  - hostname: "*.example.com"
    routes:
    - backends: [{ai: {name: wildcard, hostOverride: "${emu.host}", provider: {openAI: {model: wild-model}}}}]
  - hostname: api.example.com
    routes:
    - backends: [{ai: {name: exact, hostOverride: "${emu.host}", provider: {openAI: {model: exact-model}}}}]
  - routes:
    - hostnames: [special.test]
      backends: [{ai: {name: special, hostOverride: "${emu.host}", provider: {openAI: {model: special-model}}}}]
    - backends: [{ai: {name: fallback, hostOverride: "${emu.host}", provider: {openAI: {model: fallback-model}}}}]
`);
    const via = async (host: string) => {
      const c = new OpenAI({ baseURL: g.baseURL(), apiKey: "x", maxRetries: 0, defaultHeaders: { host } });
      await chat(c);
      return last().json.model;
    };
    expect(await via("api.example.com")).toBe("exact-model");
    expect(await via("eu.example.com")).toBe("wild-model");
    expect(await via("special.test")).toBe("special-model");
    expect(await via("other.test")).toBe("fallback-model");
  });

  test("weighted backends: each draw picks by weight; weight 0 never receives traffic", async () => {
    // weights 3, 1, 0 (total 4): draws below 0.75 pick a, the rest b, none c
    const draws = [0, 0.5, 0.7499, 0.75, 0.99, 0.25];
    const g = await gateway(
      `
binds:
- port: 0
  listeners:
  - routes:
    - backends:
      - {weight: 3, ai: {name: a, hostOverride: "${emu.host}", provider: {openAI: {model: model-a}}}}
      - {weight: 1, ai: {name: b, hostOverride: "${emu.host}", provider: {openAI: {model: model-b}}}}
      - {weight: 0, ai: {name: c, hostOverride: "${emu.host}", provider: {openAI: {model: model-c}}}}
`,
      { random: sequence(draws) },
    );
    const c = openaiClient(g.baseURL());
    const seen: string[] = [];
    for (let i = 0; i < draws.length * 2; i++) {
      await chat(c);
      seen.push(last().json.model);
    }
    const once = ["model-a", "model-a", "model-a", "model-b", "model-b", "model-a"];
    expect(seen).toEqual([...once, ...once]);
  });
});

describe("paths", () => {
  test("pathPrefix replaces the base path; pathOverride replaces the whole path", async () => {
    const g = await gateway(`
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /prefixed}}]
      backends: [{ai: {name: p, hostOverride: "${emu.host}", pathPrefix: /openai/v1, provider: {openAI: {}}}}]
    - matches: [{path: {pathPrefix: /overridden}}]
      backends: [{ai: {name: o, hostOverride: "${emu.host}", pathOverride: /custom/chat, provider: {openAI: {}}}}]
`);
    emu.script((r) => (r.path.startsWith("/openai/v1/") || r.path === "/custom/chat" ? Response.json({ id: "x", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: r.path }, finish_reason: "stop" }] }) : undefined));
    try {
      expect((await chat(openaiClient(`${g.origin()}/prefixed/v1`))).choices[0]!.message.content).toBe("/openai/v1/chat/completions");
      expect((await chat(openaiClient(`${g.origin()}/overridden/v1`))).choices[0]!.message.content).toBe("/custom/chat");
    } finally {
      emu.script(undefined);
    }
  });

  test("a passthrough path lands below the provider's base path, with its query", async () => {
    const g = await gateway(`
llm:
  port: 0
  models:
  - name: "*"
    provider: groq
    params: {baseUrl: "http://${emu.host}/openai/v1"}
`);
    emu.script((r) => (r.path === "/openai/v1/files" ? Response.json({ object: "list", data: [], path: r.path, query: r.query }) : undefined));
    try {
      const res = await fetch(`${g.baseURL()}/files?purpose=batch`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "llama" }) });
      expect(await res.json()).toMatchObject({ path: "/openai/v1/files", query: "?purpose=batch" });
    } finally {
      emu.script(undefined);
    }
    // and chat goes to the preset's completions path below the base URL
    await chat(openaiClient(g.baseURL()), "llama-3.3-70b");
    expect(last().path).toBe("/openai/v1/chat/completions");
  });
});

describe("TLS", () => {
  test("an HTTPS listener", async () => {
    const g = await gateway(`
binds:
- port: 0
  listeners:
  - protocol: HTTPS
    tls: {cert: "${TLS}/server.pem", key: "${TLS}/server.key"}
    routes:
    - backends: [{ai: {name: o, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`);
    const url = g.origin().replace("http://", "https://");
    const res = await fetch(`${url}/v1/models`, { tls: { ca: await Bun.file(join(TLS, "ca.pem")).text() } } as RequestInit);
    expect(res.status).toBe(200);
  });
});

describe("plain host backends and the llm: router", () => {
  test("a host: backend proxies any HTTP request as is", async () => {
    const g = await gateway(`
binds:
- port: 0
  listeners:
  - routes:
    - backends: [{host: "${emu.host}"}]
`);
    emu.script((r) => (r.path === "/status" ? new Response(`status ${r.method} ${r.query}`, { status: 207, headers: { "x-upstream": "yes" } }) : undefined));
    try {
      const res = await fetch(`${g.origin()}/status?x=1`, { method: "PUT", body: "abc" });
      expect(res.status).toBe(207);
      expect(res.headers.get("x-upstream")).toBe("yes");
      expect(await res.text()).toBe("status PUT ?x=1");
    } finally {
      emu.script(undefined);
    }
  });

  test("llm: the model picks the entry; unknown models 404; /v1/models lists public names", async () => {
    const g = await gateway(`
llm:
  port: 0
  models:
  - name: smart
    provider: openAI
    params: {model: gpt-4o, hostOverride: "${emu.host}", apiKey: sk-smart}
  - name: internal-only
    visibility: internal
    provider: openAI
    params: {hostOverride: "${emu.host}"}
  - name: "gpt-*"
    provider: openai
    params: {hostOverride: "${emu.host}", apiKey: sk-pattern}
`);
    const c = openaiClient(g.baseURL());
    await chat(c, "smart");
    expect(last().json.model).toBe("gpt-4o");
    expect(last().headers.get("authorization")).toBe("Bearer sk-smart");
    await chat(c, "gpt-4.1-mini");
    expect(last().json.model).toBe("gpt-4.1-mini");
    expect(last().headers.get("authorization")).toBe("Bearer sk-pattern");
    const missing = (await chat(c, "claude-3").catch((e) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(missing.status).toBe(404);
    expect(missing.message).toContain("model 'claude-3' is not configured");
    const hidden = (await chat(c, "internal-only").catch((e) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(hidden.status).toBe(404);
    const ids = (await c.models.list()).data.map((m) => m.id);
    // the pattern entry lists the upstream's models that match it
    expect(ids).toEqual(["smart", "gpt-4o-mini", "gpt-4o"]);
    const one = await c.models.retrieve("smart");
    expect(one).toMatchObject({ id: "smart", object: "model" });
  });
});
