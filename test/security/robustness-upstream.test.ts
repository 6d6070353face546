/**
 * Upstream-side robustness: a throwaway upstream answers with malformed provider output (truncated
 * and mistyped JSON, garbage and unexpected SSE events, an event split inside a UTF-8 character,
 * an enormous event, streams cut short or ending without their last event, AWS event-stream
 * frames with bad checksums), in each provider's wire format, to every client format that
 * reaches it. Each answer must come in time (no hang) and be either a well-formed answer in the
 * client's format or a clear failure: an HTTP error in the client's shape before the answer
 * started, the format's error event after. Nothing may be left unhandled in this process (the
 * gateway runs in it), and the gateway must serve normally afterwards.
 *
 * Native passthrough streams (Messages on Anthropic, Responses on OpenAI, Gemini SSE on Gemini)
 * are relayed as they come once their first content event is out (stream/native.ts): only their
 * head and their framing are checked there, so they are held to that.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { concat, converseAnswer, encodeEvent, ev, type StreamEvent } from "../emulators/bedrock.ts";
import { cutAt } from "../helpers/replay.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { expectErrorShape, expectNothingLeaked, other, pool, prng, receive, slots, watchProcessErrors, type Json, type Received, type Rng, type Shape } from "./fuzz.ts";

const OPENAI_KEY = "sk-upfuzz-openai-T5m8Qz2Lw7";
const ANTHROPIC_KEY = "sk-ant-upfuzz-H4c9Rk1Pv6";
const GEMINI_KEY = "AIzaUpFuzzGemini-W3n6Dx8Bq";
const AWS = { accessKeyId: "AKIAUPFUZZGATEWAY042", secretAccessKey: "upfuzzSecret/Pz4Kq7Wm1Rt9Yb3Nc6Vx8Lj2Hg5" };
const SECRETS = [OPENAI_KEY, ANTHROPIC_KEY, GEMINI_KEY, AWS.secretAccessKey];

/** FUZZ_SEED and FUZZ_N explore other and more cases locally; the suite itself always runs the same ones */
const SEED = Number(process.env.FUZZ_SEED ?? 0xbad_5eed);
/** seeded mutations of a valid answer per client route, provider and mode, besides the named cases */
const MUTATIONS = Number(process.env.FUZZ_N ?? 12);

const enc = new TextEncoder();
const errors = watchProcessErrors();

// ---------------------------------------------------------------------------------------------
// the throwaway upstream: each request names its case in its model (`fz-<n>`, in the path or body)

interface Answer {
  status?: number;
  contentType: string;
  headers?: Record<string, string> | undefined;
  /** written in order; with `pauseMs`, one network write each */
  chunks: Uint8Array[];
  pauseMs?: number;
  /** the connection breaks after the chunks */
  cut?: boolean;
}

const answers: Answer[] = [];
let upstream: ReturnType<typeof Bun.serve>;

function answerFor(a: Answer): Response {
  const headers = { ...a.headers, "content-type": a.contentType };
  if (a.chunks.length <= 1 && !a.cut && !a.pauseMs) return new Response(a.chunks[0] ?? null, { status: a.status ?? 200, headers });
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      // the pause comes before a cut too, so what was written reaches the gateway first
      if (a.pauseMs && i > 0) await Bun.sleep(a.pauseMs);
      const chunk = a.chunks[i++];
      if (chunk) return controller.enqueue(chunk);
      if (a.cut) controller.error(new Error("upstream fuzz: connection cut"));
      else controller.close();
    },
  });
  return new Response(body, { status: a.status ?? 200, headers });
}

// ---------------------------------------------------------------------------------------------
// the gateway: one route per provider, chosen by `x-provider`

const PROVIDERS = {
  openai: ["{openAI: {}}", `{key: ${OPENAI_KEY}}`],
  azure: ["{azure: {resourceName: fuzz, resourceType: openAI, apiVersion: 2024-10-21}}", `{key: ${OPENAI_KEY}}`],
  anthropic: ["{anthropic: {}}", `{key: ${ANTHROPIC_KEY}}`],
  gemini: ["{gemini: {}}", `{key: ${GEMINI_KEY}}`],
  vertex: ["{vertex: {projectId: fuzz, region: us-central1}}", `{key: ${GEMINI_KEY}}`],
  bedrock: ["{bedrock: {region: us-east-1}}", `{aws: {accessKeyId: ${AWS.accessKeyId}, secretAccessKey: "${AWS.secretAccessKey}", region: us-east-1}}`],
} as const;
type Provider = keyof typeof PROVIDERS;

