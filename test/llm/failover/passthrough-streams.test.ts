/**
 * SSE answers on passthrough routes (`ai.routes: {"*": passthrough}`) and failover, over real HTTP
 * with the official SDKs: while another attempt could replace the answer (two providers, a retry
 * policy, `health.eviction`), the head of the stream is held until its first content, so an error
 * event first (OpenAI's `data: {"error"}`, Anthropic's `overloaded_error` after `message_start`
 * and `ping`, Responses' `response.failed`, Gemini's `{"error"}`), a cut or a stall before it is
 * a failure the health policy counts and the loop fails over from, and the client gets the next
 * provider's bytes untouched (or, with no provider left, the error as the provider's HTTP answer).
 * An error after content reaches the client as it came. With one provider and no retry, nothing
 * is read: the bytes are relayed as they came, an error event first included.
 */
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI } from "@google/genai";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { providerHealth } from "../../../src/llm/failover/status.ts";
import { encodeEvents, startAnthropicEmulator, turn, type AnthropicEmulator, type AnthropicEvent } from "../../emulators/anthropic.ts";
import { GEMINI_TEST_KEY, startGeminiEmulator, type GeminiEmulator } from "../../emulators/gemini.ts";
import { startOpenAIEmulator, startRawUpstream, type OpenAIEmulator } from "../../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import * as s from "../providers/anthropic/scripts.ts";

let oa: OpenAIEmulator;
let ob: OpenAIEmulator;
let x: AnthropicEmulator;
let y: AnthropicEmulator;
let g: GeminiEmulator;
/** answers 200 with Anthropic's message_start and ping, then nothing */
let silent: ReturnType<typeof startRawUpstream>;
let gw: TestGateway;
let clock = 1_000_000;

const openai = (name: string, host: string, policies = "{}") => `{name: ${name}, hostOverride: "${host}", provider: {openAI: {}}, policies: ${policies}}`;
const anthropic = (name: string, host: string) => `{name: ${name}, hostOverride: "${host}", provider: {anthropic: {}}}`;
/** requests to `/<name>/...` passed through as `/...` to the providers of one group */
const route = (name: string, policies: string, providers: string[]) => `
    - matches: [{path: {pathPrefix: /${name}/}}]
      policies: {urlRewrite: {path: {prefix: /}}, ai: {routes: {"*": passthrough}}${policies ? `, ${policies}` : ""}}
      backends: [{ai: {groups: [{providers: [${providers.join(", ")}]}]}}]`;
const KEY = `backendAuth: {key: ${s.KEY}}`;

beforeAll(async () => {
  oa = startOpenAIEmulator();
  ob = startOpenAIEmulator();
  x = startAnthropicEmulator();
  y = startAnthropicEmulator();
  g = startGeminiEmulator();
  silent = startRawUpstream(() => ({ bytes: headersThen(encodeEvents([s.messageStart("msg_slow", { input_tokens: 3 }), s.ping])), stall: true }));
  // deps.random 0: inside a group the first listed member is tried first
  gw = await startTestGateway(
    `
binds:
- port: 0
  listeners:
  - routes:${route("openai", "", [openai("oa1", oa.host), openai("ob1", ob.host)])}${route("anthropic", KEY, [anthropic("x1", x.host), anthropic("y1", y.host)])}${route("silent", `${KEY}, timeout: {backendRequestTimeout: 400ms}`, [anthropic("s2", silent.host), anthropic("y2", y.host)])}${route("retry", "retry: {attempts: 2, codes: [429], backoff: 10ms}", [openai("oa3", oa.host)])}${route("one-openai", "", [openai("oa4", oa.host)])}${route("evicting", "", [openai("oa5", oa.host, "{health: {eviction: {duration: 10s}}}")])}${route("gemini", `backendAuth: {key: ${GEMINI_TEST_KEY}}`, [`{name: g7, hostOverride: "${g.host}", provider: {gemini: {}}, policies: {health: {eviction: {duration: 10s}}}}`])}${route("patient", "", [openai("oa6", oa.host, "{health: {eviction: {consecutiveFailures: 2}}}"), openai("ob6", ob.host)])}${route("one-anthropic", KEY, [anthropic("x4", x.host)])}
`,
    {},
    { deps: { random: () => 0, now: () => clock } },
  );
});
afterAll(async () => {
  await gw.stop();
  for (const e of [oa, ob, x, y, g]) await e.stop();
  silent.stop();
});
afterEach(() => {
  for (const e of [oa, ob]) e.script(undefined);
  for (const e of [x, y]) e.script(undefined);
  g.script(undefined);
  clock += 10 * 60_000; // every eviction of the last test is over
});

