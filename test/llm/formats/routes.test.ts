/**
 * What the client-format routes share with every other route: model lists in the client's shape,
 * count_tokens (native or estimated), the `llm:` form routing on the model a Gemini path names,
 * aliases and route policies, and errors in the client's shape for requests no route serves.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, startTestGateway, type ProviderGateway, type TestGateway } from "../../helpers/gateway.ts";
import { openaiJson, openaiTextStream } from "./scripts.ts";

let emu: OpenAIEmulator;
let gw: ProviderGateway;
beforeAll(async () => {
  emu = startOpenAIEmulator();
  gw = await gatewayFor("openAI", emu, {
    auth: { key: "sk-gw" },
    policies: `
      requestHeaderModifier: {set: {x-team: blue}}
      responseHeaderModifier: {set: {x-served-by: gateway}}`,
    backend: "policies: {ai: {modelAliases: {claude-opus-5-5: gpt-5, \"claude-*\": gpt-4o-mini}}}",
  });
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

const anthropic = () => new Anthropic({ baseURL: gw.origin(), apiKey: "sk-ant-client", maxRetries: 0 });

describe("aliases and policies on client-format routes", () => {
  test("a Messages request: the alias picks the upstream model, header policies apply both ways", async () => {
    emu.enqueue(openaiTextStream(["ok"]));
    const { data, response } = await anthropic().messages.stream({ model: "claude-opus-5-5", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(response.headers.get("x-served-by")).toBe("gateway");
    await data.finalMessage();
    const req = emu.requests.at(-1)!;
    expect(req.json.model).toBe("gpt-5");
    expect(req.headers.get("x-team")).toBe("blue");
  });

  test("a Gemini-native request: the alias applies to the model its path names", async () => {
    emu.enqueue(openaiJson({ content: "ok" }, "stop"));
    const res = await fetch(`${gw.origin()}/v1beta/models/claude-haiku:generateContent`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }) });
    expect(res.status).toBe(200);
    expect(emu.requests.at(-1)!.json.model).toBe("gpt-4o-mini");
  });
});

describe("provider groups", () => {
  test("an unreachable provider fails over to the next group for a Messages client too", async () => {
    const groups = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - backends:
      - ai:
          groups:
          - providers:
            - {name: down, hostOverride: "127.0.0.1:1", provider: {openAI: {}}, policies: {backendAuth: {key: k}}}
          - providers:
            - {name: up, hostOverride: "${emu.host}", provider: {openAI: {model: gpt-backup}}, policies: {backendAuth: {key: k}}}
`);
    try {
      emu.enqueue(openaiTextStream(["from ", "backup"]));
      const msg = await new Anthropic({ baseURL: groups.origin(), apiKey: "c", maxRetries: 0 }).messages.stream({ model: "m", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).finalMessage();
      expect(msg.content).toMatchObject([{ type: "text", text: "from backup" }]);
      expect(emu.requests.at(-1)!.json.model).toBe("gpt-backup");
    } finally {
      await groups.stop();
    }
  });
});

describe("model lists in the client's shape", () => {
  beforeAll(() => {
    emu.script((r) => (r.path === "/v1/models" ? Response.json({ object: "list", data: [{ id: "gpt-5", object: "model", created: 1700000000, owned_by: "openai" }] }) : undefined));
  });
  afterAll(() => emu.script(undefined));

  test("Anthropic's SDK (anthropic-version) gets Anthropic's list", async () => {
    const page = await anthropic().models.list();
    expect(page.data).toEqual([{ type: "model", id: "gpt-5", display_name: "gpt-5", created_at: "2023-11-14T22:13:20.000Z" } as Anthropic.ModelInfo]);
    const one = await anthropic().models.retrieve("gpt-5");
    expect(one.id).toBe("gpt-5");
  });

  test("a Gemini path gets Gemini's list; OpenAI clients keep OpenAI's", async () => {
    const gem = (await (await fetch(`${gw.origin()}/v1beta/models`)).json()) as { models: { name: string }[] };
    expect(gem.models.map((m) => m.name)).toEqual(["models/gpt-5"]);
    const openai = await gw.client.models.list();
    expect(openai.data.map((m) => m.id)).toEqual(["gpt-5"]);
  });

  test("an unknown model in Anthropic's shape is Anthropic's not_found_error", async () => {
    const err = (await anthropic().models.retrieve("nope").catch((e) => e)) as InstanceType<typeof Anthropic.NotFoundError>;
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect(err.error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });
});

describe("count_tokens", () => {
  let ant: AnthropicEmulator;
  let native: ProviderGateway;
  beforeAll(async () => {
    ant = startAnthropicEmulator();
    ant.script((r) => (r.path === "/v1/messages/count_tokens" ? { kind: "http", status: 200, json: { input_tokens: 4242 } } : undefined));
    native = await gatewayFor("anthropic", ant, { auth: { key: "sk-ant-gw" } });
  });
  afterAll(async () => {
    await native.stop();
    await ant.stop();
  });

  test("on Anthropic: Anthropic's own count", async () => {
    const n = await new Anthropic({ baseURL: native.origin(), apiKey: "c", maxRetries: 0 }).messages.countTokens({ model: "claude-x", messages: [{ role: "user", content: "hi" }] });
    expect(n.input_tokens).toBe(4242);
    expect(ant.requests.at(-1)!.headers.get("x-api-key")).toBe("sk-ant-gw");
  });

  test("on an OpenAI-format provider: the local estimate, tools and system included", async () => {
    const before = emu.requests.length;
    const base = { model: "claude-x", messages: [{ role: "user" as const, content: "What is the weather like in Paris today?" }] };
    const small = await anthropic().messages.countTokens(base);
    const big = await anthropic().messages.countTokens({ ...base, system: "You are a meteorologist. ".repeat(20), tools: [{ name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }] });
    expect(small.input_tokens).toBeGreaterThanOrEqual(14);
    expect(small.input_tokens).toBeLessThanOrEqual(20);
    expect(big.input_tokens).toBeGreaterThan(small.input_tokens + 100);
    expect(emu.requests.length).toBe(before);
  });
});

describe("errors in the client's shape when nothing serves the request", () => {
  let llm: TestGateway;
  beforeAll(async () => {
    llm = await startTestGateway(`
llm:
  port: 0
  models:
  - name: gemini-2.5-flash
    provider: openai
    params: {model: gpt-4o-mini, apiKey: sk-gw, hostOverride: "${emu.host}"}
`);
  });
  afterAll(() => llm.stop());

  test("llm: routes a Gemini-native request on the model its path names; an unknown model is a Google 404", async () => {
    emu.enqueue(openaiJson({ content: "routed" }, "stop"));
    const ok = await fetch(`${llm.origin()}/v1beta/models/gemini-2.5-flash:generateContent`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ contents: [{ parts: [{ text: "hi" }] }] }) });
    expect(((await ok.json()) as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]!.content.parts[0]!.text).toBe("routed");
    expect(emu.requests.at(-1)!.json.model).toBe("gpt-4o-mini");
    const res = await fetch(`${llm.origin()}/v1beta/models/other:generateContent`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 404, status: "NOT_FOUND" } });
  });

  test("an unknown model on /v1/messages is Anthropic's not_found_error", async () => {
    const err = (await new Anthropic({ baseURL: llm.origin(), apiKey: "k", maxRetries: 0 })
      .messages.create({ model: "nope", max_tokens: 5, messages: [{ role: "user", content: "hi" }] })
      .catch((e) => e)) as InstanceType<typeof Anthropic.NotFoundError>;
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect(err.error).toMatchObject({ type: "error", error: { type: "not_found_error" } });
  });
});