function config(host: string): string {
  const lines = ["binds:", "- port: 0", "  listeners:", "  - routes:"];
  for (const [name, [provider, auth]] of Object.entries(PROVIDERS)) {
    lines.push(
      `    - name: ${name}`,
      `      matches: [{headers: [{name: x-provider, value: {exact: ${name}}}]}]`,
      `      policies: {backendAuth: ${auth}}`,
      "      backends:",
      `      - ai: {name: ${name}, provider: ${provider}, hostOverride: "${host}"}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

let gw: TestGateway;

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const text = await req.text();
      const n = /fz-(\d+)/.exec(decodeURIComponent(new URL(req.url).pathname) + text)?.[1];
      const a = n === undefined ? undefined : answers[Number(n)];
      return a ? answerFor(a) : Response.json({ error: { message: "upstream fuzz: no case named" } }, { status: 404 });
    },
  });
  gw = await startTestGateway(config(`127.0.0.1:${upstream.port}`));
});

afterAll(async () => {
  await gw?.stop();
  upstream?.stop(true);
  errors.stop();
});

// ---------------------------------------------------------------------------------------------
// valid answers in each provider wire format, as objects (mutated) and as bytes

type Wire = "openai" | "responses" | "anthropic" | "gemini" | "bedrock";
const TEXT = ["Hello", " there, é😀中", "!"];

/** The answer a non-streaming call gets. */
function wholeAnswer(wire: Wire, model: string): Record<string, unknown> {
  switch (wire) {
    case "openai":
      return { id: "chatcmpl-fz", object: "chat.completion", created: 1, model, choices: [{ index: 0, message: { role: "assistant", content: TEXT.join(""), tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: '{"a":1}' } }] }, finish_reason: "stop" }], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } };
    case "responses":
      return { id: "resp_fz", object: "response", created_at: 1, status: "completed", model, output: [{ id: "msg_fz", type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: TEXT.join(""), annotations: [] }] }], usage: { input_tokens: 5, output_tokens: 3, total_tokens: 8 } };
    case "anthropic":
      return { id: "msg_fz", type: "message", role: "assistant", model, content: [{ type: "text", text: TEXT.join("") }, { type: "tool_use", id: "toolu_1", name: "f", input: { a: 1 } }], stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: 5, output_tokens: 3 } };
    case "gemini":
      return { candidates: [{ content: { role: "model", parts: [{ text: TEXT.join("") }, { functionCall: { name: "f", args: { a: 1 } } }] }, finishReason: "STOP", index: 0 }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 }, modelVersion: model, responseId: "fz" };
    case "bedrock":
      return converseAnswer(bedrockEvents());
  }
}

function bedrockEvents(): StreamEvent[] {
  return [ev.start(), ...TEXT.map((t) => ev.text(0, t)), ev.blockStop(0), ev.toolStart(1, "tooluse_1", "f"), ev.toolInput(1, '{"a":1}'), ev.blockStop(1), ev.stop("end_turn"), ev.metadata({ inputTokens: 5, outputTokens: 3 })];
}

/** A streamed answer's events, as objects (SSE `event:` names for Anthropic and Responses). */
function streamEvents(wire: Exclude<Wire, "bedrock">, model: string): { event?: string; data: Json }[] {
  switch (wire) {
    case "openai": {
      const chunk = (delta: unknown, finish: string | null = null) => ({ data: { id: "chatcmpl-fz", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }] } });
      return [chunk({ role: "assistant", content: "" }), ...TEXT.map((t) => chunk({ content: t })), chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: '{"a":' } }] }), chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }), chunk({}, "stop"), { data: { id: "chatcmpl-fz", object: "chat.completion.chunk", created: 1, model, choices: [], usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 } } }, { data: "[DONE]" }];
    }
    case "responses": {
      const whole = wholeAnswer("responses", model);
      const e = (type: string, rest: Record<string, unknown>) => ({ event: type, data: { type, ...rest } });
      return [
        e("response.created", { response: { ...whole, status: "in_progress", output: [] } }),
        e("response.output_item.added", { output_index: 0, item: { id: "msg_fz", type: "message", status: "in_progress", role: "assistant", content: [] } }),
        e("response.content_part.added", { item_id: "msg_fz", output_index: 0, content_index: 0, part: { type: "output_text", text: "", annotations: [] } }),
        ...TEXT.map((t) => e("response.output_text.delta", { item_id: "msg_fz", output_index: 0, content_index: 0, delta: t })),
        e("response.output_text.done", { item_id: "msg_fz", output_index: 0, content_index: 0, text: TEXT.join("") }),
        e("response.output_item.done", { output_index: 0, item: (whole.output as unknown[])[0] }),
        e("response.completed", { response: whole }),
      ];
    }
    case "anthropic": {
      const e = (data: Record<string, unknown>) => ({ event: data.type as string, data });
      return [
        e({ type: "message_start", message: { id: "msg_fz", type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } }),
        e({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
        e({ type: "ping" }),
        ...TEXT.map((t) => e({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: t } })),
        e({ type: "content_block_stop", index: 0 }),
        e({ type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "toolu_1", name: "f", input: {} } }),
        e({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: '{"a":' } }),
        e({ type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "1}" } }),
        e({ type: "content_block_stop", index: 1 }),
        e({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 3 } }),
        e({ type: "message_stop" }),
      ];
    }
    case "gemini": {
      const chunk = (parts: unknown[], last = false) => ({
        data: { candidates: [{ content: { role: "model", parts }, index: 0, ...(last ? { finishReason: "STOP" } : {}) }], ...(last ? { usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8 } } : {}), modelVersion: model, responseId: "fz" },
      });
      return [...TEXT.map((t) => chunk([{ text: t }])), chunk([{ functionCall: { name: "f", args: { a: 1 } } }], true)];
    }
  }
}

function sseText(events: { event?: string; data: Json }[], wire: Wire): string {
  const end = wire === "gemini" ? "\r\n\r\n" : "\n\n";
  return events.map((e) => `${e.event ? `event: ${e.event}\n` : ""}data: ${typeof e.data === "string" ? e.data : JSON.stringify(e.data)}${end}`).join("");
}

const CONTENT_TYPE: Record<Wire, { json: string; stream: string }> = {
  openai: { json: "application/json", stream: "text/event-stream" },
  responses: { json: "application/json", stream: "text/event-stream" },
  anthropic: { json: "application/json", stream: "text/event-stream; charset=utf-8" },
  gemini: { json: "application/json; charset=UTF-8", stream: "text/event-stream" },
  bedrock: { json: "application/json", stream: "application/vnd.amazon.eventstream" },
};

// ---------------------------------------------------------------------------------------------
// malformed answers

interface Malformed {
  kind: string;
  answer: Answer;
  /** the status a failure must have, when the case names one (an upstream error event) */
  status?: number;
}

const bytes = (s: string) => enc.encode(s);
const json = (wire: Wire, text: string | Uint8Array, kind: string): Malformed => ({ kind, answer: { contentType: CONTENT_TYPE[wire].json, chunks: [typeof text === "string" ? bytes(text) : text] } });

/** Known fields of the wire's answer, each of a wrong type (what a provider bug or a proxy could send). */
function wrongTypes(wire: Wire, model: string): [string, Record<string, unknown>][] {
  const w = () => wholeAnswer(wire, model) as any;
  const set = (f: (a: any) => void) => {
    const a = w();
    f(a);
    return a;
  };
  switch (wire) {
    case "openai":
      return [
        ["choices: 'x'", set((a) => (a.choices = "x"))],
        ["choices: [null]", set((a) => (a.choices = [null]))],
        ["choices: []", set((a) => (a.choices = []))],
        ["message: 5", set((a) => (a.choices[0].message = 5))],
        ["content: 5", set((a) => (a.choices[0].message.content = 5))],
        ["tool_calls: 'x'", set((a) => (a.choices[0].message.tool_calls = "x"))],
        ["tool_calls: [null]", set((a) => (a.choices[0].message.tool_calls = [null]))],
        ["function: 5", set((a) => (a.choices[0].message.tool_calls[0].function = 5))],
        ["usage: []", set((a) => (a.usage = []))],
        ["usage.prompt_tokens: 'x'", set((a) => (a.usage.prompt_tokens = "x"))],
      ];
    case "responses":
      return [
        ["output: 'x'", set((a) => (a.output = "x"))],
        ["output: [null]", set((a) => (a.output = [null]))],
        ["content: 5", set((a) => (a.output[0].content = 5))],
        ["usage: []", set((a) => (a.usage = []))],
      ];
    case "anthropic":
      return [
        ["content: 5", set((a) => (a.content = 5))],
        ["content: [null]", set((a) => (a.content = [null]))],
        ["content: 'x'", set((a) => (a.content = "x"))],
        ["text: 5", set((a) => (a.content[0].text = 5))],
        ["tool_use input: 'x'", set((a) => (a.content[1].input = "x"))],
        ["usage: []", set((a) => (a.usage = []))],
        ["usage: null", set((a) => (a.usage = null))],
        ["stop_reason: 5", set((a) => (a.stop_reason = 5))],
      ];
    case "gemini":
      return [
        ["candidates: 'x'", set((a) => (a.candidates = "x"))],
        ["candidates: [null]", set((a) => (a.candidates = [null]))],
        ["content: 5", set((a) => (a.candidates[0].content = 5))],
        ["parts: 5", set((a) => (a.candidates[0].content.parts = 5))],
        ["parts: [null]", set((a) => (a.candidates[0].content.parts = [null]))],
        ["functionCall: 'x'", set((a) => (a.candidates[0].content.parts[1].functionCall = "x"))],
        ["usageMetadata: []", set((a) => (a.usageMetadata = []))],
      ];
    case "bedrock":
      return [
        ["output: 'x'", set((a) => (a.output = "x"))],
        ["message: 5", set((a) => (a.output.message = 5))],
        ["content: 5", set((a) => (a.output.message.content = 5))],
        ["content: [null]", set((a) => (a.output.message.content = [null]))],
        ["toolUse: 'x'", set((a) => (a.output.message.content[1].toolUse = "x"))],
        ["usage: []", set((a) => (a.usage = []))],
      ];
  }
}

/** Malformed whole (non-streaming) answers. */
function wholeCases(wire: Wire, model: string, rng: Rng): Malformed[] {
  const valid = JSON.stringify(wholeAnswer(wire, model));
  const out: Malformed[] = [
    json(wire, "", "empty body"),
    json(wire, "null", "null"),
    json(wire, "[]", "an array"),
    json(wire, '"x"', "a string"),
    json(wire, "<html><body>502 Bad Gateway</body></html>", "an HTML page"),
    json(wire, new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]), "invalid UTF-8"),
    json(wire, `\ufeff${valid}`, "a BOM before the JSON"),
    json(wire, `${"[".repeat(5000)}${"]".repeat(5000)}`, "deep nesting"),
    json(wire, valid.replace(TEXT[0]!, "x".repeat(3_000_000)), "an enormous text"),
    { kind: "JSON as text/html", answer: { contentType: "text/html", chunks: [bytes(valid)] } },
    { kind: "JSON as an event stream", answer: { contentType: "text/event-stream", chunks: [bytes(valid)] } },
    { kind: "cut mid-body", answer: { contentType: CONTENT_TYPE[wire].json, chunks: [bytes(valid.slice(0, valid.length >> 1))], cut: true, pauseMs: 5 } },
    ...wrongTypes(wire, model).map(([kind, a]) => json(wire, JSON.stringify(a), `wrong type: ${kind}`)),
    ...PROTO_STRINGS.map((p) => json(wire, JSON.stringify(withReason(wholeAnswer(wire, model), p)), `finish reason ${JSON.stringify(p)}`)),
    ...PROTO_STRINGS.map((p): Malformed => ({ kind: `HTTP 500, error type ${JSON.stringify(p)}`, answer: errorAnswer(wire, 500, p), status: 500 })),
  ];
  for (let i = 0; i < 4; i++) out.push(json(wire, valid.slice(0, 1 + rng.int(valid.length - 1)), "truncated"));
  for (let i = 0; i < MUTATIONS; i++) {
    const a = wholeAnswer(wire, model);
    const [kind, mutated] = mutateValue(a, rng);
    out.push(json(wire, JSON.stringify(mutated), `mutated: ${kind}`));
  }
  return out;
}

/** Object.prototype's members, as providers' enum values (an object used as a table answers them). */
const PROTO_STRINGS = ["constructor", "__proto__", "toString", "hasOwnProperty"];

/** The wire's HTTP error answer, its type (status name, exception kind) `kind`. */
function errorAnswer(wire: Wire, status: number, kind: string): Answer {
  const body = {
    openai: { error: { message: "x", type: kind, param: null, code: kind } },
    responses: { error: { message: "x", type: kind, param: null, code: kind } },
    anthropic: { type: "error", error: { type: kind, message: "x" } },
    gemini: { error: { code: status, message: "x", status: kind } },
    bedrock: { message: "x" },
  }[wire];
  return { status, contentType: "application/json", headers: wire === "bedrock" ? { "x-amzn-errortype": `${kind}:http://internal.amazon.com/coral/com.amazon.bedrock/` } : undefined, chunks: [bytes(JSON.stringify(body))] };
}

/** The answer with its stop / finish reason set to `reason`. */
function withReason(a: any, reason: string): Record<string, unknown> {
  if (a.choices) a.choices[0].finish_reason = reason;
  if (a.stop_reason !== undefined) a.stop_reason = reason;
  if (a.candidates) a.candidates[0].finishReason = reason;
  if (a.stopReason !== undefined) a.stopReason = reason;
  if (a.object === "response") a.status = reason;
  return a;
}

/** A value of another type at one place, or that place dropped. */
function mutateValue(v: Record<string, unknown>, rng: Rng): [string, Json] {
  const s = slots(v);
  const [c, k] = rng.pick(s);
  if (rng.chance(0.3)) {
    if (Array.isArray(c)) c.splice(k as number, 1);
    else delete c[k as string];
    return [`${String(k)} dropped`, v];
  }
  const x = other(rng);
  (c as Record<string | number, Json>)[k] = x;
  return [`${String(k)} = ${JSON.stringify(x)?.slice(0, 20)}`, v];
}

/** Malformed SSE streams, from the wire's valid events. */
function sseCases(wire: Exclude<Wire, "bedrock">, model: string, rng: Rng): Malformed[] {
  const events = () => streamEvents(wire, model);
  const ct = CONTENT_TYPE[wire].stream;
  const sse = (text: string | Uint8Array, kind: string, extra: Partial<Answer> = {}): Malformed => ({ kind, answer: { contentType: ct, chunks: [typeof text === "string" ? bytes(text) : text], ...extra } });
  const valid = sseText(events(), wire);
  const lastEvent = valid.lastIndexOf("data:", valid.length - 5);
  const withEvent = (at: number, raw: string) => {
    const list = events().map((e) => sseText([e], wire));
    list.splice(at, 0, raw);
    return list.join("");
  };
  const garbage = ["data: garbage\n\n", "data: {\n\n", "data: [1,2]\n\n", "data: null\n\n", 'data: "x"\n\n', "event: mystery\ndata: {}\n\n", ": just a comment\n\n", "data:\n\n", "\n\n\n\n", 'data: {"type":"mystery_event","x":1}\n\n', "retry: 10\nid: 5\n\n", "\u0000\u0001binary\n\n"];
  const unexpected: Record<typeof wire, string[]> = {
    openai: ['data: {"id":"x","object":"mystery","choices":[{"index":0,"delta":{"mystery":1}}]}\n\n', 'data: {"choices":[{"index":7,"delta":{"content":"x"}}]}\n\n', 'data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":9,"function":{"arguments":"x"}}]}}]}\n\n'],
    responses: ['event: response.mystery\ndata: {"type":"response.mystery"}\n\n', 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","output_index":9,"delta":5}\n\n'],
    anthropic: ['event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"mystery_delta","x":1}}\n\n', 'event: content_block_delta\ndata: {"type":"content_block_delta","index":7,"delta":{"type":"text_delta","text":"x"}}\n\n', 'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"mystery"}}\n\n'],
    gemini: ['data: {"candidates":[{"content":{"parts":[{"mystery":1}]},"index":0}]}\r\n\r\n', 'data: {"promptFeedback":{"blockReason":"OTHER"}}\r\n\r\n', 'data: {"candidates":[]}\r\n\r\n'],
  };
  const errorEvent: Record<typeof wire, [string, number]> = {
    openai: ['data: {"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}\n\n', 429],
    responses: ['event: error\ndata: {"type":"error","code":"server_error","message":"overloaded"}\n\n', 500],
    anthropic: ['event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n', 529],
    gemini: ['data: {"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}\r\n\r\n', 503],
  };
  /** events whose enum fields (finish reasons, error types and statuses) name Object.prototype members */
  const protoEvents: Record<typeof wire, (p: string) => string[]> = {
    openai: (p) => [`data: {"error":{"message":"x","type":${JSON.stringify(p)},"code":${JSON.stringify(p)}}}\n\n`, `data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":${JSON.stringify(p)}}]}\n\n`],
    responses: (p) => [`event: error\ndata: {"type":"error","code":${JSON.stringify(p)},"message":"x"}\n\n`, `event: ${p}\ndata: {"type":${JSON.stringify(p)}}\n\n`],
    anthropic: (p) => [`event: error\ndata: {"type":"error","error":{"type":${JSON.stringify(p)},"message":"x"}}\n\n`, `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":${JSON.stringify(p)}},"usage":{"output_tokens":1}}\n\n`],
    gemini: (p) => [`data: {"error":{"code":${JSON.stringify(p)},"message":"x","status":${JSON.stringify(p)}}}\r\n\r\n`, `data: {"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":${JSON.stringify(p)},"index":0}]}\r\n\r\n`],
  };
  const out: Malformed[] = [
    sse("", "an empty stream"),
    sse(valid.slice(0, lastEvent), "no final event"),
    sse(valid.slice(0, lastEvent + 12), "cut inside the final event"),
    sse(valid.slice(0, valid.length >> 1), "cut mid-event, connection broken", { cut: true, pauseMs: 5 }),
    sse(valid.slice(0, valid.indexOf("\n\n") + 2), "only the first event"),
    { kind: "as application/json", answer: { contentType: "application/json", chunks: [bytes(valid)] } },
    { kind: "as text/plain", answer: { contentType: "text/plain", chunks: [bytes(valid)] } },
    ...garbage.flatMap((g, i) => [sse(withEvent(1 + (i % 3), g), `garbage event ${JSON.stringify(g.slice(0, 24))}`), sse(g + valid, `garbage first ${JSON.stringify(g.slice(0, 24))}`)]),
    ...unexpected[wire].map((u) => sse(withEvent(2, u), `unexpected event ${u.slice(0, 60)}`)),
    { ...sse(withEvent(2, errorEvent[wire][0]), "the provider's error event mid-stream") },
    ...PROTO_STRINGS.flatMap((p) => protoEvents[wire](p).map((e, i) => sse(i === 0 ? e + valid : withEvent(2, e), `${JSON.stringify(p)} in an enum field (${i === 0 ? "first" : "mid-stream"})`))),
    { ...sse(errorEvent[wire][0], "the provider's error event first"), status: errorEvent[wire][1] },
    sse(withEvent(2, sseText([{ event: wire === "anthropic" ? "content_block_delta" : wire === "responses" ? "response.output_text.delta" : undefined, data: bigEvent(wire, model) }], wire)), "an enormous event (4 MB)"),
    { kind: "split inside UTF-8 characters", answer: { contentType: ct, chunks: splitInsideUtf8(bytes(valid)), pauseMs: 2 } },
    { kind: "CRLF line ends", answer: { contentType: ct, chunks: [bytes(valid.replace(/\r?\n/g, "\r\n"))] } },
    { kind: "CR line ends", answer: { contentType: ct, chunks: [bytes(valid.replace(/\r?\n/g, "\r"))] } },
    { kind: "invalid UTF-8 in an event", answer: { contentType: ct, chunks: [bytes(valid.slice(0, lastEvent)), new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0x7b, 0xff, 0xfe, 0x7d, 0x0a, 0x0a]), bytes(valid.slice(lastEvent))], pauseMs: 1 } },
  ];
  for (let i = 0; i < MUTATIONS; i++) {
    const list = events();
    const at = rng.int(list.length);
    const e = list[at]!;
    const [kind, data] = typeof e.data === "object" && e.data !== null ? mutateValue(e.data as Record<string, unknown>, rng) : ["[DONE] replaced", other(rng)];
    list[at] = { ...e, data: typeof data === "string" ? JSON.stringify(data) : data };
    out.push(sse(sseText(list, wire), `event ${at} mutated: ${kind}`));
  }
  return out;
}

/** One event carrying 4 MB of text, in the wire's shape. */
function bigEvent(wire: Exclude<Wire, "bedrock">, model: string): Json {
  const text = "é".repeat(2_000_000);
  switch (wire) {
    case "openai":
      return { id: "chatcmpl-fz", object: "chat.completion.chunk", created: 1, model, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] };
    case "responses":
      return { type: "response.output_text.delta", item_id: "msg_fz", output_index: 0, content_index: 0, delta: text };
    case "anthropic":
      return { type: "content_block_delta", index: 0, delta: { type: "text_delta", text } };
    case "gemini":
      return { candidates: [{ content: { role: "model", parts: [{ text }] }, index: 0 }] };
  }
}

