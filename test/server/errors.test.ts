/**
 * Errors as SDK users meet them: upstream errors keep their status and message and arrive as the
 * right `APIError` subclass; bad client input is refused with a 400/413 before anything reaches
 * the upstream; gateway failures use agentgateway's statuses, always in the OpenAI error shape.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { freePort } from "../helpers/process.ts";

let emu: OpenAIEmulator;
let gw: TestGateway;
let client: OpenAI;

const config = (host: string) => `
frontendPolicies:
  http:
    maxBufferSize: 65536
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /v1}}]
      policies:
        backendAuth: {key: sk-upstream-secret-77}
        timeout: {requestTimeout: 1500ms}
      backends:
      - ai: {name: openai, hostOverride: "${host}", provider: {openAI: {}}}
    - matches: [{path: {pathPrefix: /refused}}]
      backends:
      - ai: {name: nowhere, hostOverride: "127.0.0.1:${freePort()}", provider: {openAI: {}}, policies: {ai: {routes: {"*": completions}}}}
`;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  gw = await startTestGateway(config(emu.host));
  client = openaiClient(gw.baseURL());
});
afterAll(async () => {
  await gw.stop();
  emu.stop();
});

const chat = (extra: Record<string, unknown> = {}) =>
  client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], ...extra } as never);

async function caught(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
  throw new Error("expected an error");
}

describe("upstream errors reach the SDK with their status and message", () => {
  const cases: [number, string, new (...a: never[]) => unknown][] = [
    [400, "Invalid value for 'temperature'", OpenAI.BadRequestError],
    [401, "Incorrect API key provided", OpenAI.AuthenticationError],
    [403, "Project does not have access", OpenAI.PermissionDeniedError],
    [404, "The model `gpt-9` does not exist", OpenAI.NotFoundError],
    [429, "Rate limit reached for requests", OpenAI.RateLimitError],
    [500, "The server had an error while processing your request", OpenAI.InternalServerError],
  ];
  for (const [status, message, Class] of cases) {
    test(`${status} -> ${Class.name}`, async () => {
      emu.script(() =>
        Response.json({ error: { message, type: "invalid_request_error", param: null, code: "x" } }, { status, headers: status === 429 ? { "retry-after": "7" } : {} }),
      );
      const err = await caught(chat());
      emu.script(undefined);
      expect(err).toBeInstanceOf(Class);
      expect(err.status).toBe(status);
      expect(err.message).toContain(message);
      if (status === 429) expect(err.headers?.get("retry-after")).toBe("7");
    });
  }

  test("an HTML error page from a proxy in front of the upstream becomes an OpenAI error", async () => {
    emu.script(() => new Response("<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", { status: 502, headers: { "content-type": "text/html" } }));
    const err = await caught(chat());
    emu.script(undefined);
    expect(err.status).toBe(502);
    expect(err.message).toContain("upstream returned HTTP 502 (text/html): 502 Bad Gateway");
    expect(err.error).toMatchObject({ type: "api_error" });
  });

  test("a non-OpenAI error body ({detail}) keeps its message", async () => {
    emu.script(() => Response.json({ detail: "Model is loading" }, { status: 503 }));
    const err = await caught(chat());
    emu.script(undefined);
    expect(err.status).toBe(503);
    expect(err.message).toContain("Model is loading");
  });

  test("a 200 answer that is not JSON is a 502", async () => {
    emu.script(() => new Response("<html>oops</html>", { status: 200, headers: { "content-type": "text/html" } }));
    const err = await caught(chat());
    emu.script(undefined);
    expect(err.status).toBe(502);
    expect(err.message).toContain("not JSON");
  });

  test("an upstream that echoes the gateway's backend key: scrubbed from the answer and the log", async () => {
    emu.script((r) => Response.json({ error: { message: `bad key: ${r.headers.get("authorization")}`, type: "x", param: null, code: null } }, { status: 401 }));
    const err = await caught(chat());
    emu.script(undefined);
    expect(err.status).toBe(401);
    expect(err.message).toContain("bad key: Bearer [redacted]");
    expect(JSON.stringify(err.error)).not.toContain("sk-upstream-secret-77");
    expect(gw.rawLog()).not.toContain("sk-upstream-secret-77");
  });
});

describe("bad client input is refused before it reaches the upstream", () => {
  const post = (body: string | Uint8Array, headers: Record<string, string> = { "content-type": "application/json" }) =>
    fetch(`${gw.baseURL()}/chat/completions`, { method: "POST", headers, body });

  test.each([
    ["malformed JSON", "{bad json", 400, "invalid_request_body", null],
    ["a JSON array", "[1,2]", 400, "invalid_request_body", null],
    ["messages missing", JSON.stringify({ model: "m" }), 400, "invalid_request_body", "messages"],
    ["messages not an array", JSON.stringify({ model: "m", messages: "hi" }), 400, "invalid_request_body", "messages"],
    ["a message without role", JSON.stringify({ model: "m", messages: [{ content: "x" }] }), 400, "invalid_request_body", "messages[0].role"],
    ["stream as a string", JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], stream: "yes" }), 400, "invalid_request_body", "stream"],
    ["temperature as a string", JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }], temperature: "hot" }), 400, "invalid_request_body", "temperature"],
    ["model as a number", JSON.stringify({ model: 4, messages: [{ role: "user", content: "x" }] }), 400, "invalid_request_body", "model"],
  ])("%s -> %i", async (_name, body, status, code, param) => {
    const before = emu.requests.length;
    const res = await post(body);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: { message: string; type: string; code: string; param: string | null } };
    expect(json.error).toMatchObject({ type: "invalid_request_error", code, param });
    expect(json.error.message.length).toBeGreaterThan(5);
    expect(emu.requests.length).toBe(before);
  });

  test("non-UTF-8 bytes -> 400", async () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('{"model":"m","messages":[{"role":"user","content":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}]}')]);
    const res = await post(bytes);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("UTF-8");
  });

  test("a body over the limit -> 413, with Content-Length", async () => {
    const before = emu.requests.length;
    const big = JSON.stringify({ model: "m", messages: [{ role: "user", content: "x".repeat(70_000) }] });
    const err = await caught(client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x".repeat(70_000) }] }));
    expect(err.status).toBe(413);
    expect(err.message).toContain("65536");
    const res = await post(big);
    expect(res.status).toBe(413);
    expect(emu.requests.length).toBe(before);
  });

  test("a body over the limit -> 413, chunked without Content-Length", async () => {
    const before = emu.requests.length;
    const chunk = new TextEncoder().encode("x".repeat(8192));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 20) c.enqueue(chunk);
        else c.close();
      },
    });
    const res = await fetch(`${gw.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("request_body_too_large");
    expect(emu.requests.length).toBe(before);
  });
});

describe("gateway errors use agentgateway's statuses", () => {
  test("no route -> 404 naming method, path and bind", async () => {
    const res = await fetch(`${gw.origin()}/v2/chat`, { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string; type: string } };
    expect(body.error.message).toMatch(/^no route matched POST \/v2\/chat on bind \d+$/);
    expect(body.error.type).toBe("not_found_error");
  });

  test("upstream refusing connections -> 503", async () => {
    const res = await fetch(`${gw.origin()}/refused/x`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "x" }] }) });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.message).toContain("connection refused");
    expect(body.error.code).toBe("upstream_unreachable");
  });

  test("headers that never come -> 504 after the route's timeout", async () => {
    emu.script(() => new Promise<Response>(() => {}));
    const err = await caught(chat());
    emu.script(undefined);
    expect(err.status).toBe(504);
    expect(err.message).toContain("did not answer in time");
  });
});

describe("passthrough routes stay SDK-readable", () => {
  test("a text/plain 404 from the upstream is wrapped in the OpenAI shape with its status", async () => {
    emu.script(() => new Response("404 page not found", { status: 404, headers: { "content-type": "text/plain" } }));
    const err = await caught(client.files.list());
    emu.script(undefined);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.message).toContain("upstream returned HTTP 404 (text/plain): 404 page not found");
    expect(err.error).toMatchObject({ type: "not_found_error" });
  });

  test("an HTML 500 on a passthrough path is wrapped too; a JSON error passes through as sent", async () => {
    emu.script(() => new Response("<html><title>Internal Error</title></html>", { status: 500, headers: { "content-type": "text/html; charset=utf-8" } }));
    let res = await fetch(`${gw.baseURL()}/files/file-1/content`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("Internal Error");
    emu.script(() => Response.json({ error: { message: "No such File object: file-1", type: "invalid_request_error", param: "id", code: null } }, { status: 404 }));
    res = await fetch(`${gw.baseURL()}/files/file-1`);
    emu.script(undefined);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { message: "No such File object: file-1", type: "invalid_request_error", param: "id", code: null } });
  });

  test.each([
    ["GET", "/chat/completions", "POST"],
    ["DELETE", "/embeddings", "POST"],
    ["PUT", "/responses", "POST"],
    ["POST", "/models", "GET, HEAD"],
  ])("%s /v1%s -> 405 with allow: %s", async (method, path, allow) => {
    const before = emu.requests.length;
    const res = await fetch(`${gw.baseURL()}${path}`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe(allow);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe("method_not_allowed");
    expect(body.error.message).toContain(`${method} is not allowed on /v1${path}`);
    expect(emu.requests.length).toBe(before);
  });
});
