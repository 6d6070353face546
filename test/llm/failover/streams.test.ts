/**
 * Streams and failover, over real HTTP with the official SDKs, with `streamKeepAlive` on: an
 * upstream that sends its headers and then nothing until its deadline is failed over after the
 * client got only keep-alive comments (and a comment names who answered, as the header could not);
 * native streams (Anthropic Messages on Anthropic) are checked like translated ones: an error
 * event before any content fails over (or, with one provider, is a real HTTP status when it came
 * before the upstream paused, and the provider's own event after: the answer went out at the
 * pause), and a pause after the answer started gets comments.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { encodeEvents, startAnthropicEmulator, turn, type AnthropicEmulator, type AnthropicEvent } from "../../emulators/anthropic.ts";
import { startOpenAIEmulator, startRawUpstream, type OpenAIEmulator } from "../../emulators/openai.ts";
import { accessLogs, eventually, openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import * as s from "../providers/anthropic/scripts.ts";

let b: OpenAIEmulator;
/** answers with 200 and event-stream headers (an OpenAI one; an Anthropic one with message_start and ping), then nothing */
let silent: ReturnType<typeof startRawUpstream>;
let silentAnthropic: ReturnType<typeof startRawUpstream>;
let x: AnthropicEmulator;
let y: AnthropicEmulator;
let gw: TestGateway;
/** the same OpenAI group where nothing reads token usage (the answer would be relayed untouched) */
let untouched: TestGateway;
let clock = 1_000_000;

const openai = (name: string, host: string) => `{name: ${name}, hostOverride: "${host}", provider: {openAI: {}}}`;
const anthropic = (name: string, host: string) => `{name: ${name}, hostOverride: "${host}", provider: {anthropic: {}}}`;

beforeAll(async () => {
  b = startOpenAIEmulator();
  silent = startRawUpstream(() => ({ bytes: headersThen(""), stall: true }));
  silentAnthropic = startRawUpstream(() => ({ bytes: headersThen(encodeEvents([s.messageStart("msg_slow", { input_tokens: 3 }), s.ping])), stall: true }));
  x = startAnthropicEmulator();
  y = startAnthropicEmulator();
  // deps.random 0: inside a group the first listed member is tried first
  gw = await startTestGateway(
    `
config: {streamKeepAlive: 100ms}
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /openai}}]
      policies: {timeout: {backendRequestTimeout: 400ms}, ai: {routes: {"*": completions}}}
      backends:
      - ai: {groups: [{providers: [${openai("a", silent.host)}, ${openai("b", b.host)}]}]}
    - matches: [{path: {pathPrefix: /single-translated}}]
      policies: {ai: {routes: {"*": messages}}}
      backends:
      - ai: {groups: [{providers: [${openai("b", b.host)}]}]}
    - matches: [{path: {pathPrefix: /single}}]
      policies: {backendAuth: {key: ${s.KEY}}, ai: {routes: {"*": messages}}}
      backends:
      - ai: {groups: [{providers: [${anthropic("x", x.host)}]}]}
    - matches: [{path: {pathPrefix: /anthropic-silent}}]
      policies: {backendAuth: {key: ${s.KEY}}, timeout: {backendRequestTimeout: 400ms}, ai: {routes: {"*": messages}}}
      backends:
      - ai: {groups: [{providers: [${anthropic("x", silentAnthropic.host)}, ${anthropic("y", y.host)}]}]}
    - matches: [{path: {pathPrefix: /anthropic}}]
      policies: {backendAuth: {key: ${s.KEY}}, timeout: {backendRequestTimeout: 400ms}, ai: {routes: {"*": messages}}}
      backends:
      - ai: {groups: [{providers: [${anthropic("x", x.host)}, ${anthropic("y", y.host)}]}]}
`,
    {},
    { deps: { random: () => 0, now: () => clock } },
  );
  untouched = await startTestGateway(
    `
config: {streamKeepAlive: 100ms}
frontendPolicies:
  accessLog:
    remove: [gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, gen_ai.usage.cache_read.input_tokens, gen_ai.usage.cache_creation.input_tokens, gen_ai.usage.reasoning_tokens]
binds:
- port: 0
  listeners:
  - routes:
    - policies: {timeout: {backendRequestTimeout: 400ms}}
      backends:
      - ai: {groups: [{providers: [${openai("a", silent.host)}, ${openai("b", b.host)}]}]}
`,
    {},
    { deps: { random: () => 0, now: () => clock } },
  );
});
afterAll(async () => {
  await gw.stop();
  await untouched.stop();
  for (const e of [b, x, y]) await e.stop();
  silent.stop();
  silentAnthropic.stop();
});
afterEach(async () => {
  b.script(undefined);
  x.script(undefined);
  y.script(undefined);
  clock += 10 * 60_000; // every eviction of the last test is over
  await Bun.sleep(50);
});

