/**
 * OpenAI-format streams nothing needs to read go to the client untouched (zero copy): with the
 * access log's usage fields removed (and no policy reading usage), the gateway asks the upstream
 * for no usage, forwards its bytes exactly, still lets a cancelled client cancel the upstream,
 * and a broken upstream still fails the client's stream loudly. With usage logged (the default),
 * the stream is tapped: usage is asked for, logged, and kept from clients that did not ask.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { accessLogs, eventually, openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
let untouched: TestGateway;
let tapped: TestGateway;

const config = (extra: string) => `
${extra}
binds:
- port: 0
  listeners:
  - routes:
    - backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`;
const NO_USAGE = `frontendPolicies:
  accessLog:
    remove: [gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, gen_ai.usage.cache_read.input_tokens, gen_ai.usage.cache_creation.input_tokens, gen_ai.usage.reasoning_tokens]`;

/** An upstream stream in an unusual but valid spelling: no space after `data:`, a comment line, CRLF nowhere. */
const ODD_STREAM =
  ': keep-alive\n\n' +
  'data:{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\n\n' +
  'data:{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n' +
  "data: [DONE]\n\n";

beforeAll(async () => {
  emu = startOpenAIEmulator({ chunks: 6, delayMs: 2 });
  untouched = await startTestGateway(config(NO_USAGE));
  tapped = await startTestGateway(config(""));
});
afterAll(async () => {
  await untouched.stop();
  await tapped.stop();
  emu.stop();
});

const ask = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "Write a short story" }] };

describe("nothing reads usage: zero copy", () => {
  test("the upstream is asked for no usage and its bytes reach the client exactly", async () => {
    emu.script(() => new Response(ODD_STREAM, { headers: { "content-type": "text/event-stream" } }));
    try {
      const res = await fetch(`${untouched.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...ask, stream: true }) });
      expect(res.headers.get("content-type")).toBe("text/event-stream");
      expect(await res.text()).toBe(ODD_STREAM);
      expect(emu.requests.at(-1)!.json.stream_options).toBeUndefined();
    } finally {
      emu.script(undefined);
    }
  });

  test("a client that asks for usage gets the upstream's usage chunk; the SDK reads the whole stream", async () => {
    const client = openaiClient(untouched.baseURL());
    const stream = await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? "";
      if (c.usage) usage = c.usage;
    }
    expect(text.length).toBeGreaterThan(10);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(emu.requests.at(-1)!.json.stream_options).toEqual({ include_usage: true });
    const line = await eventually(() => accessLogs(untouched).at(-1));
    expect(line["http.status"]).toBe(200);
    expect(line["gen_ai.request.model"]).toBe("gpt-4o-mini");
    expect(line["gen_ai.usage.input_tokens"]).toBeUndefined();
  });

  test("a client that leaves cancels the upstream request", async () => {
    const before = emu.requests.length;
    const ac = new AbortController();
    const res = await fetch(`${untouched.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...ask, stream: true }), signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await emu.until(() => emu.requests[before]?.aborted === true, 3000, () => "the upstream request was not cancelled after the client left");
  });

  test("a broken upstream fails the client's stream (a connection error), never a silent end", async () => {
    emu.script(
      () =>
        new Response(
          new ReadableStream({
            start(c) {
              c.enqueue(new TextEncoder().encode(ODD_STREAM.split("\n\n").slice(0, 2).join("\n\n") + "\n\n"));
              setTimeout(() => c.error(new Error("upstream died")), 20);
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    try {
      const stream = await openaiClient(untouched.baseURL()).chat.completions.create({ ...ask, stream: true });
      let text = "";
      const err = await (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
      })().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(text).toBe("Hi");
      expect(err).toBeInstanceOf(Error);
    } finally {
      emu.script(undefined);
    }
  });
});

describe("usage is logged (the default): the stream is tapped", () => {
  test("usage is asked for upstream, logged, and kept from a client that did not ask", async () => {
    const stream = await openaiClient(tapped.baseURL()).chat.completions.create({ ...ask, stream: true });
    let sawUsage = false;
    for await (const c of stream) if (c.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
    expect(emu.requests.at(-1)!.json.stream_options).toEqual({ include_usage: true });
    const line = await eventually(() => accessLogs(tapped).find((l) => typeof l["gen_ai.usage.output_tokens"] === "number"));
    expect(line["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
  });
});
