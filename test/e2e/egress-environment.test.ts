/**
 * The gateway's egress follows the process environment as curl and Node do (Bun's fetch reads
 * it): `HTTP_PROXY`/`HTTPS_PROXY` send upstream calls through a forward proxy, `NO_PROXY` exempts
 * hosts, `NODE_EXTRA_CA_CERTS` adds trusted roots (a TLS-inspecting corporate proxy, a private CA).
 * Pinned here because operators rely on it and a runtime upgrade could change it: a gateway
 * process, a real forward proxy, an emulated provider over HTTP and over TLS.
 */
import { afterEach, beforeAll, afterAll, expect, test } from "bun:test";
import { join } from "node:path";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startForwardProxy, type ForwardProxy } from "../helpers/forward-proxy.ts";
import { freePort, startGatewayProcess, type GatewayEnv, type GatewayProcess } from "../helpers/process.ts";

const TLS = join(import.meta.dir, "../fixtures/tls");
const BACKEND_KEY = "sk-test-backend-key-1234";

let gateway: GatewayProcess | undefined;
let proxy: ForwardProxy | undefined;
let plain: OpenAIEmulator;
let tlsUpstream: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  plain = startOpenAIEmulator();
  tlsUpstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: Bun.file(join(TLS, "server.pem")), key: Bun.file(join(TLS, "server.key")) },
    fetch: () => Response.json({ id: "t", object: "chat.completion", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, message: { role: "assistant", content: "over TLS" }, finish_reason: "stop" }] }),
  });
});
afterAll(async () => {
  await plain.stop();
  void tlsUpstream.stop(true);
});
afterEach(async () => {
  await gateway?.stop();
  proxy?.stop();
  gateway = proxy = undefined;
});

/** a gateway on one upstream (`tls`: the TLS one, with `backendTLS`), started with `env`; its answer to one chat request */
async function chatThrough(upstream: "plain" | { backendTLS: string }, env: GatewayEnv): Promise<string> {
  const port = freePort();
  const host = upstream === "plain" ? plain.host : `127.0.0.1:${tlsUpstream.port}`;
  const tls = upstream === "plain" ? "" : `, backendTLS: ${upstream.backendTLS}`;
  gateway = await startGatewayProcess(
    `binds:\n- port: ${port}\n  listeners:\n  - routes:\n    - backends: [{ai: {name: p, hostOverride: "${host}", provider: {openAI: {model: gpt-4o-mini}}, policies: {backendAuth: {key: ${BACKEND_KEY}}${tls}}}}]\n`,
    { env: { HTTP_PROXY: undefined, HTTPS_PROXY: undefined, NO_PROXY: undefined, http_proxy: undefined, https_proxy: undefined, no_proxy: undefined, NODE_EXTRA_CA_CERTS: undefined, ...env } },
  );
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "client-key", maxRetries: 0 });
  try {
    const res = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    return res.choices[0]!.message.content ?? "";
  } catch (err) {
    return `${(err as InstanceType<typeof OpenAI.APIError>).status} ${(err as Error).message}`;
  }
}

test("HTTP_PROXY: a plain-HTTP provider is called through the proxy, which then sees the backend key (use HTTPS or NO_PROXY)", async () => {
  proxy = await startForwardProxy();
  const before = plain.requests.length;
  expect(await chatThrough("plain", { HTTP_PROXY: proxy.url })).toBeTruthy();
  expect(plain.requests.length).toBe(before + 1);
  expect(proxy.lines).toEqual([`POST http://${plain.host}/v1/chat/completions HTTP/1.1`]);
  expect(proxy.sawAuthorization).toBe(true);
  expect(plain.requests.at(-1)!.headers.get("authorization")).toBe(`Bearer ${BACKEND_KEY}`);
});

test("NO_PROXY: a listed host is called directly", async () => {
  proxy = await startForwardProxy();
  const before = plain.requests.length;
  expect(await chatThrough("plain", { HTTP_PROXY: proxy.url, NO_PROXY: "127.0.0.1" })).toBeTruthy();
  expect(plain.requests.length).toBe(before + 1);
  expect(proxy.lines).toEqual([]);
});

test("HTTPS_PROXY: a TLS provider is reached through a CONNECT tunnel; the proxy never sees the key", async () => {
  proxy = await startForwardProxy();
  expect(await chatThrough({ backendTLS: `{root: "${TLS}/ca.pem"}` }, { HTTPS_PROXY: proxy.url })).toBe("over TLS");
  expect(proxy.lines).toEqual([`CONNECT 127.0.0.1:${tlsUpstream.port} HTTP/1.1`]);
  expect(proxy.sawAuthorization).toBe(false);
});

test("NODE_EXTRA_CA_CERTS: a private root trusted for every backend, as backendTLS.root trusts it for one", async () => {
  const refused = await chatThrough({ backendTLS: "{}" }, {});
  expect(refused).toStartWith("503 ");
  expect(refused).toContain("TLS failure");
  await gateway?.stop();
  expect(await chatThrough({ backendTLS: "{}" }, { NODE_EXTRA_CA_CERTS: `${TLS}/ca.pem` })).toBe("over TLS");
});