/** A 200 event-stream head and `events` as its first chunk, on the wire (the connection then stays silent). */
function headersThen(events: string): Uint8Array {
  const head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
  return new TextEncoder().encode(`${head}${events.length.toString(16)}\r\n${events}\r\n`);
}

// OpenAI chat completion chunks, as the API streams them
const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "chatcmpl-pt1", object: "chat.completion.chunk", created: 1_700_000_000, model: "gpt-4o-mini", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
const OPENAI_PIECES = [chunk("Hello"), chunk(" world"), chunk("", "stop"), "data: [DONE]\n\n"];
const OPENAI_SERVER_ERROR = 'data: {"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}\n\n';
const OPENAI_RATE_LIMITED = 'data: {"error":{"message":"Rate limit reached for requests","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}\n\n';

/**
 * An SSE answer written in `pieces` (one write each); `cut`: the connection breaks after them
 * (20 ms apart then, so that they are on the wire before the connection is reset).
 */
function sse(pieces: string[], cut = false): Response {
  const queue = pieces.map((p) => new TextEncoder().encode(p));
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (cut) await Bun.sleep(20);
      const next = queue.shift();
      if (next) return controller.enqueue(next);
      if (cut) controller.error(new Error("emulated connection cut"));
      else controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8" } });
}

const chat = (prefix: string) => openaiClient(`${gw.origin()}/${prefix}/v1`);
const postChat = (prefix: string) =>
  fetch(`${gw.origin()}/${prefix}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true }) });
const anthropicClient = (prefix: string) => new Anthropic({ baseURL: `${gw.origin()}/${prefix}`, apiKey: "client", maxRetries: 0 });
const MESSAGES = { model: s.MODEL, max_tokens: 50, messages: [{ role: "user" as const, content: "hi" }] };
const postMessages = (prefix: string) =>
  fetch(`${gw.origin()}/${prefix}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify({ ...MESSAGES, stream: true }) });
const overloaded: AnthropicEvent = { type: "error", error: { type: "overloaded_error", message: "Overloaded" } };
const overloadedFirst: AnthropicEvent[] = [s.messageStart("msg_overloaded", { input_tokens: 3 }), s.ping, overloaded];
const health = (provider: string) => providerHealth(gw.gateway.config, clock).find((h) => h.provider === provider)!;

