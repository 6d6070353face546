/**
 * The upstream's host comes from the config only. An attacker who can reach the gateway tries to
 * make it send a request, with the configured provider credential, to a listener of their own:
 * network-path references (`//host/x`), backslashes, dot segments, encoded slashes and dots,
 * absolute-form request targets, `Host` / `X-Forwarded-Host`, hostile model names and provider
 * redirects. Every request goes over a raw socket (no client library normalises it first) to a
 * route of each provider; the foreign listener must never see a connection, and the configured
 * upstream gets the native path.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { freePort } from "../helpers/process.ts";
import { rawRequest, startRawRecorder, type RawRecorder, type RawRequest } from "../helpers/raw-http.ts";
import { BACKEND_KEY, PROVIDERS, providerConfig } from "./providers.ts";

let foreign: RawRecorder;
let upstream: RawRecorder;
let gw: TestGateway;
let port: number;
/** what the configured upstream answers next (default: a 503 JSON error it records) */
let nextAnswer: ((req: RawRequest) => { status: number; headers?: Record<string, string>; body?: string }) | undefined;

beforeAll(async () => {
  foreign = startRawRecorder(() => ({ status: 200, body: "you should never see this" }));
  upstream = startRawRecorder((req) => nextAnswer?.(req) ?? { status: 503, headers: { "content-type": "application/json" }, body: '{"error":{"message":"recorded","type":"api_error","param":null,"code":null}}' });
  gw = await startTestGateway(providerConfig(upstream.host));
  port = Number(new URL(gw.origin()).port);
});

afterAll(async () => {
  await gw.stop();
  foreign.stop();
  upstream.stop();
});

const F = () => `127.0.0.1:${foreign.port}`;

/** Sends a raw request to a provider's route; returns the answer and what the upstream got (if anything). */
async function attack(provider: string, method: string, target: string, extraHeaders: string[] = [], body = "") {
  const before = upstream.requests.length;
  const head = [`${method} ${target} HTTP/1.1`, "host: gateway.local", `x-provider: ${provider}`, "authorization: Bearer client-key-must-not-leak", ...extraHeaders];
  if (body) head.push("content-type: application/json");
  const res = await rawRequest(port, head.join("\r\n"), body);
  const sent = upstream.requests.slice(before);
  expect(sent.length).toBeLessThanOrEqual(1);
  return { res, sent: sent[0] };
}

function header(req: RawRequest, name: string): string | undefined {
  return req.headers.find(([n]) => n === name)?.[1];
}

/** The request reached the configured upstream with the gateway's credential, never the client's. */
function expectConfiguredUpstream(req: RawRequest | undefined, provider: (typeof PROVIDERS)[number], path: string) {
  expect(req?.target).toBe(path);
  const [name, value] = provider.credential;
  expect(header(req!, name)?.startsWith(value)).toBe(true);
  expect(req!.headers.some(([, v]) => v.includes("client-key-must-not-leak"))).toBe(false);
}

function expectRefused(res: { status: number; body: string }) {
  expect(res.status).toBe(400);
  const err = JSON.parse(res.body).error;
  expect(err.code).toBe("invalid_path");
  expect(err.type).toBe("invalid_request_error");
}

describe("client paths never choose the upstream host", () => {
  // [request target as sent, the path the configured upstream must get (undefined: refused with 400)]
  const variants = (): [string, string | undefined][] => [
    [`//${F()}/anything`, `/${F()}/anything`],
    [`///${F()}/x`, `/${F()}/x`],
    [`/\\\\${F()}/x`, `/${F()}/x`], // raw backslashes: Bun reads them as "/" (WHATWG), then collapsed
    [`/v1/../..//${F()}/x`, `/${F()}/x`],
    [`/v1/%2e%2e/%2E%2e//${F()}/x`, `/${F()}/x`],
    [`/%2F%2F${F()}/x`, undefined],
    [`/%2f${F()}/x`, undefined],
    [`/%5C%5C${F()}/x`, undefined],
    [`/..;/${F()}/x`, undefined],
    [`/v1/..;/..;/${F()}/x`, undefined],
    [`/a%00b/${F()}`, undefined],
    [`/a%0d%0ahost:${F()}`, undefined],
    [`/bad%zzescape`, undefined],
    [`http://${F()}/x`, "/x"], // absolute-form: the authority in the target is ignored
    [`http://${F()}//${F()}/x`, `/${F()}/x`],
  ];

  for (const p of PROVIDERS) {
    test(`${p.name}: every path variant lands on the configured host or is refused`, async () => {
      for (const [target, expected] of variants()) {
        const { res, sent } = await attack(p.name, "GET", target);
        if (expected === undefined) {
          expectRefused(res);
          expect(sent).toBeUndefined();
        } else {
          expectConfiguredUpstream(sent, p, expected);
        }
      }
      expect(foreign.connections).toBe(0);
    });

    test(`${p.name}: a chat path behind a network-path reference is served as chat on the configured host`, async () => {
      const body = JSON.stringify({ model: "m1", messages: [{ role: "user", content: "hi" }] });
      const { res, sent } = await attack(p.name, "POST", `//${F()}/v1/chat/completions`, [], body);
      expectConfiguredUpstream(sent, p, p.chatPath("m1", false, undefined));
      expect(res.status).toBe(503); // the test upstream's own answer, relayed
      expect(foreign.connections).toBe(0);
    });

    test(`${p.name}: Host and X-Forwarded-Host name the foreign listener, to no effect`, async () => {
      const head = [`GET /anything HTTP/1.1`, `host: ${F()}`, `x-provider: ${p.name}`, `x-forwarded-host: ${F()}`, `forwarded: host=${F()}`];
      const before = upstream.requests.length;
      expect((await rawRequest(port, head.join("\r\n"))).status).toBe(503); // the test upstream's answer, relayed
      expectConfiguredUpstream(upstream.requests[before], p, "/anything");
      expect(foreign.connections).toBe(0);
    });
  }
});