/** The bytes in pieces, each cut inside a multi-byte UTF-8 character (one network write each). */
function splitInsideUtf8(b: Uint8Array): Uint8Array[] {
  const cuts: number[] = [];
  for (let i = 1; i < b.length; i++) if ((b[i]! & 0xc0) === 0x80 && (b[i - 1]! & 0xc0) !== 0x80) cuts.push(i + (cuts.length % 2)); // after the lead byte, or one further
  return cutAt(b, cuts);
}

/** Malformed AWS event streams (Bedrock ConverseStream). */
function eventStreamCases(rng: Rng): Malformed[] {
  const ct = CONTENT_TYPE.bedrock.stream;
  const frames = () => bedrockEvents().map(encodeEvent);
  const es = (list: Uint8Array[], kind: string, extra: Partial<Answer> = {}): Malformed => ({ kind, answer: { contentType: ct, chunks: [concat(list)], ...extra } });
  const corrupt = (at: number, f: (frame: Uint8Array) => void, kind: string) => {
    const list = frames();
    const frame = list[at]!.slice();
    f(frame);
    list[at] = frame;
    return es(list, kind);
  };
  const frame = (type: string, payload: string | Uint8Array, messageType = "event") => {
    // a frame with any payload, checksums right (the emulator's encoder wants JSON objects)
    const body = typeof payload === "string" ? bytes(payload) : payload;
    const headers = [
      [":event-type", type],
      [":content-type", "application/json"],
      [":message-type", messageType],
    ].flatMap(([name, value]) => [name!.length, ...bytes(name!), 7, value!.length >> 8, value!.length & 0xff, ...bytes(value!)]);
    const total = 12 + headers.length + body.byteLength + 4;
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    view.setUint32(0, total);
    view.setUint32(4, headers.length);
    view.setUint32(8, Bun.hash.crc32(out.subarray(0, 8)));
    out.set(headers, 12);
    out.set(body, 12 + headers.length);
    view.setUint32(total - 4, Bun.hash.crc32(out.subarray(0, total - 4)));
    return out;
  };
  const all = frames();
  const out: Malformed[] = [
    es([], "an empty stream"),
    es(all.slice(0, -2), "no messageStop or metadata"),
    es(all.slice(0, -1), "no metadata"),
    es([...all.slice(0, 3), all[3]!.subarray(0, 20)], "cut mid-frame"),
    es([...all.slice(0, 3), all[3]!.subarray(0, 20)], "cut mid-frame, connection broken", { cut: true, pauseMs: 5 }),
    corrupt(2, (f) => (f[8]! ^= 0xff), "bad prelude CRC"),
    corrupt(2, (f) => (f[f.length - 1]! ^= 0xff), "bad message CRC"),
    corrupt(2, (f) => (f[f.length - 8]! ^= 0x01), "a payload byte flipped"),
    corrupt(0, (f) => (f[0]! ^= 0xff), "bad prelude CRC on the first frame"),
    corrupt(2, (f) => new DataView(f.buffer, f.byteOffset).setUint32(0, 0x7fffffff), "an impossible length"),
    es([...all.slice(0, 2), bytes("garbage bytes, not a frame at all....")], "garbage after two frames"),
    es([...all.slice(0, 2), frame("mysteryEvent", '{"x":1}'), ...all.slice(2)], "an unknown event type"),
    es([...all.slice(0, 2), frame("contentBlockDelta", "not json"), ...all.slice(2)], "a payload that is not JSON"),
    es([...all.slice(0, 2), frame("contentBlockDelta", '{"contentBlockIndex":"x","delta":5}'), ...all.slice(2)], "a payload of wrong types"),
    es([...all.slice(0, 2), frame("contentBlockDelta", new Uint8Array([0x7b, 0xff, 0x7d])), ...all.slice(2)], "a payload of invalid UTF-8"),
    { ...es([encodeEvent({ exception: "throttlingException", message: "slow down" })], "an exception first"), status: 429 },
    es([...all.slice(0, 3), encodeEvent({ exception: "modelStreamErrorException", message: "model failed" })], "an exception mid-stream"),
    ...PROTO_STRINGS.flatMap((p) => [
      es([encodeEvent({ exception: p, message: "x" })], `exception ${JSON.stringify(p)} first`),
      es([...all.slice(0, 3), encodeEvent({ exception: p, message: "x" })], `exception ${JSON.stringify(p)} mid-stream`),
      es([...all.slice(0, 6), encodeEvent(ev.stop(p)), ...all.slice(7)], `stopReason ${JSON.stringify(p)}`),
    ]),
    es([...all.slice(0, 3), frame("x", "{}", "mystery-message-type"), ...all.slice(3)], "an unknown message type"),
    { kind: "split every 7 bytes", answer: { contentType: ct, chunks: splitEvery(concat(all), 7), pauseMs: 1 } },
    es([...all.slice(0, 2), encodeEvent(ev.text(0, "é".repeat(2_000_000))), ...all.slice(2)], "an enormous frame (4 MB)"),
    { kind: "as application/json", answer: { contentType: "application/json", chunks: [concat(all)] } },
  ];
  for (let i = 0; i < MUTATIONS; i++) {
    const events = bedrockEvents();
    const at = rng.int(events.length);
    const e = events[at]!;
    if (!Array.isArray(e)) continue;
    const [kind, payload] = mutateValue(structuredClone(e[1]), rng);
    out.push(es(events.map((x, j) => (j === at ? frame(e[0], JSON.stringify(payload)) : encodeEvent(x))), `frame ${at} mutated: ${kind}`));
  }
  return out;
}

