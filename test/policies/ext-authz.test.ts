/**
 * `extAuthz` over real HTTP with the official OpenAI SDK: a real gRPC ext_authz server (Envoy's
 * Check protocol, decoded by protobufjs) and a plain HTTP authorization server decide; the
 * provider emulator shows what reached it. Allowed requests carry the service's header edits
 * (never the client's credential, never a host the service chose); denials come back as the
 * SDK's errors with the service's status and reason; a service that cannot answer is handled by
 * `failureMode`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startGrpcAuthz, startHttpAuthz, type GrpcAuthz, type HttpAuthz } from "../emulators/ext-authz.ts";
import { prefixedOpenAIRoute, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { loadConfigText } from "../../src/config/load.ts";

let emu: OpenAIEmulator;
let grpc: GrpcAuthz;
let http: HttpAuthz;
let bystander: HttpAuthz;
let gw: TestGateway;

const DEAD = "127.0.0.1:1"; // nothing listens there: connection refused

beforeAll(async () => {
  emu = startOpenAIEmulator();
  grpc = await startGrpcAuthz(() => ({ status: { code: 0 } }));
  http = startHttpAuthz(() => new Response(null, { status: 200 }));
  bystander = startHttpAuthz(() => new Response("should never be asked", { status: 200 }));
  const route = (name: string, extAuthz: string) => prefixedOpenAIRoute(name, emu.host, { backendAuth: "{key: sk-backend-secret}", extAuthz: extAuthz });
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:${route("grpc", `{host: "${grpc.host}", protocol: {grpc: {context: {team: ml}}}}`)}${route("grpc-body", `{host: "${grpc.host}", includeRequestBody: {maxRequestBytes: 100000}}`)}${route("grpc-small", `{host: "${grpc.host}", includeRequestBody: {maxRequestBytes: 10}}`)}${route("grpc-closed", `{host: "${DEAD}"}`)}${route("grpc-open", `{host: "${DEAD}", failureMode: allow}`)}${route("grpc-503", `{host: "${DEAD}", failureMode: {denyWithStatus: 503}}`)}${route(
    "http",
    `{host: "${http.host}", protocol: {http: {addRequestHeaders: {x-asked-path: 'request.path'}, includeResponseHeaders: [x-user-id]}}}`,
  )}${route("http-path", `{host: "${http.host}", protocol: {http: {path: '"/check?route=" + request.path'}}}`)}${route("http-escape", `{host: "${http.host}", protocol: {http: {path: '"//${bystander.host}/stolen"'}}}`)}${route(
    "http-escape2",
    `{host: "${http.host}", protocol: {http: {path: '"/\\\\\\\\${bystander.host}/stolen"'}}}`,
  )}${route("grpc-cached", `{host: "${grpc.host}", cache: {key: ['request.headers["authorization"]'], ttl: 'duration("60s")'}}`)}${route("grpc-meta", `{host: "${grpc.host}", protocol: {grpc: {metadata: {dev.example.request: '{"path": request.path, "n": 2, "ok": true, "tags": ["a", "b"], "none": null}', dev.example.bad: '"not a map"'}}}}`)}${route(
    "conditional",
    `{conditional: [{condition: 'request.headers["x-tier"] == "free"', host: "${grpc.host}"}, {host: "${http.host}", protocol: {http: {}}}]}`,
  )}
    - name: on-backend
      matches: [{path: {pathPrefix: /on-backend/}}]
      policies:
        urlRewrite: {path: {prefix: /}}
      backends:
      - ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}, policies: {extAuthz: {host: "${grpc.host}"}}}
`);
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
  grpc.stop();
  http.stop();
  bystander.stop();
});

const client = (prefix: string, headers: Record<string, string> = {}) =>
  new OpenAI({ baseURL: `${gw.origin()}/${prefix}/v1`, apiKey: "client-token-123", maxRetries: 0, defaultHeaders: headers });
const ask = (c: OpenAI) => c.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello there" }] });
const lastUpstream = () => emu.requests.at(-1)!;

describe("gRPC (Envoy's Check protocol)", () => {
  test("the service sees the request (method, path, headers, pseudo headers, client address, context); its header edits reach the provider, never the client's credential", async () => {
    grpc.decide = () => ({
      status: { code: 0 },
      okResponse: {
        headers: [{ header: { key: "x-user", value: "alice" } }, { header: { key: "host", value: "evil.example" } }, { header: { key: "x-tag", value: "b" }, append: { value: true } }],
        headersToRemove: ["x-drop-me"],
        responseHeadersToAdd: [{ header: { key: "x-authz", value: "checked" } }],
      },
    });
    const before = emu.requests.length;
    const { data, response } = await ask(client("grpc", { "x-drop-me": "1", "x-tag": "a" })).withResponse();
    expect(data.choices[0]!.message.content).toBeString();
    expect(response.headers.get("x-authz")).toBe("checked");

    const seen = grpc.seen.at(-1)!.attributes!;
    const http = seen.request!.http!;
    expect(http.method).toBe("POST");
    expect(http.path).toBe("/v1/chat/completions");
    expect(http.headers!["authorization"]).toBe("Bearer client-token-123");
    expect(http.headers![":method"]).toBe("POST");
    expect(http.headers![":path"]).toBe("/v1/chat/completions");
    expect(http.host).toStartWith("127.0.0.1:");
    expect(http.scheme).toBe("http");
    expect(Number(seen.request!.time!.seconds)).toBeGreaterThan(1_700_000_000);
    expect(seen.source!.address!.socketAddress!.address).toContain("127.0.0.1");
    expect(seen.contextExtensions).toEqual({ team: "ml" });
    expect(http.body ?? "").toBe(""); // no includeRequestBody: no body

    expect(emu.requests.length).toBe(before + 1);
    const up = lastUpstream().headers;
    expect(up.get("x-user")).toBe("alice");
    expect(up.get("x-drop-me")).toBeNull();
    expect(up.get("x-tag")).toBe("a, b");
    expect(up.get("authorization")).toBe("Bearer sk-backend-secret");
    expect(up.get("host")).toBe(emu.host);
  });

  test("a denial is the SDK's error with the service's status, reason and headers; the provider is not called", async () => {
    grpc.decide = () => ({ status: { code: 7 }, deniedResponse: { status: { code: 429 }, body: "monthly quota used up", headers: [{ header: { key: "retry-after", value: "60" } }] } });
    const before = emu.requests.length;
    const err = (await ask(client("grpc")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.message).toContain("monthly quota used up");
    expect(err.headers?.get("retry-after")).toBe("60");
    expect((err.error as { code?: string }).code).toBe("external_authorization_denied");
    expect(emu.requests.length).toBe(before);
  });

  test("a denial without a response of its own, or whose response says 2xx, is a 403", async () => {
    grpc.decide = () => ({ status: { code: 16 } });
    expect(await ask(client("grpc")).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.PermissionDeniedError);
    grpc.decide = () => ({ status: { code: 7 }, deniedResponse: { status: { code: 200 }, body: "looks fine?" } });
    const before = emu.requests.length;
    expect(await ask(client("grpc")).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(emu.requests.length).toBe(before);
  });

  test("includeRequestBody: the body as text with its size; over maxRequestBytes without allowPartialMessage, 413 before the service is asked", async () => {
    grpc.decide = () => ({ status: { code: 0 } });
    await ask(client("grpc-body"));
    const http = grpc.seen.at(-1)!.attributes!.request!.http!;
    expect(JSON.parse(http.body!).messages[0].content).toBe("hello there");
    expect(Number(http.size)).toBe(new TextEncoder().encode(http.body!).byteLength);

    const asked = grpc.seen.length;
    const err = (await ask(client("grpc-small")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(413);
    expect(grpc.seen.length).toBe(asked);
  });

  test("an unreachable service: failureMode deny (default) 403, allow lets the request through, denyWithStatus answers its status", async () => {
    const denied = (await ask(client("grpc-closed")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(denied.status).toBe(403);
    expect((denied.error as { code?: string }).code).toBe("external_authorization_failed");
    expect((await ask(client("grpc-open"))).choices).toHaveLength(1);
    const custom = (await ask(client("grpc-503")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(custom.status).toBe(503);
  });

  test("a service that answers too late counts as unable to decide", async () => {
    grpc.decide = async () => {
      await Bun.sleep(2600);
      return { status: { code: 0 } };
    };
    const err = (await ask(client("grpc")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(403);
    expect(err.message).toContain("external authorization failed");
    grpc.decide = () => ({ status: { code: 0 } });
  }, 10_000);
});

describe("gRPC metadata, the conditional form, a backend", () => {
  test("metadata: each expression's map goes as filter_metadata (typed values); one that is not a map is left out", async () => {
    grpc.decide = () => ({ status: { code: 0 } });
    await ask(client("grpc-meta"));
    const meta = grpc.seen.at(-1)!.attributes!.metadataContext!.filterMetadata!;
    expect(Object.keys(meta)).toEqual(["dev.example.request"]);
    const f = meta["dev.example.request"]!.fields!;
    expect(f.path!.stringValue).toBe("/v1/chat/completions");
    expect(f.n!.numberValue).toBe(2);
    expect(f.ok!.boolValue).toBe(true);
    expect(f.tags!.listValue!.values!.map((v) => v.stringValue)).toEqual(["a", "b"]);
    expect(f.none!.nullValue).toBe(0);
  });

  test("conditional: the first entry whose condition holds asks its service", async () => {
    grpc.decide = () => ({ status: { code: 0 } });
    const [g, h] = [grpc.seen.length, http.seen.length];
    await ask(client("conditional", { "x-tier": "free" }));
    expect([grpc.seen.length - g, http.seen.length - h]).toEqual([1, 0]);
    await ask(client("conditional", { "x-tier": "pro" }));
    expect([grpc.seen.length - g, http.seen.length - h]).toEqual([1, 1]);
  });

  test("on a backend: asked before the upstream call, its edits on that call, its denial the client's error", async () => {
    grpc.decide = () => ({ status: { code: 0 }, okResponse: { headers: [{ header: { key: "x-checked-by", value: "backend-authz" } }] } });
    await ask(client("on-backend"));
    expect(lastUpstream().headers.get("x-checked-by")).toBe("backend-authz");
    grpc.decide = () => ({ status: { code: 7 }, deniedResponse: { status: { code: 403 }, body: "backend says no" } });
    const before = emu.requests.length;
    const err = (await ask(client("on-backend")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(403);
    expect(err.message).toContain("backend says no");
    expect(emu.requests.length).toBe(before);
    grpc.decide = () => ({ status: { code: 0 } });
  });
});

describe("cache", () => {
  test("a verdict is reused for the same key within its TTL, allowing and denying; another key asks again", async () => {
    let allow = true;
    grpc.decide = () => (allow ? { status: { code: 0 }, okResponse: { headers: [{ header: { key: "x-user", value: "cached-alice" } }] } } : { status: { code: 7 }, deniedResponse: { status: { code: 403 }, body: "no" } });
    const asked = grpc.seen.length;
    await ask(client("grpc-cached"));
    allow = false; // the service changed its mind: the cached verdict still holds for this key
    await ask(client("grpc-cached"));
    expect(grpc.seen.length).toBe(asked + 1);
    expect(emu.requests.at(-1)!.headers.get("x-user")).toBe("cached-alice");

    const other = new OpenAI({ baseURL: `${gw.origin()}/grpc-cached/v1`, apiKey: "another-token", maxRetries: 0 });
    const denied = await ask(other).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(await ask(other).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(grpc.seen.length).toBe(asked + 2); // the denial was cached too
    grpc.decide = () => ({ status: { code: 0 } });
  });
});

describe("HTTP", () => {
  test("the service gets the client's method and path, only its authorization header (plus the CEL headers); an allowing answer's included headers reach the provider", async () => {
    http.decide = () => new Response(null, { status: 200, headers: { "x-user-id": "u-42", "x-other": "not copied" } });
    await ask(client("http", { "x-secret-thing": "s3cret" }));
    const seen = http.seen.at(-1)!;
    expect(seen.method).toBe("POST");
    expect(seen.path).toBe("/v1/chat/completions");
    expect(seen.headers.get("authorization")).toBe("Bearer client-token-123");
    expect(seen.headers.get("x-secret-thing")).toBeNull();
    expect(seen.headers.get("x-asked-path")).toBe("/v1/chat/completions");
    expect(seen.body).toBe("");
    const up = lastUpstream().headers;
    expect(up.get("x-user-id")).toBe("u-42");
    expect(up.get("x-other")).toBeNull();
    expect(up.get("authorization")).toBe("Bearer sk-backend-secret");
  });

  test("a denial keeps its status and reason in the client's error shape, with its challenge header", async () => {
    http.decide = () => new Response("token expired", { status: 401, headers: { "www-authenticate": 'Bearer error="invalid_token"' } });
    const before = emu.requests.length;
    const err = (await ask(client("http")).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.message).toContain("token expired");
    expect(err.headers?.get("www-authenticate")).toBe('Bearer error="invalid_token"');
    expect(emu.requests.length).toBe(before);
    http.decide = () => new Response(null, { status: 200 });
  });

  test("a path expression sets the check's path, on the configured service only: one shaped like another host stays a path there", async () => {
    await ask(client("http-path"));
    expect(http.seen.at(-1)!.path).toBe("/check?route=/v1/chat/completions");
    for (const prefix of ["http-escape", "http-escape2"]) {
      const asked = http.seen.length;
      await ask(client(prefix));
      expect(http.seen.length).toBe(asked + 1);
      expect(http.seen.at(-1)!.path).toEndWith(`${bystander.host}/stolen`); // a path on the configured service
    }
    expect(bystander.seen).toHaveLength(0);
  });
});

test("on an Anthropic Messages route the denial is in Anthropic's error shape", async () => {
  grpc.decide = () => ({ status: { code: 7 }, deniedResponse: { status: { code: 403 }, body: "not for you" } });
  const res = await fetch(`${gw.origin()}/grpc/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "client-token-123", "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model: "gpt-4o-mini", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(403);
  const body = (await res.json()) as { type: string; error: { type: string; message: string } };
  expect(body.type).toBe("error");
  expect(body.error.message).toContain("not for you");
  grpc.decide = () => ({ status: { code: 0 } });
});

test("unsupported extAuthz fields fail the load by name, located", () => {
  for (const [field, name] of [["service: {name: a/b, port: 1}", "service"], ["policies: {}", "policies"], ["protocol: {http: {redirect: '\"/login\"'}}", "redirect"]] as const) {
    const r = loadConfigText(`binds:
- port: 0
  listeners:
  - routes:
    - policies:
        extAuthz: {host: "127.0.0.1:9", ${field}}
      backends:
      - host: 127.0.0.1:9
`, "cfg.yaml", { env: {} });
    if (r.ok) throw new Error(`${field} was accepted`);
    const issue = r.errors.find((e) => e.path.endsWith(name))!;
    expect(issue.message).toBe(`'${name}' is not supported yet by this gateway`);
    expect(issue.line).toBe(6);
  }
});
