/** The admin address's JSON: /config_dump and /api/config redacted, loopback-only Host, POST guards. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const yaml = `
config:
  tracing: {otlpEndpoint: "http://127.0.0.1:1", headers: {authorization: "Bearer otlp-LITERAL-secret"}}
binds:
- port: 0
  listeners:
  - routes:
    - policies:
        backendAuth: {key: $OPENAI_KEY}
        requestHeaderModifier: {set: {x-team: blue, authorization: "Bearer literal-SECRET-1"}}
      backends:
      - ai: {name: o, hostOverride: "127.0.0.1:1", provider: {openAI: {}}}
`;

describe("admin JSON", () => {
  let gw: TestGateway;
  let base: string;
  beforeAll(async () => {
    gw = await startTestGateway(yaml, { ADMIN_ADDR: "127.0.0.1:0", OPENAI_KEY: "sk-from-env-SECRET-31" });
    base = `http://127.0.0.1:${gw.gateway.operations.adminPort}`;
  });
  afterAll(() => gw.stop());

  test("/api/config: the file as written, variables unexpanded, literal credentials redacted", async () => {
    const text = await (await fetch(`${base}/api/config`)).text();
    const json = JSON.parse(text);
    const policies = json.binds[0].listeners[0].routes[0].policies;
    expect(policies.backendAuth.key).toBe("$OPENAI_KEY");
    expect(policies.requestHeaderModifier.set).toEqual({ "x-team": "blue", authorization: "[redacted]" });
    expect(json.config.tracing.headers.authorization).toBe("[redacted]");
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("LITERAL");
  });

  test("/config_dump: agentgateway's shape, build info in snake_case, no credential", async () => {
    const text = await (await fetch(`${base}/config_dump`)).text();
    const dump = JSON.parse(text);
    expect(Object.keys(dump)).toEqual(["binds", "backends", "version", "config"]);
    expect(Object.keys(dump.version)).toEqual(["version", "git_revision", "build_date", "bun_version", "build_profile", "build_target"]);
    expect(dump.config).toMatchObject({ adminAddr: expect.stringMatching(/^127\.0\.0\.1:\d+$/), statsAddr: "off", histograms: "classic" });
    expect(dump.config.modelCatalog).toMatchObject({ kind: "bundled", date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) });
    expect(dump.config.tracing.headers).toEqual({ authorization: "[redacted]" });
    expect(dump.backends[0].targets[0]).toMatchObject({ name: "o", provider: "openai", upstream: "http://127.0.0.1:1", policies: ["backendAuth"] });
    expect(text).not.toContain("SECRET");
    expect(text).not.toContain("LITERAL");
  });

  test("/ redirects to /ui; unknown paths and views are 404", async () => {
    const root = await fetch(`${base}/`, { redirect: "manual" });
    expect([root.status, root.headers.get("location")]).toEqual([302, "/ui"]);
    expect((await fetch(`${base}/ui/nope`)).status).toBe(404);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/ui/requests`)).headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  test("a loopback admin refuses other Host names (DNS rebinding) and cross-origin POSTs", async () => {
    expect((await fetch(`${base}/config_dump`, { headers: { host: "attacker.example" } })).status).toBe(421);
    const post = await fetch(`${base}/quitquitquit`, { method: "POST", headers: { origin: "http://attacker.example" } });
    expect(post.status).toBe(403);
    // a sandboxed frame or a file:// page sends `Origin: null`: refused too (it was a 500 with Bun's
    // development error page: the stack, file paths and the working directory)
    for (const origin of ["null", "not a url"]) {
      const refused = await fetch(`${base}/quitquitquit`, { method: "POST", headers: { origin } });
      expect([refused.status, await refused.text()]).toEqual([403, "cross-origin requests are refused\n"]);
    }
    expect((await fetch(`${base}/config_dump`)).status).toBe(200);
  });
});

test("the admin address is loopback by default, and off with ADMIN_ADDR=off", async () => {
  const { loadConfigText } = await import("../../src/config/load.ts");
  const r = loadConfigText("binds: []", "t.yaml", { env: {} });
  if (!r.ok) throw new Error("load failed");
  expect(r.value.admin).toEqual({ hostname: "localhost", port: 15000 });
  expect(r.value.stats).toEqual({ hostname: "::", port: 15020 });
  const off = loadConfigText("binds: []", "t.yaml", { env: { ADMIN_ADDR: "off" } });
  expect(off.ok && off.value.admin).toBeNull();
});

test("a live view that stops reading is ended once 1 MB waits for it, instead of queueing every exchange for ever", async () => {
  const net = await import("node:net");
  const gw = await startTestGateway(yaml, { ADMIN_ADDR: "127.0.0.1:0", OPENAI_KEY: "sk-x" });
  try {
    const adminPort = gw.gateway.operations.adminPort!;
    const socket = net.connect(adminPort, "127.0.0.1");
    let closed = false;
    let received = 0;
    socket.on("data", (d: Buffer) => (received += d.byteLength));
    socket.on("close", () => (closed = true));
    socket.on("error", () => {});
    await new Promise<void>((r) => socket.once("connect", () => r()));
    socket.write(`GET /api/requests/stream HTTP/1.1\r\nHost: 127.0.0.1:${adminPort}\r\n\r\n`);
    await new Promise((r) => setTimeout(r, 200));
    socket.pause();
    // exchanges with a 4 KB model name: ~4 KB an entry in the live view, 12 MB in all
    const model = "m".repeat(4000);
    let sent = 0;
    const worker = async () => {
      while (sent++ < 3000) await fetch(`${gw.origin()}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }) }).then((r) => r.arrayBuffer());
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    socket.resume();
    for (let i = 0; i < 100 && !closed; i++) await new Promise((r) => setTimeout(r, 50));
    expect(closed).toBe(true);
    expect(received).toBeLessThan(3000 * 4000);
  } finally {
    await gw.stop();
  }
}, 60_000);