function splitEvery(b: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += n) out.push(b.subarray(i, i + n));
  return out;
}

// ---------------------------------------------------------------------------------------------
// client routes

interface ClientRoute {
  name: string;
  shape: Shape;
  stream: boolean;
  request(model: string): { path: string; body: Record<string, unknown> };
  /** the provider wire this route speaks to `provider` in */
  wire(provider: Provider, stream: boolean): Wire;
  /** the route passes `provider`'s answers through as they are (its own format) */
  native(provider: Provider): boolean;
}

const WIRE_OF: Record<Provider, Wire> = { openai: "openai", azure: "openai", anthropic: "anthropic", gemini: "gemini", vertex: "gemini", bedrock: "bedrock" };

const ROUTES: ClientRoute[] = [false, true].flatMap((stream): ClientRoute[] => [
  {
    name: `chat completions${stream ? " (stream)" : ""}`,
    shape: "openai",
    stream,
    request: (model) => ({ path: "/v1/chat/completions", body: { model, messages: [{ role: "user", content: "hi" }], stream } }),
    wire: (p) => WIRE_OF[p],
    native: () => false,
  },
  {
    name: `messages${stream ? " (stream)" : ""}`,
    shape: "anthropic",
    stream,
    request: (model) => ({ path: "/v1/messages", body: { model, max_tokens: 50, messages: [{ role: "user", content: "hi" }], stream } }),
    wire: (p) => WIRE_OF[p],
    native: (p) => p === "anthropic",
  },
  {
    name: `responses${stream ? " (stream)" : ""}`,
    shape: "openai",
    stream,
    request: (model) => ({ path: "/v1/responses", body: { model, input: "hi", stream } }),
    wire: (p) => (p === "openai" || p === "azure" ? "responses" : WIRE_OF[p]),
    native: (p) => p === "openai" || p === "azure",
  },
  {
    name: stream ? "streamGenerateContent" : "generateContent",
    shape: "gemini",
    stream,
    request: (model) => ({ path: `/v1beta/models/${model}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`, body: { contents: [{ role: "user", parts: [{ text: "hi" }] }] } }),
    wire: (p) => WIRE_OF[p],
    native: (p) => p === "gemini" || p === "vertex",
  },
]);

