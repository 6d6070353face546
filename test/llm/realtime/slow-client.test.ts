/**
 * Realtime relays whose one side reads slower than the other sends. Bun's server WebSocket
 * buffers up to 16 MB for a client and, past that, drops frames silently (`send` returns 0): a
 * realtime session would go on with audio or events missing. The relay pauses the provider's
 * socket while the client's buffer is full instead, so nothing is lost (a raw TCP client that
 * stops reading while 48 MB come, then reads on). The other way round, a provider that reads
 * nothing would have the gateway queue the client's frames without bound: past 16 MB the client
 * is closed with 1013 and the provider's socket dropped.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import net from "node:net";
import { gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";

const FRAMES = 48;
const FRAME = "x".repeat(1 << 20);
let upstreamClosed = false;
let upstream: ReturnType<typeof Bun.serve>;
let gw: ProviderGateway;

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (req, srv) => (srv.upgrade(req, { data: undefined }) ? undefined : new Response("no", { status: 400 })),
    websocket: {
      // the provider itself buffers all it sends (its own 16 MB default would drop frames first)
      backpressureLimit: 256 * 1024 * 1024,
      message(ws, msg) {
        if (String(msg) !== "flood") return;
        for (let i = 0; i < FRAMES; i++) ws.send(FRAME);
        ws.send("end");
      },
      close() {
        upstreamClosed = true;
      },
    },
  });
  gw = await gatewayFor("openAI", { host: `127.0.0.1:${upstream.port}` }, { auth: { key: "sk-gateway" } });
});
afterAll(async () => {
  await gw.stop();
  void upstream.stop(true);
});

/** a masked client text frame (RFC 6455: clients mask) */
function clientText(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = Buffer.from([1, 2, 3, 4]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

test("a client that stops reading: the provider waits (its socket paused), and every frame arrives once the client reads on", async () => {
  const port = Number(new URL(gw.origin()).port);
  const socket = net.connect(port, "127.0.0.1");
  const received: Buffer[] = [];
  let ended = false;
  socket.on("data", (d: Buffer) => received.push(d));
  socket.on("close", () => (ended = true));
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(`GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  await new Promise((r) => setTimeout(r, 300));
  expect(Buffer.concat(received).toString("latin1")).toStartWith("HTTP/1.1 101");
  received.length = 0;
  socket.pause(); // stops reading: the kernel's buffers fill, then the gateway's
  socket.write(clientText("flood"));
  await new Promise((r) => setTimeout(r, 2000));
  socket.resume();
  const total = () => received.reduce((n, b) => n + b.byteLength, 0);
  // 48 frames of 1 MiB (a 10-byte header each) and "end" (2 + 3 bytes)
  const expected = FRAMES * (FRAME.length + 10) + 5;
  for (let i = 0; i < 200 && total() < expected && !ended; i++) await new Promise((r) => setTimeout(r, 50));
  const bytes = Buffer.concat(received);
  expect(ended).toBe(false);
  expect(bytes.byteLength).toBe(expected);
  expect(bytes.subarray(-3).toString("latin1")).toBe("end");
  socket.destroy();
}, 30_000);

test("a provider that stops reading: the client is closed with 1013 once 16 MB wait for the provider", async () => {
  const { createHash } = await import("node:crypto");
  let providerSocketClosed = false;
  const providerSockets: net.Socket[] = [];
  // a provider that completes the upgrade and then never reads
  const stalled = net.createServer((c) => {
    providerSockets.push(c);
    c.on("close", () => (providerSocketClosed = true));
    c.on("error", () => {});
    c.once("data", (d) => {
      const key = /sec-websocket-key: (.+)\r\n/i.exec(d.toString())![1]!.trim();
      const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
      c.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
      c.pause();
    });
  });
  await new Promise<void>((r) => stalled.listen(0, "127.0.0.1", () => r()));
  const gw2 = await gatewayFor("openAI", { host: `127.0.0.1:${(stalled.address() as net.AddressInfo).port}` }, { auth: { key: "sk-gateway" } });
  try {
    const ws = new WebSocket(`${gw2.origin().replace("http", "ws")}/v1/realtime?model=gpt-realtime`);
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.addEventListener("close", (e) => r({ code: e.code, reason: e.reason })));
    await new Promise((r) => ws.addEventListener("open", r));
    const frame = new Uint8Array(1 << 20);
    for (let i = 0; i < 48 && ws.readyState === WebSocket.OPEN; i++) {
      ws.send(frame);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(await closed).toEqual({ code: 1013, reason: "the provider is not reading what the client sends" });
    // the provider reads again (a paused socket sees no end): what it finds is the gateway gone
    for (const c of providerSockets) c.resume();
    for (let i = 0; i < 40 && !providerSocketClosed; i++) await new Promise((r) => setTimeout(r, 50));
    expect(providerSocketClosed).toBe(true);
  } finally {
    await gw2.stop();
    stalled.close();
  }
}, 20_000);
