/**
 * `directResponse` and `requestRedirect`: the gateway answers the route itself, over real HTTP,
 * with agentgateway's docs examples (a retired API version, a catch-all 404, an http -> https
 * redirect), CEL bodies and headers, a conditional that falls through to the backend, and the
 * exchange in the access log.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { accessLogs, eventually, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
let gw: TestGateway;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - name: retired
      matches: [{path: {pathPrefix: /v0/}}, {path: {pathPrefix: /v1/}}]
      policies:
        directResponse:
          conditional:
          - condition: request.path.startsWith("/v0/")
            status: 410
            body: "This API version is no longer available. Use /v1/."
      backends:
      - ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}
    - name: computed
      matches: [{path: {pathPrefix: /hello}}]
      policies:
        directResponse:
          status: 200
          bodyExpression: '"hello " + request.headers["x-name"]'
          headers: {content-type: '"text/plain"', x-path: request.path}
    - name: moved
      matches: [{path: {pathPrefix: /old}}]
      policies:
        requestRedirect: {scheme: https, authority: {full: example.com}, path: {full: /new-path}, status: 307}
    - name: to-https
      matches: [{path: {pathPrefix: /secure}}]
      policies:
        requestRedirect: {scheme: https}
    - name: renamed
      matches: [{path: {pathPrefix: /docs/v1}}]
      policies:
        requestRedirect: {path: {prefix: /documentation}, status: 301}
    - name: catch-all
      policies:
        directResponse: {body: "Not found!", status: 404}
`);
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${gw.origin()}${path}`, { headers, redirect: "manual" });

describe("directResponse", () => {
  test("a conditional answers the retired version and lets the current one through to the backend", async () => {
    const old = await get("/v0/chat/completions");
    expect(old.status).toBe(410);
    expect(await old.text()).toBe("This API version is no longer available. Use /v1/.");
    const before = emu.requests.length;
    const res = await fetch(`${gw.origin()}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }) });
    expect(res.status).toBe(200);
    expect(emu.requests.length).toBe(before + 1);
  });

  test("body and headers computed by CEL; a route with no backend answers from its policy", async () => {
    const res = await get("/hello/there", { "x-name": "Ada" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("hello Ada");
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("x-path")).toBe("/hello/there");
    const miss = await get("/anything");
    expect(miss.status).toBe(404);
    expect(await miss.text()).toBe("Not found!");
  });

  test("the answer is an exchange like any other in the access log", async () => {
    await get("/v0/models");
    const line = await eventually(() => accessLogs(gw).findLast((l) => l["http.path"] === "/v0/models"), 3000, "no access line");
    expect(line["http.status"]).toBe(410);
    expect(line.route).toBe("retired");
  });
});

describe("requestRedirect", () => {
  test("scheme, authority and path replaced, the status given, the query kept", async () => {
    const res = await get("/old/page?x=1&y=two");
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("https://example.com/new-path?x=1&y=two");
  });

  test("http -> https keeps the host and the path and drops the plaintext port (302 by default)", async () => {
    const res = await get("/secure/area?q=1", { host: "api.example.org:8080" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("https://api.example.org/secure/area?q=1");
  });

  test("path.prefix replaces what the route matched, keeping the rest, the host and its port", async () => {
    const res = await get("/docs/v1/guide/intro?lang=en", { host: "docs.example.org:8080" });
    expect(res.status).toBe(301);
    expect(res.headers.get("location")).toBe("http://docs.example.org:8080/documentation/guide/intro?lang=en");
  });

  test("both body and bodyExpression is a config error", async () => {
    await expect(startTestGateway(`binds:\n- port: 0\n  listeners:\n  - routes:\n    - policies:\n        directResponse: {status: 200, body: a, bodyExpression: '"b"'}\n`)).rejects.toThrow("set 'body' or 'bodyExpression', not both");
  });
});