// ---------------------------------------------------------------------------------------------
// checks

/** How a stream of the client's format must end: its last event, or an error event (`parseAll`: every event JSON). */
/**
 * What is wrong with the end of a stream, if anything. A `tapped` stream (passed through, its
 * events only checked by their first and last byte) may carry events that are not JSON, and may
 * end as its server ended it after a finished answer: on its finish reason or usage, without
 * [DONE] (servers that omit it; the SDKs read on without it).
 */
function streamEnd(route: ClientRoute, body: string, tapped = false): string | undefined {
  const parseAll = !tapped;
  const blocks = body.split(/\r?\n\r?\n/).filter((b) => b.split(/\r?\n/).some((l) => l.startsWith("data:")));
  if (blocks.length === 0) return "a stream with no event";
  const parsed: { event?: string; data: any }[] = [];
  for (const b of blocks) {
    const lines = b.split(/\r?\n/);
    const data = lines.filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
    const event = lines.find((l) => l.startsWith("event:"))?.slice(6).trim();
    if (data === "[DONE]") {
      parsed.push({ event, data });
      continue;
    }
    try {
      parsed.push({ event, data: JSON.parse(data) });
    } catch {
      if (parseAll) return `an event that is not JSON: ${data.slice(0, 100)}`;
      parsed.push({ event, data: undefined });
    }
  }
  const last = parsed.at(-1)!;
  switch (route.shape) {
    case "anthropic":
      return last.data?.type === "message_stop" || last.data?.type === "error" ? undefined : `the last event is ${JSON.stringify(last.data).slice(0, 100)}`;
    case "gemini":
      return last.data?.error || last.data?.candidates?.[0]?.finishReason ? undefined : `the last event is ${JSON.stringify(last.data).slice(0, 100)}`;
    default:
      if (route.name.startsWith("responses")) {
        const t = last.data?.type;
        return t === "response.completed" || t === "response.failed" || t === "response.incomplete" || t === "error" ? undefined : `the last event is ${JSON.stringify(last.data).slice(0, 100)}`;
      }
      if (last.data === "[DONE]" || last.data?.error) return undefined;
      if (tapped && (typeof last.data?.choices?.[0]?.finish_reason === "string" || (last.data?.usage && last.data?.choices?.length === 0))) return undefined;
      return `the last event is ${JSON.stringify(last.data).slice(0, 100)}`;
  }
}