/** A 200 event-stream head and `events` as its first chunk, on the wire (the connection then stays silent). */
function headersThen(events: string): Uint8Array {
  const head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";
  return new TextEncoder().encode(events ? `${head}${events.length.toString(16)}\r\n${events}\r\n` : head);
}
const anthropicClient = (prefix: string) => new Anthropic({ baseURL: `${gw.origin()}${prefix}`, apiKey: "client", maxRetries: 0 });
const MESSAGES = { model: s.MODEL, max_tokens: 50, messages: [{ role: "user" as const, content: "hi" }] };
const postMessages = (prefix: string) =>
  fetch(`${gw.origin()}${prefix}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify({ ...MESSAGES, stream: true }) });
const overloadedFirst: AnthropicEvent[] = [s.messageStart("msg_overloaded", { input_tokens: 3 }), s.ping, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } }];

describe("a provider silent after its headers", () => {
  test("until backendRequestTimeout: the client had only keep-alive comments, and the next provider answers", async () => {
    const started = performance.now();
    const res = await fetch(`${gw.origin()}/openai/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m-silent", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(380);
    const events = text.split("\n\n").filter(Boolean);
    const firstData = events.findIndex((e) => e.startsWith("data:"));
    expect(events.slice(0, firstData).filter((e) => e === ": keep-alive").length).toBeGreaterThanOrEqual(3);
    // the header went out with the first comment: the provider is named by a comment and in the log
    expect(res.headers.get("x-agw-provider")).toBeNull();
    expect(events.slice(0, firstData)).toContain(": x-agw-provider: b");
    expect(text).toEndWith("data: [DONE]\n\n");
    expect(text).not.toContain('"error"');
    const line = await eventually(() => accessLogs(gw).find((l) => l["gen_ai.request.model"] === "m-silent"));
    expect(line.endpoint).toBe("b");
    expect(line["http.status"]).toBe(200);
  });

  test("the SDK reads the next provider's answer", async () => {
    const stream = await openaiClient(`${gw.origin()}/openai/v1`).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text.length).toBeGreaterThan(0);
  });
  test("where nothing reads the answer (no zero-copy while another provider may answer): the next provider answers", async () => {
    const res = await fetch(`${untouched.baseURL()}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }),
    });
    const text = await res.text();
    expect(text).toContain(": x-agw-provider: b");
    expect(text).toEndWith("data: [DONE]\n\n");
    expect(text).not.toContain('"error"');
  });
});

describe("native streams (Anthropic Messages on Anthropic)", () => {
  test("an overloaded_error before any content (after message_start and ping): the next provider answers", async () => {
    x.script(() => turn(overloadedFirst));
    y.script(() => turn(s.plainText));
    const { data, response } = await anthropicClient("/anthropic").messages.stream(MESSAGES).withResponse();
    const msg = await data.finalMessage();
    expect(msg.content).toMatchObject([{ type: "text", text: s.PLAIN_TEXT }]);
    expect(response.headers.get("x-agw-provider")).toBe("y");
  });

  test("the answer's bytes are the second provider's own, untouched, held head and all", async () => {
    x.script(() => turn(overloadedFirst));
    y.script(() => turn(s.plainText));
    const res = await postMessages("/anthropic");
    expect(await res.text()).toBe(encodeEvents(s.plainText));
  });

  test("with one provider, the error before any content is a real HTTP status in Anthropic's shape", async () => {
    x.script(() => turn(overloadedFirst));
    const res = await postMessages("/single");
    expect(res.status).toBe(529);
    expect(await res.json()).toMatchObject({ type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    const err = await anthropicClient("/single")
      .messages.create({ ...MESSAGES, stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
  });

  test("after a pause, an error before any content still fails over while another provider may answer", async () => {
    x.script(() => turn(overloadedFirst, { delayMs: 40 }));
    y.script(() => turn(s.plainText));
    const res = await postMessages("/anthropic");
    const text = await res.text();
    // a header, or a comment when the pre-answer keep-alive had to answer first
    expect(res.headers.get("x-agw-provider") ?? /^: x-agw-provider: (\S+)$/m.exec(text)?.[1]).toBe("y");
    expect(withoutComments(text)).toBe(encodeEvents(s.plainText));
  });

  test("silent after message_start and ping until backendRequestTimeout: the next provider answers", async () => {
    y.script(() => turn(s.plainText));
    const res = await postMessages("/anthropic-silent");
    const text = await res.text();
    expect(text).toStartWith(": keep-alive\n\n");
    expect(text).toContain(": x-agw-provider: y");
    expect(text).not.toContain("msg_slow");
    expect(text).toEndWith(encodeEvents(s.plainText));
  });

  test("pauses after the answer started get keep-alive comments, only between whole events; the answer is intact", async () => {
    const events = [...s.plainText.slice(0, 3), s.text(0, "Hel"), s.text(0, "lo"), ...s.plainText.slice(3)];
    // 100-byte pieces 150 ms apart (the keep-alive is 100 ms): most pauses fall mid-event
    x.script(() => turn(events, { chunkBytes: 100, delayMs: 150 }));
    const text = await (await postMessages("/single")).text();
    const parts = text.split("\n\n").filter(Boolean);
    const comments = parts.filter((e) => e.startsWith(":"));
    expect(new Set(comments)).toEqual(new Set([": keep-alive", ": x-agw-provider: x"]));
    const firstData = parts.findIndex((e) => e.startsWith("event:"));
    expect(parts.slice(firstData).filter((e) => e === ": keep-alive").length).toBeGreaterThanOrEqual(2);
    for (const e of parts.filter((p) => !p.startsWith(":"))) {
      const m = /^event: (\S+)\ndata: (.*)$/.exec(e);
      expect(m).not.toBeNull();
      expect(JSON.parse(m![2]!).type).toBe(m![1]);
    }
    expect(parts.filter((p) => !p.startsWith(":")).join("\n\n") + "\n\n").toBe(encodeEvents(events));
  });
});

/** `pieces` as a body, `ms` apart. */
function pausedBetween(pieces: string[], ms: number): ReadableStream<Uint8Array> {
  const left = [...pieces];
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = left.shift();
      if (piece === undefined) return controller.close();
      if (left.length < pieces.length - 1) await Bun.sleep(ms);
      controller.enqueue(new TextEncoder().encode(piece));
    },
  });
}

/** The stream's events without comments (a keep-alive may fall into a pause on a slow machine). */
const withoutComments = (text: string) =>
  text
    .split("\n\n")
    .filter((e) => e !== "" && !e.startsWith(":"))
    .map((e) => `${e}\n\n`)
    .join("");

describe("one provider and nowhere else to go: the answer goes out when the upstream pauses", () => {
  // An LLM's first token comes after a pause: answering then (not after that token) takes the
  // answer's setup off the first token's path. An error the upstream sends after that pause
  // reaches the client as the provider itself sends it, an event under the 200.
  test("native: an overloaded_error after a pause arrives as Anthropic's own events; the SDK raises it", async () => {
    x.script(() => turn(overloadedFirst, { delayMs: 40 }));
    const res = await postMessages("/single");
    expect(res.status).toBe(200);
    expect(withoutComments(await res.text())).toBe(encodeEvents(overloadedFirst));
    x.script(() => turn(overloadedFirst, { delayMs: 40 }));
    const err = await (async () => {
      for await (const _ of await anthropicClient("/single").messages.create({ ...MESSAGES, stream: true }));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err)).toContain("Overloaded");
  });

  test("native: a connection cut after a pause, before any content, ends with Anthropic's error event after the held head", async () => {
    const head = overloadedFirst.slice(0, 2);
    x.script(() => turn([...head, ...s.plainText.slice(1)], { delayMs: 40, cutAfterBytes: encodeEvents(head).length + 5 }));
    const res = await postMessages("/single");
    expect(res.status).toBe(200);
    const text = withoutComments(await res.text());
    expect(text).toStartWith(encodeEvents(head));
    expect(text).toEndWith('"type":"error","error":{"type":"api_error","message":"upstream connection failed mid-stream"}}\n\n');
  });

  test("translated: an Anthropic client on an OpenAI-format provider gets the error as Anthropic's event; the SDK raises it", async () => {
    const role = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}\n\n';
    const error = 'data: {"error":{"message":"Overloaded","type":"server_error","code":null}}\n\n';
    b.script(() => new Response(pausedBetween([role, error], 40), { headers: { "content-type": "text/event-stream" } }));
    const { data: stream, response } = await anthropicClient("/single-translated").messages.create({ ...MESSAGES, stream: true }).withResponse();
    expect(response.status).toBe(200);
    const err = await (async () => {
      for await (const _ of stream);
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(String(err)).toContain("Overloaded");
  });

  test("an error in the upstream's first read is still a real HTTP status: nothing had paused yet", async () => {
    x.script(() => turn(overloadedFirst));
    const res = await postMessages("/single");
    expect(res.status).toBe(529);
  });
});
