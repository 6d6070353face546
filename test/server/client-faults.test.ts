/**
 * Client faults cannot hurt other clients: disconnects cancel upstream work promptly, stalled
 * and slow clients are timed out, oversized or malformed requests are refused, and the gateway
 * keeps serving everyone else with flat memory.
 *
 * Every scenario checks what the faulty client got (a status, exact bytes, or the client-side
 * error of its own abort), what the upstream saw (the cancellation, or nothing at all), and that
 * a normal request still succeeds afterwards. Waits are bounded and fail with what never happened;
 * nothing asserts on latency.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { chatStreamFrames } from "../../bench/upstream.ts";
import { startOpenAIEmulator, type OpenAIEmulator, type RecordedRequest } from "../emulators/openai.ts";
import { gatewayFor, openaiClient, within, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
let gw: TestGateway;

beforeAll(async () => {
  // slow streams: 500 chunks 20 ms apart (10 s), so disconnects happen mid-stream
  emu = startOpenAIEmulator({ chunks: 500, delayMs: 20 });
  gw = await gatewayFor("openAI", emu, { top: "frontendPolicies: {http: {http1IdleTimeout: 2s}}", name: "emu" });
});
afterAll(async () => {
  await gw.stop();
  emu.stop();
});

const body = (stream: boolean, content = "Write a short story") => JSON.stringify({ model: "m", messages: [{ role: "user", content }], stream });
const post = (url: string, payload: string, signal?: AbortSignal) => fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: payload, signal });
const contentOf = (r: RecordedRequest) => r.json?.messages?.[0]?.content as string | undefined;

/** A normal, non-streamed chat through the SDK: the gateway is still serving. */
async function expectServing(g: TestGateway = gw) {
  const r = await openaiClient(g.baseURL()).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
  expect(r.choices[0]!.finish_reason).toBe("stop");
  expect(r.choices[0]!.message.content).toStartWith('Hello! You said: "hi".');
}

/**
 * A raw TCP client: sends `data`, then does nothing. `closed` resolves when the server closes the
 * connection, with every byte received and the socket error, if any.
 */