/** A whole answer in the client's format (the marker every one carries). */
function wholeProblem(route: ClientRoute, body: string): string | undefined {
  let v: any;
  try {
    v = JSON.parse(body);
  } catch {
    return `a 2xx that is not JSON: ${body.slice(0, 100)}`;
  }
  if (route.shape === "anthropic") return v?.type === "message" && Array.isArray(v.content) ? undefined : `not a Message: ${body.slice(0, 100)}`;
  if (route.shape === "gemini") return Array.isArray(v?.candidates) || v?.promptFeedback ? undefined : `not a GenerateContentResponse: ${body.slice(0, 100)}`;
  if (route.name.startsWith("responses")) return v?.object === "response" ? undefined : `not a Response: ${body.slice(0, 100)}`;
  return Array.isArray(v?.choices) ? undefined : `not a chat completion: ${body.slice(0, 100)}`;
}

function check(route: ClientRoute, provider: Provider, m: Malformed, r: Received): void {
  const what = `${route.name} -> ${provider}, ${m.kind}`;
  expectNothingLeaked(r, SECRETS, what);
  const isStream = (r.headers.get("content-type") ?? "").includes("text/event-stream");
  if (r.status >= 200 && r.status < 300) {
    if (m.status !== undefined && !isStream) throw new Error(`${what}: the provider's error answered as HTTP ${r.status}: ${r.body.slice(0, 200)}`);
    // a native stream is relayed once it started: only its framing is the gateway's to keep
    if (route.native(provider) && isStream) return;
    // an OpenAI stream to an OpenAI client passes through, its events checked by their first and last byte (openai-tap.ts)
    const tapped = route.shape === "openai" && !route.name.startsWith("responses") && WIRE_OF[provider] === "openai";
    const problem = isStream ? streamEnd(route, r.body, tapped) : route.native(provider) ? undefined : wholeProblem(route, r.body);
    if (problem) throw new Error(`${what}: HTTP ${r.status}, ${problem}`);
    return;
  }
  const e = expectErrorShape(route.shape, r, what);
  if (m.status !== undefined) {
    if (r.status !== m.status) throw new Error(`${what}: HTTP ${r.status}, the provider's error said ${m.status}: ${e.message}`);
  } else if (r.status < 500) throw new Error(`${what}: a malformed upstream answer as HTTP ${r.status} (the client's fault?): ${r.body.slice(0, 200)}`);
}

