/**
 * `apiKey` through the official SDK: keys in clear and as sha256 hashes, the three modes, a custom
 * location, allowedModels (403 and the /v1/models list), metadata in CEL, the key never sent
 * upstream nor written in logs or errors, and the gateway and llm.policies levels.
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

const KEY = "sk-gw-alice-0123456789";
const BOB = "sk-gw-bob-9876543210";
const BOB_HASH = `sha256:${new Bun.CryptoHasher("sha256").update(BOB).digest("hex")}`;

async function llmGateway(policies: string): Promise<TestGateway> {
  const g = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - policies:
${policies.replace(/^/gm, "        ")}
        backendAuth: {key: sk-upstream}
      backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}, policies: {ai: {routes: {/v1/chat/completions: completions, /v1/models: models}}}}}]
`);
  gateways.push(g);
  return g;
}

describe("apiKey", () => {
  test("strict: a known key passes and is replaced upstream; a missing or unknown key is a 401 that never echoes the key", async () => {
    const g = await llmGateway(`apiKey: {mode: strict, keys: [{key: ${KEY}}, {keyHash: "${BOB_HASH}"}]}`);
    await chat(openaiClient(g.baseURL(), KEY));
    expect(emu.requests.at(-1)!.headers.get("authorization")).toBe("Bearer sk-upstream");
    await chat(openaiClient(g.baseURL(), BOB)); // by hash
    const wrong = await apiError(chat(openaiClient(g.baseURL(), "sk-wrong-key-123")));
    expect(wrong.status).toBe(401);
    expect(wrong.message).toContain("API key not recognised");
    expect(wrong.message).not.toContain("sk-wrong-key-123");
    expect(wrong.code).toBe("invalid_api_key");
    expect(wrong.type).toBe("authentication_error");
    const none = await fetch(`${g.baseURL()}/chat/completions`, { method: "POST", body: "{}" });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe("missing_api_key");
    const log = g.rawLog();
    for (const secret of [KEY, BOB, "sk-wrong-key-123"]) expect(log).not.toContain(secret);
  });

  test("optional (default) lets a request without a key through; permissive lets an unknown key through", async () => {
    const optional = await llmGateway(`apiKey: {keys: [{key: ${KEY}}]}`);
    expect((await fetch(`${optional.baseURL()}/chat/completions`, { method: "POST", body: BODY })).status).toBe(200);
    expect((await status(chat(openaiClient(optional.baseURL(), "sk-nope")))).status).toBe(401);
    const permissive = await llmGateway(`apiKey: {mode: permissive, keys: [{key: ${KEY}}]}`);
    expect((await status(chat(openaiClient(permissive.baseURL(), "sk-nope")))).status).toBe(200);
    // even an unrecognised key is never forwarded
    expect(emu.requests.at(-1)!.headers.get("authorization")).toBe("Bearer sk-upstream");
  });

  test("a custom location (header without prefix, query parameter)", async () => {
    const g = await llmGateway(`apiKey: {mode: strict, location: {header: {name: x-gw-key}}, keys: [{key: ${KEY}}]}`);
    const client = new OpenAI({ baseURL: g.baseURL(), apiKey: "unused", maxRetries: 0, defaultHeaders: { "x-gw-key": KEY } });
    await chat(client);
    expect(emu.requests.at(-1)!.headers.get("x-gw-key")).toBeNull();
    const q = await llmGateway(`apiKey: {mode: strict, location: {queryParameter: {name: key}}, keys: [{key: ${KEY}}]}`);
    const res = await fetch(`${q.baseURL()}/chat/completions?key=${KEY}`, { method: "POST", body: BODY });
    expect(res.status).toBe(200);
    expect(emu.requests.at(-1)!.query).toBe("");
  });

  test("a cookie location: only that cookie is removed upstream, the others go on", async () => {
    const g = await llmGateway(`apiKey: {mode: strict, location: {cookie: {name: gw_key}}, keys: [{key: ${KEY}}]}`);
    const client = new OpenAI({ baseURL: g.baseURL(), apiKey: "unused", maxRetries: 0, defaultHeaders: { cookie: `theme=dark; gw_key=${KEY}; lang=en` } });
    await chat(client);
    expect(emu.requests.at(-1)!.headers.get("cookie")).toBe("theme=dark; lang=en");
    const alone = new OpenAI({ baseURL: g.baseURL(), apiKey: "unused", maxRetries: 0, defaultHeaders: { cookie: `gw_key=${KEY}` } });
    await chat(alone);
    expect(emu.requests.at(-1)!.headers.get("cookie")).toBeNull();
    const missing = await apiError(chat(new OpenAI({ baseURL: g.baseURL(), apiKey: "unused", maxRetries: 0, defaultHeaders: { cookie: "theme=dark" } })));
    expect(missing.status).toBe(401);
    expect(missing.message).toContain("the cookie 'gw_key'");
  });

  test("an expression location: the credential the CEL reads is validated, then removed from wherever it was sent", async () => {
    const g = await llmGateway(`apiKey: {mode: strict, location: {expression: 'request.headers["x-team-auth"].split(":")[1]'}, keys: [{key: ${KEY}}]}`);
    const client = new OpenAI({ baseURL: g.baseURL(), apiKey: "unused", maxRetries: 0, defaultHeaders: { "x-team-auth": `search:${KEY}`, "x-other": "kept" } });
    await chat(client);
    const upstream = emu.requests.at(-1)!.headers;
    expect(upstream.get("x-team-auth")).toBeNull();
    expect(upstream.get("x-other")).toBe("kept");
    expect([...upstream.values()].join(" ")).not.toContain(KEY);
    const wrong = await apiError(chat(new OpenAI({ baseURL: g.baseURL(), apiKey: "unused", maxRetries: 0, defaultHeaders: { "x-team-auth": "search:sk-nope" } })));
    expect(wrong.status).toBe(401);
    expect(wrong.message).not.toContain("sk-nope");
  });

  test("a credential expression that reads the body, or does not compile, is a located config error", async () => {
    await expect(llmGateway(`apiKey: {location: {expression: 'llmRequest.user'}, keys: [{key: ${KEY}}]}`)).rejects.toThrow(/apiKey\.location\.expression.*cannot read the request body/);
    await expect(llmGateway(`apiKey: {location: {expression: 'request.headers['}, keys: [{key: ${KEY}}]}`)).rejects.toThrow(/apiKey\.location\.expression.*invalid CEL expression/);
    await expect(llmGateway(`apiKey: {location: {cookie: {name: a}, header: {name: b}}, keys: [{key: ${KEY}}]}`)).rejects.toThrow(/location/);
  });

  test("allowedModels: other models are a 403 naming the model, and /v1/models lists only the allowed ones", async () => {
    const g = await llmGateway(`apiKey: {mode: strict, keys: [{key: ${KEY}, allowedModels: ["gpt-4o*"]}, {key: ${BOB}}]}`);
    await chat(openaiClient(g.baseURL(), KEY), "gpt-4o-mini");
    const denied = await apiError(chat(openaiClient(g.baseURL(), KEY), "o3"));
    expect(denied.status).toBe(403);
    expect(denied.message).toContain("model o3 is not allowed for this API key");
    expect(denied.code).toBe("model_not_allowed");
    const mine = (await openaiClient(g.baseURL(), KEY).models.list()).data.map((m) => m.id);
    const all = (await openaiClient(g.baseURL(), BOB).models.list()).data.map((m) => m.id);
    expect(all.length).toBeGreaterThan(mine.length);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((id) => id.startsWith("gpt-4o"))).toBe(true);
  });

  test("bad config: a malformed keyHash and a pattern with a '*' in the middle are located errors", async () => {
    await expect(llmGateway(`apiKey: {keys: [{keyHash: "sha256:abc"}]}`)).rejects.toThrow(/keyHash must be sha256/);
    await expect(llmGateway(`apiKey: {keys: [{key: k, allowedModels: ["gpt*mini"]}]}`)).rejects.toThrow(/test.yaml:\d+.*at most one '\*'/s);
  });
});

describe("apiKey at other levels", () => {
  test("llm.policies and a gateway's policies", async () => {
    const llm = await startTestGateway(`
llm:
  port: 0
  policies:
    apiKey: {mode: strict, keys: [{key: ${KEY}, metadata: {team: a}}]}
  models:
  - name: gpt-4o-mini
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
`);
    gateways.push(llm);
    await chat(openaiClient(llm.baseURL(), KEY));
    expect(emu.requests.at(-1)!.headers.get("authorization")).toBe("Bearer sk-upstream");
    expect((await status(chat(openaiClient(llm.baseURL(), "sk-x")))).status).toBe(401);

    const gw = await startTestGateway(`
gateways:
  default:
    port: 0
    apiKey: {mode: strict, keys: [{key: ${KEY}}]}
routes:
- backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`);
    gateways.push(gw);
    await chat(openaiClient(gw.baseURL(), KEY));
    expect(emu.requests.at(-1)!.headers.get("authorization")).toBeNull(); // stripped, and no backendAuth
    expect((await status(chat(openaiClient(gw.baseURL(), "sk-x")))).status).toBe(401);
  });
});
