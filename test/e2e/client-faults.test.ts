/**
 * Client faults cannot hurt other clients: disconnects cancel upstream work promptly, stalled
 * and slow clients are timed out, oversized or malformed requests are refused, and the gateway
 * keeps serving everyone else with flat memory.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { eventually, openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
let gw: TestGateway;

beforeAll(async () => {
  // slow streams: 500 chunks 20 ms apart (10 s), so disconnects happen mid-stream
  emu = startOpenAIEmulator({ chunks: 500, delayMs: 20 });
  gw = await startTestGateway(`
frontendPolicies:
  http: {http1IdleTimeout: 2s}
binds:
- port: 0
  listeners:
  - routes:
    - backends: [{ai: {name: emu, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`);
});
afterAll(async () => {
  await gw.stop();
  emu.stop();
});

const body = (stream: boolean) => JSON.stringify({ model: "m", messages: [{ role: "user", content: "Write a short story" }], stream });
const quickChat = async () => {
  const r = await openaiClient(gw.baseURL()).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
  return r.choices[0]!.message.content;
};

/** A raw TCP client: sends `data`, then does nothing. Resolves `closed` when the server closes it. */
function rawClient(port: number, data: string) {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  socket.on("data", (d) => (received += d.toString()));
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.write(data);
  return { socket, closed, received: () => received };
}

describe("client disconnects", () => {
  test("many clients leaving mid-stream at once cancel their upstream requests", async () => {
    const before = emu.aborted;
    const controllers = Array.from({ length: 30 }, () => new AbortController());
    const readers = await Promise.all(
      controllers.map(async (c) => {
        const res = await fetch(`${gw.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(true), signal: c.signal });
        const reader = res.body!.getReader();
        await reader.read(); // the stream is flowing
        return reader;
      }),
    );
    expect(readers).toHaveLength(30);
    for (const c of controllers) c.abort();
    await eventually(() => emu.aborted - before >= 30, 5000);
    expect(await quickChat()).toContain("hi");
  });

  test("a client leaving while the upstream is still thinking cancels it too", async () => {
    emu.script(() => new Promise<Response>((r) => setTimeout(() => r(Response.json({})), 5000)));
    const before = emu.aborted;
    const c = new AbortController();
    const p = fetch(`${gw.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: body(false), signal: c.signal }).catch(() => "aborted");
    await eventually(() => emu.requests.length > 0 && emu.requests.at(-1)!.json?.stream === false);
    c.abort();
    expect(await p).toBe("aborted");
    await eventually(() => emu.aborted > before, 3000);
    emu.script(undefined);
  });
});

describe("stalled, slow and malformed clients", () => {
  const port = () => Number(new URL(gw.origin()).port);

  test("clients stalled mid-headers or mid-body do not block others and are timed out", async () => {
    const stalled = [
      ...Array.from({ length: 40 }, () => rawClient(port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le")),
      ...Array.from({ length: 40 }, () => rawClient(port(), `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`)),
      ...Array.from({ length: 40 }, () => rawClient(port(), "")), // idle connections
    ];
    // everyone else is served meanwhile
    expect(await quickChat()).toContain("hi");
    // and the stalled connections are closed by the idle timeout (2 s here)
    await Promise.race([Promise.all(stalled.map((s) => s.closed)), Bun.sleep(15_000).then(() => Promise.reject(new Error("stalled clients were never disconnected")))]);
    expect(await quickChat()).toContain("hi");
  }, 20_000);

  test("oversized headers are refused and the gateway keeps serving", async () => {
    const huge = "x".repeat(256 * 1024);
    const c = rawClient(port(), `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${huge}\r\n\r\n`);
    await Promise.race([c.closed, Bun.sleep(5000)]);
    expect(c.received()).not.toContain("200 OK");
    expect(await quickChat()).toContain("hi");
  });

  test("a malformed request line gets a 400 and the gateway keeps serving", async () => {
    const c = rawClient(port(), "THIS IS NOT HTTP\r\n\r\n");
    await Promise.race([c.closed, Bun.sleep(5000)]);
    expect(c.received()).toMatch(/^HTTP\/1\.1 400/);
    expect(await quickChat()).toContain("hi");
  });
});

describe("memory", () => {
  test("stays flat over a long mixed run (streams, errors, disconnects)", async () => {
    const fast = startOpenAIEmulator({ chunks: 20 });
    const g = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - backends: [{ai: {name: fast, hostOverride: "${fast.host}", provider: {openAI: {}}}}]
`);
    const url = `${g.baseURL()}/chat/completions`;
    const round = async (i: number) => {
      const kind = i % 4;
      if (kind === 3) {
        const r = await fetch(url, { method: "POST", body: "{nope" });
        return r.text();
      }
      const c = new AbortController();
      const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: body(kind !== 0), signal: c.signal });
      if (kind === 2) {
        await r.body!.getReader().read();
        c.abort();
        return;
      }
      return r.text();
    };
    const batch = async (n: number) => {
      for (let i = 0; i < n; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => round(i + j).catch(() => {})));
    };
    await batch(1000); // warm up
    g.logs.length = 0;
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    await batch(4000);
    g.logs.length = 0;
    Bun.gc(true);
    const after = process.memoryUsage().heapUsed;
    await g.stop();
    fast.stop();
    // 4000 requests retaining even 5 KB each would add 20 MB
    expect((after - before) / 1024 / 1024).toBeLessThan(8);
  }, 120_000);
});