describe("two providers: an error before the first content is failed over from", () => {
  test("an OpenAI-format error event first: the SDK reads the next provider's stream, which x-agw-provider names; the first is counted and evicted", async () => {
    oa.script(() => sse([OPENAI_SERVER_ERROR]));
    ob.script(() => sse(OPENAI_PIECES));
    const { data: stream, response } = await chat("openai").chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
    let text = "";
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    expect(text).toBe("Hello world");
    expect(response.headers.get("x-agw-provider")).toBe("ob1");
    // the error event's status: OpenAI's `server_error` has no status of its own (a bad upstream, 502)
    expect(health("oa1")).toMatchObject({ evicted: true, consecutiveFailures: 1, lastFailure: { status: 502 } });
    expect(health("ob1")).toMatchObject({ evicted: false, consecutiveFailures: 0 });
    // evicted: the next request goes straight to the second provider
    const before = oa.requests.length;
    expect((await postChat("openai")).headers.get("x-agw-provider")).toBe("ob1");
    expect(oa.requests.length).toBe(before);
  });

  test("the next provider's bytes reach the client untouched", async () => {
    oa.script(() => sse([OPENAI_RATE_LIMITED]));
    ob.script(() => sse(OPENAI_PIECES));
    const res = await postChat("openai");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("text/event-stream");
    expect(await res.text()).toBe(OPENAI_PIECES.join(""));
    expect(health("oa1").lastFailure?.status).toBe(429);
  });

  test("Anthropic's overloaded_error after message_start and ping: the Anthropic SDK gets the next provider's message", async () => {
    x.script(() => turn(overloadedFirst));
    y.script(() => turn(s.plainText));
    const { data, response } = await anthropicClient("anthropic").messages.stream(MESSAGES).withResponse();
    expect((await data.finalMessage()).content).toMatchObject([{ type: "text", text: s.PLAIN_TEXT }]);
    expect(response.headers.get("x-agw-provider")).toBe("y1");
    expect(health("x1")).toMatchObject({ evicted: true, consecutiveFailures: 1, lastFailure: { status: 529 } });
  });

  test("the answer's bytes are the second provider's own, held head and all", async () => {
    x.script(() => turn(overloadedFirst, { chunkBytes: 9 }));
    y.script(() => turn(s.plainText, { chunkBytes: 9 }));
    const res = await postMessages("anthropic");
    expect(await res.text()).toBe(encodeEvents(s.plainText));
    expect(res.headers.get("x-agw-provider")).toBe("y1");
  });

  test("every provider fails first: the last one's error is the answer, as an HTTP status in the provider's own shape", async () => {
    x.script(() => turn(overloadedFirst));
    y.script(() => turn(overloadedFirst));
    const res = await postMessages("anthropic");
    expect(res.status).toBe(529);
    expect(res.headers.get("content-type")).toBe("application/json");
    expect(res.headers.get("x-agw-provider")).toBe("y1");
    expect(await res.json()).toEqual({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    clock += 10 * 60_000;
    const err = await anthropicClient("anthropic")
      .messages.create({ ...MESSAGES, stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });

  test("a connection cut after message_start and ping, before any content: the next provider answers", async () => {
    const head = encodeEvents(overloadedFirst.slice(0, 2)).length;
    // pieces 20 ms apart: the first two are on the wire before the connection is reset
    x.script(() => turn(s.plainText, { cutAfterBytes: head + 12, delayMs: 20 }));
    y.script(() => turn(s.plainText));
    const res = await postMessages("anthropic");
    expect(await res.text()).toBe(encodeEvents(s.plainText));
    expect(res.headers.get("x-agw-provider")).toBe("y1");
    expect(health("x1")).toMatchObject({ evicted: true, lastFailure: { status: 502 } });
  });

  test("an OpenAI stream cut inside its first event: the next provider answers", async () => {
    oa.script(() => sse([": OPENROUTER PROCESSING\n\n", OPENAI_PIECES[0]!.slice(0, 20)], true));
    ob.script(() => sse(OPENAI_PIECES));
    const res = await postChat("openai");
    expect(await res.text()).toBe(OPENAI_PIECES.join(""));
    expect(res.headers.get("x-agw-provider")).toBe("ob1");
    // a broken stream (502), not a connection that could not be made (no status)
    expect(health("oa1").lastFailure?.status).toBe(502);
  });

  test("silent after message_start and ping until backendRequestTimeout: the next provider answers", async () => {
    y.script(() => turn(s.plainText));
    const started = performance.now();
    const res = await postMessages("silent");
    expect(await res.text()).toBe(encodeEvents(s.plainText));
    expect(performance.now() - started).toBeGreaterThanOrEqual(380);
    expect(res.headers.get("x-agw-provider")).toBe("y2");
    // a timeout is no answer at all
    expect(health("s2")).toMatchObject({ evicted: true, lastFailure: { status: undefined } });
  });

  test("a retry policy on one provider: an error event first is retried, and the retry's stream is the answer", async () => {
    let n = 0;
    oa.script(() => (n++ === 0 ? sse([OPENAI_RATE_LIMITED]) : sse(OPENAI_PIECES)));
    const before = oa.requests.length;
    const res = await postChat("retry");
    expect(await res.text()).toBe(OPENAI_PIECES.join(""));
    expect(oa.requests.length).toBe(before + 2);
  });
});

describe("the health policy decides the eviction", () => {
  test("eviction.consecutiveFailures: 2: the first error event first is counted, the provider evicted at the second", async () => {
    oa.script(() => sse([OPENAI_RATE_LIMITED]));
    ob.script(() => sse(OPENAI_PIECES));
    const before = oa.requests.length;
    expect(await (await postChat("patient")).text()).toBe(OPENAI_PIECES.join(""));
    expect(health("oa6")).toMatchObject({ evicted: false, consecutiveFailures: 1, lastFailure: { status: 429 } });
    expect(await (await postChat("patient")).text()).toBe(OPENAI_PIECES.join(""));
    expect(health("oa6")).toMatchObject({ evicted: true, consecutiveFailures: 2 });
    expect(oa.requests.length).toBe(before + 2);
    await postChat("patient");
    expect(oa.requests.length).toBe(before + 2);
  });

  test("one provider with health.eviction: the error event first is its HTTP error, and the provider is evicted", async () => {
    oa.script(() => sse([OPENAI_RATE_LIMITED]));
    const res = await postChat("evicting");
    expect(res.status).toBe(429);
    expect(await res.text()).toBe(OPENAI_RATE_LIMITED.slice(6, -2));
    expect(health("oa5")).toMatchObject({ evicted: true, evictedForMs: 10_000 });
    const err = await chat("evicting")
      .chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true })
      .catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(503);
  });
});

describe("the error events of other formats, answered as the provider's HTTP error (one provider with health.eviction)", () => {
  test("Responses: response.failed after response.created is OpenAI's 429 for its code; the SDK raises a RateLimitError", async () => {
    const created = { type: "response.created", sequence_number: 0, response: { id: "resp_pt1", object: "response", status: "in_progress", model: "gpt-4o-mini", output: [] } };
    const error = { code: "rate_limit_exceeded", message: "Rate limit reached for gpt-4o-mini." };
    const failed = { type: "response.failed", sequence_number: 1, response: { ...created.response, status: "failed", error } };
    oa.script(() => sse([`event: response.created\ndata: ${JSON.stringify(created)}\n\n`, `event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`]));
    const err = await chat("evicting")
      .responses.create({ model: "gpt-4o-mini", input: "hi", stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ message: error.message, code: "rate_limit_exceeded" });
    expect(health("oa5")).toMatchObject({ evicted: true, lastFailure: { status: 429 } });
  });

  test("Gemini: an error chunk first is answered with its code, 503; the Gemini SDK raises it", async () => {
    const error = { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" };
    g.script(() => ({ events: [{ error }] }));
    const ai = new GoogleGenAI({ apiKey: "client-key", httpOptions: { baseUrl: `${gw.origin()}/gemini` } });
    const err = await ai.models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi" }).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(503);
    expect(String((err as Error).message)).toContain("The model is overloaded");
    expect(health("g7")).toMatchObject({ evicted: true, lastFailure: { status: 503 } });
  });
});

describe("two providers: an error after content reaches the client as it came", () => {
  test("Anthropic: the overloaded_error after a text delta is relayed, nothing failed over or duplicated", async () => {
    const events = [s.plainText[0]!, s.textStart(0), s.ping, s.text(0, "Hel"), overloaded];
    x.script(() => turn(events));
    y.script(() => turn(s.plainText));
    const before = y.requests.length;
    const res = await postMessages("anthropic");
    expect(res.status).toBe(200);
    expect(res.headers.get("x-agw-provider")).toBe("x1");
    expect(await res.text()).toBe(encodeEvents(events));
    expect(y.requests.length).toBe(before);
    expect(health("x1")).toMatchObject({ evicted: false, consecutiveFailures: 0 });
  });

  test("OpenAI: the error event after a chunk is relayed; the SDK raises it after the text it had", async () => {
    oa.script(() => sse([OPENAI_PIECES[0]!, OPENAI_SERVER_ERROR]));
    const before = ob.requests.length;
    const res = await postChat("openai");
    expect(await res.text()).toBe(OPENAI_PIECES[0]! + OPENAI_SERVER_ERROR);
    expect(res.headers.get("x-agw-provider")).toBe("oa1");
    oa.script(() => sse([OPENAI_PIECES[0]!, OPENAI_SERVER_ERROR]));
    let text = "";
    const err = await (async () => {
      for await (const c of await chat("openai").chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true })) text += c.choices[0]?.delta?.content ?? "";
    })().catch((e: unknown) => e);
    expect(text).toBe("Hello");
    expect(String(err)).toContain("The server had an error");
    expect(ob.requests.length).toBe(before);
  });
});

describe("one provider and no retry: nothing could replace the answer, so nothing is read", () => {
  test("an Anthropic stream in 7-byte pieces: the client gets the emulator's bytes exactly", async () => {
    x.script(() => turn(s.plainText, { chunkBytes: 7 }));
    const res = await postMessages("one-anthropic");
    expect(await res.text()).toBe(encodeEvents(s.plainText));
  });

  test("an error event first is relayed as it came, under the upstream's 200", async () => {
    x.script(() => turn(overloadedFirst));
    const res = await postMessages("one-anthropic");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(encodeEvents(overloadedFirst));
    oa.script(() => sse([OPENAI_SERVER_ERROR]));
    const openaiRes = await postChat("one-openai");
    expect(openaiRes.status).toBe(200);
    expect(await openaiRes.text()).toBe(OPENAI_SERVER_ERROR);
  });

  test("an OpenAI stream written mid-event: the same bytes", async () => {
    const all = OPENAI_PIECES.join("");
    oa.script(() => sse([all.slice(0, 30), all.slice(30, 31), all.slice(31, 200), all.slice(200)]));
    expect(await (await postChat("one-openai")).text()).toBe(all);
  });
});
