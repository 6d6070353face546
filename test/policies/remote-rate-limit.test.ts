/**
 * `remoteRateLimit` over real HTTP with the official OpenAI SDK, against a real gRPC rate limit
 * service (Envoy's ShouldRateLimit, decoded by protobufjs) that counts like envoyproxy/ratelimit:
 * per-user request limits with the SDK's RateLimitError and the service's headers, token limits
 * checked before and charged with the usage after, costs and limit overrides as sent, descriptors
 * left out when they do not evaluate, and both failure modes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startRateLimitService, type RateLimitService } from "../emulators/rate-limit-service.ts";
import { prefixedOpenAIRoute, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
let rls: RateLimitService;
let gw: TestGateway;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  rls = await startRateLimitService({ user: 2, team: 1_000_000 });
  const route = (name: string, policy: string) => prefixedOpenAIRoute(name, emu.host, { backendAuth: "{key: sk-backend}", remoteRateLimit: policy });
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:${route("per-user", `{host: "${rls.host}", domain: llm, descriptors: [{entries: [{key: user, value: 'request.headers["x-user"]'}]}]}`)}${route(
    "tokens",
    `{host: "${rls.host}", domain: llm-tokens, descriptors: [{entries: [{key: team, value: '"ml"'}], type: tokens}]}`,
  )}${route("costed", `{host: "${rls.host}", domain: costed, descriptors: [{entries: [{key: model, value: 'llm.requestModel'}], cost: '5', limitOverride: '{"unit": "minute", "requestsPerUnit": 7}'}]}`)}${route(
    "closed",
    `{host: "127.0.0.1:1", domain: x, descriptors: [{entries: [{key: user, value: '"a"'}]}]}`,
  )}${route("open", `{host: "127.0.0.1:1", domain: x, failureMode: failOpen, descriptors: [{entries: [{key: user, value: '"a"'}]}]}`)}
`);
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
  rls.stop();
});

const client = (prefix: string, headers: Record<string, string> = {}) => new OpenAI({ baseURL: `${gw.origin()}/${prefix}/v1`, apiKey: "client-key", maxRetries: 0, defaultHeaders: headers });
const ask = (c: OpenAI) => c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
const askStream = (c: OpenAI) => c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true, stream_options: { include_usage: true } });

describe("request limits", () => {
  test("per user: the service's count decides; the refusal is the SDK's RateLimitError with retry-after and x-ratelimit-*; other users go on", async () => {
    const alice = client("per-user", { "x-user": "alice" });
    const first = await ask(alice).withResponse();
    expect(first.response.headers.get("x-ratelimit-limit")).toBe("2");
    expect(first.response.headers.get("x-ratelimit-remaining")).toBe("1");
    await ask(alice);
    const before = emu.requests.length;
    const err = (await ask(alice).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers?.get("retry-after")).toBe("42");
    expect(err.headers?.get("x-ratelimit-remaining")).toBe("0");
    expect((err.error as { code?: string }).code).toBe("rate_limit_exceeded");
    expect(emu.requests.length).toBe(before);
    expect((await ask(client("per-user", { "x-user": "bob" }))).choices).toHaveLength(1);
    const sent = rls.seen.at(-1)!;
    expect(sent.domain).toBe("llm");
    expect(sent.descriptors).toEqual([{ entries: [{ key: "user", value: "bob" }] }]);
  });

  test("the service's request headers reach the provider (never host), its response headers and body reach the client", async () => {
    rls.extra = { requestHeadersToAdd: [{ key: "x-quota-tier", value: "gold" }, { key: "host", value: "evil.example" }], responseHeadersToAdd: [{ key: "x-quota-note", value: "fair use" }] };
    const { response } = await ask(client("per-user", { "x-user": "carol" })).withResponse();
    expect(response.headers.get("x-quota-note")).toBe("fair use");
    expect(emu.requests.at(-1)!.headers.get("x-quota-tier")).toBe("gold");
    expect(emu.requests.at(-1)!.headers.get("host")).toBe(emu.host);
    rls.extra = { rawBody: new TextEncoder().encode("carol has used her quota") };
    await ask(client("per-user", { "x-user": "carol" }));
    const err = (await ask(client("per-user", { "x-user": "carol" })).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.message).toContain("carol has used her quota");
    rls.extra = {};
  });

  test("a descriptor whose entry does not evaluate is left out; with none left the service is not asked", async () => {
    const asked = rls.seen.length;
    expect((await ask(client("per-user"))).choices).toHaveLength(1); // no x-user header
    expect(rls.seen.length).toBe(asked);
  });

  test("cost and limitOverride are sent as the descriptor's hits_addend and limit", async () => {
    await ask(client("costed"));
    expect(rls.seen.at(-1)!.descriptors).toEqual([{ entries: [{ key: "model", value: "gpt-4o-mini" }], hitsAddend: { value: 5 }, limit: { requestsPerUnit: 7, unit: 2 } }]);
  });
});

describe("token limits", () => {
  for (const stream of [false, true]) {
    test(`checked without counting before the call, charged with the usage after it ends (${stream ? "stream" : "JSON"})`, async () => {
      const asked = rls.seen.length;
      let total = 0;
      if (stream) {
        for await (const chunk of await askStream(client("tokens"))) if (chunk.usage) total = chunk.usage.total_tokens;
      } else {
        total = (await ask(client("tokens"))).usage!.total_tokens;
      }
      expect(total).toBeGreaterThan(0);
      const deadline = Date.now() + 3000;
      while (rls.seen.length < asked + 2 && Date.now() < deadline) await Bun.sleep(10);
      const [check, charge] = rls.seen.slice(asked);
      expect(check!.domain).toBe("llm-tokens");
      expect(check!.descriptors![0]!.hitsAddend?.value ?? 0).toBe(0);
      expect(charge!.descriptors).toEqual([{ entries: [{ key: "team", value: "ml" }], hitsAddend: { value: total } }]);
    });
  }
});

describe("failure modes", () => {
  test("failClosed (default): a service that cannot answer is a 500; failOpen lets the request through", async () => {
    const err = (await ask(client("closed")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(500);
    expect((err.error as { code?: string }).code).toBe("rate_limit_service_unavailable");
    expect((await ask(client("open"))).choices).toHaveLength(1);
  });

  test("a service answering UNAVAILABLE is a failure too", async () => {
    rls.down = true;
    try {
      const err = (await ask(client("per-user", { "x-user": "dave" })).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(500);
      expect(err.message).toContain("ratelimit down");
    } finally {
      rls.down = false;
    }
  });
});