describe("client values in upstream paths are one encoded segment", () => {
  const hostile = () => ["../../x", `//${F()}/x`, "a/b?c#d", "m%2F..%2Fx", "a b", `https://${F()}/x`];
  for (const p of PROVIDERS.filter((p) => p.chatPath("X", false, undefined).includes("X"))) {
    test(`${p.name}: hostile model names stay inside one path segment`, async () => {
      const client = openaiClient(gw.baseURL(), "client-key-must-not-leak");
      for (const model of hostile()) {
        const before = upstream.requests.length;
        const err = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }, { headers: { "x-provider": p.name } }).then(
          () => "a success",
          (e: unknown) => e,
        );
        // the test upstream's 503, relayed: the request went out and came back through the gateway
        expect(err).toBeInstanceOf(OpenAI.InternalServerError);
        expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
        expectConfiguredUpstream(upstream.requests[before], p, p.chatPath(model, false, undefined));
      }
      for (const model of ["..", "."]) {
        const before = upstream.requests.length;
        const err = await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }, { headers: { "x-provider": p.name } }).catch((e) => e);
        expect(err).toBeInstanceOf(OpenAI.BadRequestError);
        expect(err.code).toBe("invalid_model");
        expect(upstream.requests.length).toBe(before);
      }
      expect(foreign.connections).toBe(0);
    });
  }
});

describe("provider redirects are never followed", () => {
  for (const p of PROVIDERS) {
    test(`${p.name}: a 3xx reaches the client as a 502 that names it; nothing goes to the Location`, async () => {
      nextAnswer = () => ({ status: 307, headers: { location: `http://${F()}/steal` } });
      try {
        const err = await openaiClient(gw.baseURL())
          .chat.completions.create({ model: "m1", messages: [{ role: "user", content: "hi" }] }, { headers: { "x-provider": p.name } })
          .catch((e) => e);
        expect(err).toBeInstanceOf(OpenAI.APIError);
        expect(err.status).toBe(502);
        expect(err.message).toContain("HTTP 307");
        expect(err.code).toBe("upstream_redirect");
        // the passthrough route too
        const { res } = await attack(p.name, "GET", "/v1/files");
        expect(res.status).toBe(502);
        expect(JSON.parse(res.body).error.code).toBe("upstream_redirect");
      } finally {
        nextAnswer = undefined;
      }
      expect(foreign.connections).toBe(0);
    });
  }
});

describe("secrets", () => {
  test("the backend key never appears in an answer or a log line", async () => {
    const relayed = await attack("openai", "GET", `//${F()}/anything`);
    expect(relayed.res.status).toBe(503);
    expectConfiguredUpstream(relayed.sent, PROVIDERS[0]!, `/${F()}/anything`);
    const refused = await attack("openai", "GET", "/%2F%2Fx");
    expectRefused(refused.res);
    expect(refused.sent).toBeUndefined();
    for (const res of [relayed.res, refused.res]) expect(JSON.stringify(res)).not.toContain(BACKEND_KEY);
    expect(gw.rawLog()).not.toContain(BACKEND_KEY);
  });
});

describe("plain `host:` backends and the `llm:` form", () => {
  test("the same path variants stay on the configured host", async () => {
    const llmPort = freePort();
    const yaml = `
binds:
- port: 0
  listeners:
  - routes:
    - policies: {backendAuth: {key: ${BACKEND_KEY}}}
      backends: [{host: "${upstream.host}"}]
llm:
  port: ${llmPort}
  models:
  - name: "*"
    provider: openai
    params: {apiKey: ${BACKEND_KEY}, baseUrl: "http://${upstream.host}/v1"}
`;
    const g = await startTestGateway(yaml);
    try {
      const hostPort = Number(new URL(g.origin()).port);
      for (const [p, target, want] of [
        [hostPort, `//${F()}/anything`, `/${F()}/anything`],
        [hostPort, `/v1/../..//${F()}/x`, `/${F()}/x`],
        [hostPort, `http://${F()}/x`, "/x"],
        [llmPort, `//${F()}/v1/chat/completions`, "/v1/chat/completions"],
      ] as const) {
        const before = upstream.requests.length;
        const body = JSON.stringify({ model: "m1", messages: [{ role: "user", content: "hi" }] });
        const res = await rawRequest(p, [`POST ${target} HTTP/1.1`, "host: gateway.local", "content-type: application/json"].join("\r\n"), body);
        expect(res.status).toBe(503); // the test upstream's answer, relayed
        expect(upstream.requests[before]?.target).toBe(want);
        expect(header(upstream.requests[before]!, "authorization")).toBe(`Bearer ${BACKEND_KEY}`);
      }
      expectRefused((await rawRequest(hostPort, ["GET /%2F%2Fx HTTP/1.1", "host: gateway.local"].join("\r\n"))));
      expect(foreign.connections).toBe(0);
    } finally {
      await g.stop();
    }
  });
});
