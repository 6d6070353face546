/**
 * A stand-in OTLP/HTTP collector for the operations bench: accepts `POST /v1/traces`, counts the
 * exports and bytes, answers `GET /count` with them. Its own process, like the upstream.
 *
 *   bun bench/otlp-sink.ts --port 4318
 */
const i = process.argv.indexOf("--port");
let received = 0;
let bytes = 0;
Bun.serve({
  port: i === -1 ? 4318 : Number(process.argv[i + 1]),
  hostname: "127.0.0.1",
  async fetch(req) {
    const path = new URL(req.url).pathname;
    if (path === "/count") return Response.json({ exports: received, bytes });
    bytes += (await req.arrayBuffer()).byteLength;
    received++;
    return new Response(new Uint8Array(), { headers: { "content-type": "application/x-protobuf" } });
  },
});
