/**
 * A realtime client that reads slower than the provider sends. Bun's server WebSocket buffers up
 * to 16 MB for a client and, past that, drops frames silently (`send` returns 0): a realtime
 * session would go on with audio or events missing. The relay closes the connection instead
 * (`closeOnBackpressureLimit`), and the provider's socket with it. The client here is a raw TCP
 * socket that performs the upgrade, then stops reading while 48 MB of frames come, then reads on.
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

test("a client that stops reading: the connection is closed, never left open with frames dropped", async () => {
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
  for (let i = 0; i < 100 && !ended; i++) await new Promise((r) => setTimeout(r, 50));
  const bytes = Buffer.concat(received);
  const gotEnd = bytes.subarray(-8).toString("latin1").includes("end");
  // either every frame arrived (then "end" is last) or the gateway closed: never "end" after a gap
  expect(gotEnd && bytes.byteLength < FRAMES * FRAME.length).toBe(false);
  expect(ended).toBe(true);
  expect(bytes.byteLength).toBeLessThan(FRAMES * FRAME.length);
  for (let i = 0; i < 40 && !upstreamClosed; i++) await new Promise((r) => setTimeout(r, 50));
  expect(upstreamClosed).toBe(true);
  socket.destroy();
}, 20_000);