function rawClient(port: number, data: string) {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  let error: string | undefined;
  socket.on("data", (d) => (received += d.toString()));
  socket.on("error", (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<{ received: string; error: string | undefined }>((resolve) => socket.on("close", () => resolve({ received, error })));
  socket.write(data);
  return { socket, closed };
}

describe("client disconnects", () => {
  test("many clients leaving mid-stream at once: each sees its own abort, each upstream request is cancelled", async () => {
    const n = 30;
    const label = (i: number) => `Write a short story (client ${i} leaves)`;
    const ours = () => emu.requests.filter((r) => contentOf(r)?.endsWith(" leaves)"));
    const controllers = Array.from({ length: n }, () => new AbortController());
    const started = await Promise.all(
      controllers.map(async (c, i) => {
        const res = await post(`${gw.baseURL()}/chat/completions`, body(true, label(i)), c.signal);
        const reader = res.body!.getReader();
        const first = await reader.read(); // the stream is flowing
        return { status: res.status, type: res.headers.get("content-type"), first: new TextDecoder().decode(first.value).slice(0, 29), reader };
      }),
    );
    expect(started.map(({ status, type, first }) => ({ status, type, first }))).toEqual(
      Array.from({ length: n }, () => ({ status: 200, type: "text/event-stream", first: 'data: {"id":"chatcmpl-emu-1",' })),
    );
    expect(ours().map(contentOf).sort()).toEqual(Array.from({ length: n }, (_, i) => label(i)).sort());
    expect(ours().filter((r) => r.aborted)).toEqual([]); // nothing was cancelled before the clients left

    for (const c of controllers) c.abort();
    // each client gets the error of its own abort, not data and not a clean end
    const next = await Promise.all(started.map(({ reader }) => reader.read().then((r) => (r.done ? "clean end" : "more data"), (e: Error) => e.name)));
    expect(next).toEqual(Array.from({ length: n }, () => "AbortError"));
    // and every one of their upstream requests is cancelled (the upstream would stream for 10 s more)
    await emu.until(
      () => ours().every((r) => r.aborted),
      3000,
      () => `${ours().filter((r) => !r.aborted).length} of ${n} upstream streams were still running after their clients left`,
    );
    await expectServing();
  });

  test("a client leaving while the upstream is still thinking: AbortError for it, the upstream request cancelled", async () => {
    const THINK = "Think for a long time (the client leaves)";
    // the upstream never answers this one: only a cancellation can end it
    emu.script((r) => (contentOf(r) === THINK ? new Promise<Response>(() => {}) : undefined));
    try {
      const c = new AbortController();
      const outcome = post(`${gw.baseURL()}/chat/completions`, body(false, THINK), c.signal).then(
        (res) => `answered ${res.status}`,
        (e: Error) => e.name,
      );
      const upstream = await emu.waitForRequest((r) => contentOf(r) === THINK, 3000, "the request never reached the upstream");
      expect(upstream.json.stream).toBe(false);
      expect(upstream.aborted).toBe(false);
      c.abort();
      expect(await outcome).toBe("AbortError");
      await emu.until(() => upstream.aborted, 3000, () => "the upstream request was still open after the client left");
    } finally {
      emu.script(undefined);
    }
    await expectServing();
  });
});

describe("stalled, slow and malformed clients", () => {
  const port = () => Number(new URL(gw.origin()).port);

  test("clients stalled mid-headers, mid-body or idle do not block others; each is closed without an answer, nothing reaches the upstream", async () => {
    const before = emu.requests.length;
    const stalled = [
      ...Array.from({ length: 40 }, () => rawClient(port(), "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le")),
      ...Array.from({ length: 40 }, () => rawClient(port(), `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`)),
      ...Array.from({ length: 40 }, () => rawClient(port(), "")), // idle connections
    ];
    // everyone else is served meanwhile
    await expectServing();
    // the stalled connections are closed by the server (the idle timeout; Bun checks it every few
    // seconds, and unparsed requests get its 10 s header timeout), cleanly and without any bytes
    const ends = await within(Promise.all(stalled.map((s) => s.closed)), 15_000, "stalled clients were never disconnected");
    expect(ends).toEqual(Array.from({ length: stalled.length }, () => ({ received: "", error: undefined })));
    await expectServing();
    // the half-sent requests never went upstream: only the two normal chats did
    expect(emu.requests.slice(before).map(contentOf)).toEqual(["hi", "hi"]);
  }, 20_000);

  test("oversized headers: a 431 and the connection closed, nothing upstream; the gateway keeps serving", async () => {
    const before = emu.requests.length;
    const c = rawClient(port(), `GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: ${"x".repeat(256 * 1024)}\r\n\r\n`);
    const end = await within(c.closed, 5000, "the connection with oversized headers was neither answered nor closed");
    expect(end).toEqual({ received: "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n", error: undefined });
    expect(emu.requests.length).toBe(before);
    await expectServing();
  });

  test("a malformed request line: a 400 and the connection closed, nothing upstream; the gateway keeps serving", async () => {
    const before = emu.requests.length;
    const c = rawClient(port(), "THIS IS NOT HTTP\r\n\r\n");
    const end = await within(c.closed, 5000, "the malformed request was neither answered nor closed");
    expect(end).toEqual({ received: "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n", error: undefined });
    expect(emu.requests.length).toBe(before);
    await expectServing();
  });
});

describe("memory", () => {
  test("stays flat over a long mixed run (streams, errors, disconnects), every request answered as it should be", async () => {
    const LEAVE = "Write a short story (the client leaves)";
    const fast = startOpenAIEmulator({ chunks: 20 });
    // streams the client leaves get one chunk and then nothing: only a cancellation ends them
    const firstFrame = new TextEncoder().encode(chatStreamFrames({ model: "m", messages: [{ role: "user", content: LEAVE }] }, { chunks: 3, delayMs: 0 })[0]!);
    fast.script((r) =>
      contentOf(r) === LEAVE
        ? new Response(new ReadableStream({ start: (c) => c.enqueue(firstFrame) }), { headers: { "content-type": "text/event-stream" } })
        : undefined,
    );
    const g = await gatewayFor("openAI", fast, { name: "fast" });
    const url = `${g.baseURL()}/chat/completions`;
    /** one request of four kinds; returns what the client got, in a word or two */
    const round = async (i: number): Promise<string> => {
      const kind = i % 4;
      if (kind === 3) {
        const r = await fetch(url, { method: "POST", body: "{nope" });
        const json = (await r.json()) as { error?: { code?: string } };
        return `refused ${r.status} ${json.error?.code}`;
      }
      if (kind === 0) {
        const r = await post(url, body(false));
        const json = (await r.json()) as { choices?: { message: { content: string } }[] };
        return `chat ${r.status} ${json.choices?.[0]?.message.content.startsWith("Once upon a time") ? "story" : JSON.stringify(json).slice(0, 200)}`;
      }
      if (kind === 1) {
        const r = await post(url, body(true));
        const text = await r.text();
        return `stream ${r.status} ${text.endsWith("data: [DONE]\n\n") && !text.includes('"error"') ? "complete" : text.slice(-200)}`;
      }
      const c = new AbortController();
      const r = await post(url, body(true, LEAVE), c.signal);
      const reader = r.body!.getReader();
      const first = await reader.read();
      c.abort();
      const after = await reader.read().then((x) => (x.done ? "clean end" : "more data"), (e: Error) => e.name);
      return `left ${r.status} ${first.value?.byteLength === firstFrame.byteLength ? "after one chunk" : "?"} ${after}`;
    };
    let leaves = 0;
    const batch = async (n: number) => {
      const tally: Record<string, number> = {};
      for (let i = 0; i < n; i += 20) {
        const outcomes = await Promise.all(Array.from({ length: 20 }, (_, j) => within(round(i + j), 10_000, `request ${i + j} (kind ${(i + j) % 4}) never completed`)));
        for (const outcome of outcomes) tally[outcome] = (tally[outcome] ?? 0) + 1;
      }
      expect(tally).toEqual({
        "chat 200 story": n / 4,
        "stream 200 complete": n / 4,
        "left 200 after one chunk AbortError": n / 4,
        "refused 400 invalid_request_body": n / 4,
      });
      leaves += n / 4;
      // every stream a client left was cancelled upstream (they never end by themselves)
      await fast.until(() => fast.aborted === leaves, 5000, () => `${leaves - fast.aborted} of ${leaves} abandoned streams were still open upstream`);
      // the emulator's own records are not the gateway's memory
      fast.requests.length = 0;
    };
    try {
      await batch(1000); // warm up
      g.logs.length = 0;
      Bun.gc(true);
      const before = process.memoryUsage().heapUsed;
      await batch(4000);
      g.logs.length = 0;
      Bun.gc(true);
      const after = process.memoryUsage().heapUsed;
      await expectServing(g);
      // 4000 requests retaining even 5 KB each would add 20 MB
      expect((after - before) / 1024 / 1024).toBeLessThan(8);
    } finally {
      await g.stop();
      fast.stop();
    }
  }, 120_000);
});