/** The cases a route sends to a provider: malformed answers of the wire they speak. */
function casesFor(route: ClientRoute, provider: Provider, rng: Rng): Malformed[] {
  const wire = route.wire(provider, route.stream);
  if (!route.stream) return wholeCases(wire, "m", rng);
  return wire === "bedrock" ? eventStreamCases(rng) : sseCases(wire, "m", rng);
}

async function send(route: ClientRoute, provider: Provider, model: string): Promise<Received> {
  const { path, body } = route.request(model);
  const headers = { "content-type": "application/json", "x-provider": provider, "anthropic-version": "2023-06-01" };
  return await receive(fetch(`${gw.origin()}${path}`, { method: "POST", headers, body: JSON.stringify(body) }), 10_000, `${route.name} -> ${provider} (${model})`);
}

/** The gateway's error log lines since `from` (an unexpected failure of its own). */
function gatewayErrors(from: number): string[] {
  gw.rawLog();
  return gw.logs
    .slice(from)
    .filter((l) => l.target === "gateway" && l.level === "error")
    .map((l) => JSON.stringify(l).slice(0, 600));
}

describe("upstream-side fuzz: malformed provider output is a clear failure in the client's format", () => {
  const providers = Object.keys(PROVIDERS) as Provider[];
  ROUTES.forEach((route, r) => {
    test(`${route.name}: from ${providers.join(", ")}`, async () => {
      gw.rawLog();
      const logsBefore = gw.logs.length;
      const rng = prng(SEED + r);
      const jobs = providers.flatMap((provider) =>
        casesFor(route, provider, rng).map((m) => {
          answers.push(m.answer);
          return { provider, m, model: `fz-${answers.length - 1}` };
        }),
      );
      const failures: string[] = [];
      await pool(jobs, 8, async ({ provider, m, model }) => {
        try {
          check(route, provider, m, await send(route, provider, model));
        } catch (err) {
          failures.push((err as Error).message);
        }
      });
      expect(failures.slice(0, 12)).toEqual([]);
      expect(gatewayErrors(logsBefore)).toEqual([]);
      expect(errors.seen).toEqual([]);
    }, 60_000);
  });

  test("afterwards, every route answers a valid upstream answer normally", async () => {
    for (const route of ROUTES) {
      for (const provider of Object.keys(PROVIDERS) as Provider[]) {
        const wire = route.wire(provider, route.stream);
        const valid: Answer = route.stream
          ? { contentType: CONTENT_TYPE[wire].stream, chunks: [wire === "bedrock" ? concat(bedrockEvents().map(encodeEvent)) : bytes(sseText(streamEvents(wire, "m"), wire))] }
          : { contentType: CONTENT_TYPE[wire].json, chunks: [bytes(JSON.stringify(wholeAnswer(wire, "m")))] };
        answers.push(valid);
        const r = await send(route, provider, `fz-${answers.length - 1}`);
        if (r.status !== 200) throw new Error(`${route.name} -> ${provider}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
        const problem = route.stream ? streamEnd(route, r.body) : wholeProblem(route, r.body);
        if (problem) throw new Error(`${route.name} -> ${provider}: ${problem}`);
        expect(r.body).toContain(route.stream ? "é😀中" : TEXT.join(""));
      }
    }
  });
});


