/**
 * Upstream answers the gateway reads whole stay within the buffer limit
 * (`frontendPolicies.http.maxBufferSize`, as agentgateway bounds buffered answers): an endless or
 * oversized answer is a quick 502 in the client's shape and its connection is dropped, instead of
 * memory growing until the process dies; an endless error page is cut to its first MiB; streams
 * are not buffered and pass whatever their length, but one event that never ends is cut at
 * 32 MiB (MAX_EVENT_BYTES) with an error event.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const LIMIT = 65536;
const enc = new TextEncoder();

/** a chat completion whose content makes its JSON `size` bytes long */
function completion(size: number): string {
  const shell = (content: string) => JSON.stringify({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }] });
  return shell("x".repeat(size - shell("").length));
}

/** a body that never ends: 16 KB of spaces at a time (valid JSON whitespace, for as long as anyone reads) */
function endless(onCancel: () => void): ReadableStream<Uint8Array> {
  const chunk = enc.encode(" ".repeat(16384));
  return new ReadableStream({ pull: (c) => c.enqueue(chunk), cancel: onCancel });
}

let cancelled = 0;
let upstream: ReturnType<typeof Bun.serve>;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const { model } = (await req.json()) as { model: string };
      const json = { "content-type": "application/json" };
      switch (model) {
        case "endless":
          return new Response(endless(() => cancelled++), { headers: json });
        case "endless-error":
          return new Response(endless(() => cancelled++), { status: 500, headers: { "content-type": "text/html" } });
        case "declared-over":
          return new Response(completion(100_000), { headers: json });
        case "under-declared":
          return new Response(completion(60_000), { headers: json });
        case "under-chunked":
          return new Response(new Blob([completion(60_000)]).stream(), { headers: json });
        case "gzip-bomb":
          // 60 KB on the wire, 10 MB once inflated
          return new Response(gzipSync(Buffer.from(`{"id":"c","object":"chat.completion","choices":[],"pad":"${"0".repeat(10_000_000)}"}`)), { headers: { ...json, "content-encoding": "gzip" } });
        case "endless-event":
          // an event that never ends: no blank line, ever
          return new Response(
            new ReadableStream({
              start: (c) => c.enqueue(enc.encode('data: {"id":"s","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"')),
              pull: (c) => c.enqueue(enc.encode("x".repeat(65536))),
              cancel: () => void cancelled++,
            }),
            { headers: { "content-type": "text/event-stream" } },
          );
        case "long-stream": {
          const events = Array.from({ length: 40 }, (_, i) => `data: ${JSON.stringify({ id: "s", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content: `${i}:${"y".repeat(4000)}` }, finish_reason: null }] })}\n\n`);
          events.push(`data: ${JSON.stringify({ id: "s", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`);
          return new Response(events.join(""), { headers: { "content-type": "text/event-stream" } });
        }
        default:
          return new Response("unknown test model", { status: 400 });
      }
    },
  });
  const host = `127.0.0.1:${upstream.port}`;
  gw = await startTestGateway(`
frontendPolicies:
  http: {maxBufferSize: ${LIMIT}}
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /anthropic}}]
      backends: [{ai: {name: claude, hostOverride: "${host}", provider: {anthropic: {}}}}]
    - backends: [{ai: {name: openai, hostOverride: "${host}", provider: {openAI: {}}}}]
`);
  client = openaiClient(gw.baseURL());
});
afterAll(async () => {
  await gw.stop();
  void upstream.stop(true);
});

const chat = (model: string) =>
  client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] }).then(
    (r) => ({ status: 200, content: r.choices[0]?.message.content ?? "", code: undefined as unknown, message: "" }),
    (e: InstanceType<typeof OpenAI.APIError>) => ({ status: e.status, content: "", code: e.code, message: e.message }),
  );

test("an endless answer: a quick 502 naming the limit, and the upstream's connection dropped", async () => {
  const before = cancelled;
  const r = await chat("endless");
  expect(r.status).toBe(502);
  expect(r.code).toBe("upstream_answer_too_large");
  expect(r.message).toContain(`more than ${LIMIT} bytes`);
  expect(r.message).toContain("maxBufferSize");
  await Bun.sleep(50);
  expect(cancelled).toBe(before + 1);
});

test("a declared length over the limit is refused before it is read; within it, declared or not, the answer arrives whole", async () => {
  const over = await chat("declared-over");
  expect([over.status, over.code]).toEqual([502, "upstream_answer_too_large"]);
  expect(over.message).toContain("100000 bytes");
  for (const model of ["under-declared", "under-chunked"]) {
    const r = await chat(model);
    expect(r.status).toBe(200);
    expect(r.content.length).toBeGreaterThan(59_000);
  }
});

test("a compressed answer is counted as it inflates: a 60 KB gzip of 10 MB is refused", async () => {
  const r = await chat("gzip-bomb");
  expect([r.status, r.code]).toEqual([502, "upstream_answer_too_large"]);
});

test("an endless error page: the upstream's status with what its first MiB says, not a hang", async () => {
  const before = cancelled;
  const r = await chat("endless-error");
  expect(r.status).toBe(500);
  await Bun.sleep(50);
  expect(cancelled).toBe(before + 1);
});

test("a translated provider (Anthropic) is bounded the same way, in the Anthropic client's shape", async () => {
  const anthropic = new Anthropic({ baseURL: `${gw.origin()}/anthropic`, apiKey: "client-key", maxRetries: 0 });
  const err = await anthropic.messages.create({ model: "endless", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).catch((e) => e as InstanceType<typeof Anthropic.APIError>);
  expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(502);
  expect(JSON.stringify((err as InstanceType<typeof Anthropic.APIError>).error)).toContain("larger than the gateway buffers");
});

test("streams are not buffered: 160 KB of events pass a 64 KB limit", async () => {
  const stream = await client.chat.completions.create({ model: "long-stream", messages: [{ role: "user", content: "hi" }], stream: true });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  expect(text.length).toBeGreaterThan(160_000);
  expect(text.startsWith("0:yyy")).toBe(true);
});

test("a stream whose event never ends: an error event naming the limit, and the upstream's connection dropped", async () => {
  const before = cancelled;
  const stream = await client.chat.completions.create({ model: "endless-event", messages: [{ role: "user", content: "hi" }], stream: true });
  const failure = await (async () => {
    for await (const _ of stream);
  })().then(
    () => "ended without an error",
    (e: Error) => e.message,
  );
  expect(failure).toContain(`upstream sent an event larger than ${32 * 1024 * 1024} bytes`);
  await Bun.sleep(50);
  expect(cancelled).toBe(before + 1);
});
