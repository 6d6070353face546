/** `cors`: preflights answered before authentication, headers on answers and on errors, disallowed origins. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { BODY } from "./helpers.ts";

let emu: OpenAIEmulator;
let g: TestGateway;
beforeAll(async () => {
  emu = startOpenAIEmulator();
  g = await startTestGateway(`
llm:
  port: 0
  policies:
    cors:
      allowOrigins: [https://chat.example.com, "https://*.apps.example.com"]
      allowMethods: [POST, OPTIONS]
      allowHeaders: [authorization, content-type]
      exposeHeaders: [x-request-id]
      allowCredentials: true
      maxAge: 10m
    apiKey: {mode: strict, keys: [{key: sk-browser}]}
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

const url = () => `${g.baseURL()}/chat/completions`;

describe("cors", () => {
  test("a preflight from an allowed origin is answered without credentials", async () => {
    const before = emu.requests.length;
    const res = await fetch(url(), {
      method: "OPTIONS",
      headers: { origin: "https://chat.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://chat.example.com");
    expect(res.headers.get("access-control-allow-methods")).toBe("POST,OPTIONS");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization,content-type");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(emu.requests.length).toBe(before);
  });

  test("answers and errors carry the CORS headers for an allowed origin (wildcard subdomain too)", async () => {
    const ok = await fetch(url(), { method: "POST", body: BODY, headers: { origin: "https://a.apps.example.com", authorization: "Bearer sk-browser" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://a.apps.example.com");
    expect(ok.headers.get("access-control-expose-headers")).toBe("x-request-id");
    const denied = await fetch(url(), { method: "POST", body: BODY, headers: { origin: "https://chat.example.com" } });
    expect(denied.status).toBe(401); // the browser can read why
    expect(denied.headers.get("access-control-allow-origin")).toBe("https://chat.example.com");
  });

  test("another origin gets no CORS headers; its preflight a bare 200", async () => {
    const pre = await fetch(url(), { method: "OPTIONS", headers: { origin: "https://evil.example.org", "access-control-request-method": "POST" } });
    expect(pre.status).toBe(200);
    expect(pre.headers.get("access-control-allow-origin")).toBeNull();
    const res = await fetch(url(), { method: "POST", body: BODY, headers: { origin: "http://chat.example.com", authorization: "Bearer sk-browser" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBeNull(); // http is not https
  });
});
