/**
 * `buffer` over real HTTP with a plain backend (agentgateway's docs sizes): a buffered request
 * reaches the backend whole (with a length, not chunked), an answer is sent whole (with a
 * length); over `maxBytes`, failClosed refuses (413 for the request, 502 for the answer) and
 * failOpen streams on with nothing lost.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let upstream: ReturnType<typeof Bun.serve>;
let gw: TestGateway;
const received: { length: string | null; chunked: boolean; size: number }[] = [];

let answerDone = false;

/** an answer of `n` bytes in 8 KB chunks, streamed, the last one 200 ms after the others */
function streamed(n: number): Response {
  let sent = 0;
  answerDone = false;
  return new Response(
    new ReadableStream({
      async pull(c) {
        const k = Math.min(8192, n - sent);
        if (k <= 0) {
          answerDone = true;
          return c.close();
        }
        if (sent + k >= n) await Bun.sleep(200);
        c.enqueue(new Uint8Array(k).fill(97));
        sent += k;
      },
    }),
  );
}

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const size = (await req.arrayBuffer()).byteLength;
      received.push({ length: req.headers.get("content-length"), chunked: req.headers.get("transfer-encoding") === "chunked", size });
      return streamed(Number(new URL(req.url).searchParams.get("answer") ?? "100"));
    },
  });
  const route = (prefix: string, buffer: string) => `
    - matches: [{path: {pathPrefix: ${prefix}}}]
      policies:
        buffer: ${buffer}
      backends:
      - host: 127.0.0.1:${upstream.port}`;
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:${route("/closed", "{request: {maxBytes: 65536}, response: {maxBytes: 262144}}")}${route("/open", "{request: {maxBytes: 1024, failureMode: failOpen}, response: {maxBytes: 16384, failureMode: failOpen}}")}
    - matches: [{path: {pathPrefix: /plain}}]
      backends:
      - host: 127.0.0.1:${upstream.port}
`);
});
afterAll(async () => {
  await gw.stop();
  upstream.stop(true);
});

const post = (path: string, bytes: number) => fetch(`${gw.origin()}${path}`, { method: "POST", body: new Uint8Array(bytes).fill(98) });

test("within the limits: the backend gets the request whole and the client the answer whole", async () => {
  const res = await post("/closed/x?answer=200000", 10_000);
  expect(answerDone).toBe(true); // the client's answer began only once the backend's had ended
  expect(res.status).toBe(200);
  expect(res.headers.get("content-length")).toBe("200000");
  expect((await res.arrayBuffer()).byteLength).toBe(200_000);
  expect(received.at(-1)).toEqual({ length: "10000", chunked: false, size: 10_000 });
  // without the policy the same exchange streams both ways
  const plain = await post("/plain/x?answer=200000", 10_000);
  expect(answerDone).toBe(false); // headers before the backend's last chunk
  expect((await plain.arrayBuffer()).byteLength).toBe(200_000);
  expect(received.at(-1)!.chunked).toBe(true);
});

test("over the limits, failClosed: 413 before the backend for a request, 502 for an answer", async () => {
  const before = received.length;
  const big = await post("/closed/x", 100_000);
  expect(big.status).toBe(413);
  expect(received.length).toBe(before);
  const tooLong = await post("/closed/x?answer=300000", 10);
  expect(tooLong.status).toBe(502);
  expect(JSON.stringify(await tooLong.json())).toContain("buffer.response.maxBytes");
});

test("over the limits, failOpen: everything arrives, the answer streamed on", async () => {
  const res = await post("/open/x?answer=50000", 5000);
  expect(res.status).toBe(200);
  expect(answerDone).toBe(false); // streamed on from the 16 KB read
  expect((await res.arrayBuffer()).byteLength).toBe(50_000);
  expect(received.at(-1)!.size).toBe(5000);
});
