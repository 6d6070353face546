/**
 * One focused test per fault the robustness fuzzers (robustness-client / robustness-upstream)
 * found, over real HTTP where the fault was one: each failed before its fix (a 500, a crash of the
 * request, a credential or invalid JSON in an answer, a quadratic translation).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeEvent, ev } from "../emulators/bedrock.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { nestsDeeperThan } from "../../src/http/body.ts";
import { failureStatus } from "../../src/llm/hub/failure.ts";
import { exceptionStatus } from "../../src/llm/providers/bedrock/error.ts";
import { converseRequest } from "../../src/llm/providers/bedrock/request.ts";
import { googleError } from "../../src/llm/providers/gemini/error.ts";
import { toAnthropicRequest } from "../../src/llm/providers/anthropic/request.ts";
import { openaiFinish } from "../../src/llm/providers/openai/stream.ts";
import { readResponses } from "../../src/llm/formats/responses.ts";
import { errorMemberEvent } from "../../src/llm/stream/error-events.ts";
import { geminiFormat } from "../../src/llm/formats/gemini.ts";
import type { ChatRequest } from "../../src/llm/types.ts";
import { errorOf, sseData } from "./fuzz.ts";

const KEY = "sk-regress-backend-Zx81Qp4Lm";
const AWS = { accessKeyId: "AKIAREGRESSGATEWAY01", secretAccessKey: "regressSecret/Kq2Wm8Rt4Yp6Lk1Nv3Bx5Cd7Fg9" };

/** What the test upstream answers next, and what it was sent. */
let answer: (req: Request, body: string) => Response | Promise<Response> = () => new Response("no answer set", { status: 500 });
const sent: { path: string; headers: Headers; body: string }[] = [];
let upstream: ReturnType<typeof Bun.serve>;
let gw: TestGateway;

beforeAll(async () => {
  upstream = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = await req.text();
      sent.push({ path: new URL(req.url).pathname, headers: req.headers, body });
      return await answer(req, body);
    },
  });
  const host = `127.0.0.1:${upstream.port}`;
  const route = (name: string, provider: string, auth: string) => `
    - name: ${name}
      matches: [{headers: [{name: x-provider, value: {exact: ${name}}}]}]
      policies: {backendAuth: ${auth}}
      backends: [{ai: {name: ${name}, provider: ${provider}, hostOverride: "${host}"}}]`;
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:${route("openai", "{openAI: {}}", `{key: ${KEY}}`)}${route("anthropic", "{anthropic: {}}", `{key: ${KEY}}`)}${route("gemini", "{gemini: {}}", `{key: ${KEY}}`)}${route("bedrock", "{bedrock: {region: us-east-1}}", `{aws: {accessKeyId: ${AWS.accessKeyId}, secretAccessKey: "${AWS.secretAccessKey}", region: us-east-1}}`)}
`);
});

afterAll(async () => {
  await gw?.stop();
  upstream?.stop(true);
});

async function post(provider: string, path: string, body: string | Record<string, unknown>): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(`${gw.origin()}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-provider": provider, "anthropic-version": "2023-06-01" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const OPENAI_OK = () => Response.json({ id: "c", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } });
const GEMINI = (model = "gemini-2.5-flash") => `/v1beta/models/${model}:generateContent`;
const hi = [{ role: "user", content: "hi" }];

// ---------------------------------------------------------------------------------------------

describe("client bodies the gateway could not walk", () => {
  test("a body nested past what the translators recurse through is a 400 in the client's shape, not a 500", async () => {
    answer = OPENAI_OK;
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${"}".repeat(n)}`;
    // the Gemini reader walks tool schemas recursively: past ~20 000 levels the stack overflows
    const gemini = await post("openai", GEMINI(), `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"functionDeclarations":[{"name":"f","parameters":${deep(100_000)}}]}]}`);
    expect(gemini.status).toBe(400);
    expect(errorOf("gemini", gemini.text, 400)).toMatchObject({ message: "request body nests more than 1000 levels deep", status: "INVALID_ARGUMENT" });
    // ...and the Anthropic translator's JSON.stringify (JSC takes ~1.4 s to overflow there)
    const chat = await post("anthropic", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep(60_000)}}}]}`);
    expect(chat.status).toBe(400);
    expect(JSON.parse(chat.text).error).toMatchObject({ code: "invalid_request_body" });
    // a body of 4 KB or more is scanned when parsed: 2000 levels are refused before any translation
    // (re-serializing them would cost the square of the depth), 900 go through
    const deeper = await post("anthropic", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep(2000)}}}]}`);
    expect(deeper.status).toBe(400);
    expect(JSON.parse(deeper.text).error).toMatchObject({ message: "request body nests more than 1000 levels deep", code: "invalid_request_body" });
    // under 4 KB a body is not scanned: the deepest it can nest (~2000 levels) is still walked, never a 500
    const small = `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"a":${"[".repeat(1950)}${"]".repeat(1950)}}}}]}`;
    expect(small.length).toBeLessThan(4096);
    expect((await post("anthropic", "/v1/chat/completions", small)).status).not.toBe(500);
    const fine = await post("anthropic", "/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep(900)}}}]}`);
    expect(fine.status).not.toBe(400);
    expect(fine.status).not.toBe(500);
  }, 15_000);

  test("the depth scan skips brackets in strings and escaped quotes", () => {
    const bytes = (s: string) => new TextEncoder().encode(s);
    expect(nestsDeeperThan(bytes(`[${'"[[[[\\"[[["'.repeat(50)}]`), 2)).toBe(false);
    expect(nestsDeeperThan(bytes("[[[1]]]"), 2)).toBe(true);
    expect(nestsDeeperThan(bytes("[[1],[1],[1]]"), 2)).toBe(false);
  });

  test("null content parts and a non-list systemInstruction.parts are skipped (Gemini reader), not a 500", async () => {
    answer = OPENAI_OK;
    const res = await post("openai", GEMINI(), { contents: [{ role: "user", parts: [null, 5, { text: "hi" }] }, null, { role: "model", parts: [null] }], systemInstruction: { parts: 5 } });
    expect(res.status).toBe(200);
    expect(JSON.parse(sent.at(-1)!.body).messages).toEqual([{ role: "user", content: "hi" }]);
  });

  test("a null content block is skipped (Anthropic reader), not a 500", async () => {
    answer = OPENAI_OK;
    const res = await post("openai", "/v1/messages", { model: "m", max_tokens: 5, messages: [{ role: "user", content: [null, { type: "text", text: "hi" }] }] });
    expect(res.status).toBe(200);
    expect(JSON.parse(sent.at(-1)!.body).messages).toEqual([{ role: "user", content: [{ type: "text", text: "hi" }] }]);
  });

  test("tool_calls that is not a list is a 400 naming it (to Anthropic), not a 500", async () => {
    const res = await post("anthropic", "/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "hi" }, { role: "assistant", content: "x", tool_calls: 5 }] });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toMatchObject({ param: "messages[1].tool_calls", message: "'messages[1].tool_calls' must be an array" });
  });

  test("a model with a lone surrogate is a 400 invalid_model where the model goes in the upstream path", async () => {
    for (const provider of ["gemini", "bedrock"]) {
      const res = await post(provider, "/v1/chat/completions", `{"model":"m\\ud800","messages":[{"role":"user","content":"hi"}]}`);
      expect(res.status).toBe(400);
      expect(JSON.parse(res.text).error).toMatchObject({ code: "invalid_model", param: "model" });
    }
  });

  test("an image type named like an Object.prototype member is unsupported (Bedrock), not a table entry", () => {
    const image = { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/constructor;base64,AAAA" } }] };
    expect(() => converseRequest({ model: "m", messages: [image] }, {} as never, "anthropic.claude-3-haiku")).toThrow("image type image/constructor is not supported");
  });

  test("Titan embeddings of more than 2048 texts are a 400 before any upstream call", async () => {
    const before = sent.length;
    const res = await post("bedrock", "/v1/embeddings", { model: "amazon.titan-embed-text-v2:0", input: Array.from({ length: 2049 }, () => "x") });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toMatchObject({ param: "input" });
    expect(sent.length).toBe(before);
  });
});

describe("translations stay linear in the number of messages", () => {
  // each was quadratic: 20 000 messages took 0.5-1.4 s, 50 000 would take 4-9 s
  const N = 50_000;
  const timed = (f: () => void) => {
    const t0 = performance.now();
    f();
    return performance.now() - t0;
  };

  test("Anthropic: long runs of one role are merged in place", () => {
    const users: ChatRequest = { model: "m", messages: Array.from({ length: N }, () => ({ role: "user", content: [{ type: "text", text: "hi" }] })) };
    let out: Record<string, any> = {};
    expect(timed(() => (out = toAnthropicRequest(users, "m")))).toBeLessThan(1000);
    expect(out.messages).toHaveLength(1);
    expect(out.messages[0].content).toHaveLength(N);
  });

  test("Bedrock: tool results go first in a user turn without an insert per result", () => {
    const calls = Array.from({ length: N }, (_, i) => ({ id: `c${i}`, type: "function", function: { name: "f", arguments: "{}" } }));
    const req: ChatRequest = {
      model: "m",
      messages: [{ role: "user", content: "go" }, { role: "assistant", content: null, tool_calls: calls }, { role: "user", content: "first" }, ...calls.map((c) => ({ role: "tool", tool_call_id: c.id, content: "r" })), { role: "user", content: "last" }],
    };
    let body = "";
    expect(timed(() => (body = converseRequest(req, {} as never, "anthropic.claude-3-haiku").body))).toBeLessThan(1000);
    const turn = JSON.parse(body).messages[2].content as Record<string, any>[];
    // the results in order, then the user's own text in order
    expect(turn).toHaveLength(N + 2);
    expect(turn.slice(0, N).every((b, i) => b.toolResult?.toolUseId === `c${i}`)).toBe(true);
    expect(turn.slice(N)).toEqual([{ text: "first" }, { text: "last" }]);
  });

  test("Responses and Gemini readers: many calls in one turn", () => {
    const input = Array.from({ length: N }, (_, i) => ({ type: "function_call", call_id: `c${i}`, name: "f", arguments: "{}" }));
    let calls = 0;
    expect(timed(() => (calls = (readResponses({ model: "m", input }).request.messages[0]!.tool_calls ?? []).length))).toBeLessThan(1000);
    expect(calls).toBe(N);
    const parts = Array.from({ length: N }, () => ({ functionCall: { name: "f", args: {} } }));
    const from = { path: GEMINI(), query: "", headers: new Headers() };
    expect(timed(() => geminiFormat.read({ contents: [{ role: "user", parts: [{ text: "x" }] }, { role: "model", parts }] }, from))).toBeLessThan(1000);
  });
});

describe("upstream answers that were relayed or read wrongly", () => {
  test("a provider error quoting the gateway's credential is redacted on native passthrough routes too", async () => {
    answer = (req) => Response.json({ type: "error", error: { type: "authentication_error", message: `invalid x-api-key: ${req.headers.get("x-api-key")}` } }, { status: 401 });
    const res = await post("anthropic", "/v1/messages", { model: "m", max_tokens: 5, messages: hi });
    expect(res.status).toBe(401);
    expect(res.text).not.toContain(KEY);
    expect(JSON.parse(res.text)).toEqual({ type: "error", error: { type: "authentication_error", message: "invalid x-api-key: [redacted]" } });
    // an error quoting a long input is relayed whole (still JSON)
    answer = () => Response.json({ type: "error", error: { type: "invalid_request_error", message: `bad: ${"é".repeat(1_500_000)}` } }, { status: 400 });
    const long = await post("anthropic", "/v1/messages", { model: "m", max_tokens: 5, messages: hi });
    expect(long.status).toBe(400);
    expect(JSON.parse(long.text).error.message).toHaveLength(1_500_005);
  });

  test("an OpenAI-format answer that is JSON but no chat completion (or embedding list) is a 502, not a 200", async () => {
    for (const body of ["null", "[]", '"x"', '{"choices":"x"}', "{}"]) {
      answer = () => new Response(body, { headers: { "content-type": "application/json" } });
      const res = await post("openai", "/v1/chat/completions", { model: "m", messages: hi });
      expect(res.status).toBe(502);
      expect(JSON.parse(res.text).error).toMatchObject({ code: "upstream_invalid_response" });
    }
    answer = () => Response.json({ object: "list" });
    const emb = await post("openai", "/v1/embeddings", { model: "m", input: "x" });
    expect(emb.status).toBe(502);
  });

  test("a whole native answer cut mid-body is a 502 in the client's shape, not a reset after a 200", async () => {
    answer = () =>
      new Response(
        new ReadableStream({
          async pull(c) {
            c.enqueue(new TextEncoder().encode('{"id":"msg_1","type":"message","content":[{"type":"te'));
            await Bun.sleep(5);
            c.error(new Error("regression: connection cut"));
          },
        }),
        { headers: { "content-type": "application/json" } },
      );
    const res = await post("anthropic", "/v1/messages", { model: "m", max_tokens: 5, messages: hi });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ type: "error", error: { type: "api_error", message: "upstream connection failed while sending its answer" } });
  });

  test("an event a translator cannot read ends the stream as an invalid event, not as a broken connection", async () => {
    const text = (t: string) => `data: {"candidates":[{"content":{"role":"model","parts":[{"text":"${t}"}]},"index":0}]}\r\n\r\n`;
    answer = () => new Response(`${text("Hello")}data: null\r\n\r\n${text("more")}`, { headers: { "content-type": "text/event-stream" } });
    const res = await post("gemini", "/v1/chat/completions", { model: "gemini-2.5-flash", messages: hi, stream: true });
    expect(res.status).toBe(200);
    const last = JSON.parse(sseData(res.text).at(-1)!);
    expect(last.error).toMatchObject({ code: "upstream_invalid_event", message: "upstream sent a stream the gateway could not read" });
  });

  test("a Bedrock tool call with no input is `args: {}` for a Gemini client, never an empty value", async () => {
    const frames = [ev.start(), ev.toolStart(0, "tooluse_1", "f"), ev.blockStop(0), ev.stop("tool_use"), ev.metadata({ inputTokens: 1, outputTokens: 1 })].map(encodeEvent);
    answer = () => new Response(new Blob(frames), { headers: { "content-type": "application/vnd.amazon.eventstream" } });
    const res = await post("bedrock", "/v1beta/models/m:streamGenerateContent?alt=sse", { contents: [{ role: "user", parts: [{ text: "hi" }] }] });
    expect(res.status).toBe(200);
    const events = sseData(res.text).map((d) => JSON.parse(d));
    expect(events.flatMap((e) => e.candidates?.[0]?.content?.parts ?? []).find((p: any) => p.functionCall)?.functionCall).toEqual({ name: "f", args: {}, id: "tooluse_1" });
  });

  test("Object.prototype's names as providers' enum values are unknown values, not table entries", async () => {
    expect(openaiFinish("constructor")).toBe("stop");
    expect(errorMemberEvent(undefined, { error: { type: "constructor", message: "x" } }, "")!.failure.status).toBeUndefined();
    expect(exceptionStatus("__proto__")).toBe(500);
    expect(exceptionStatus("toString")).toBe(500);
    expect(googleError(500, { error: { code: 500, message: "x", status: "__proto__" } }).type).toBe("api_error");
    // over HTTP: an OpenAI stream's error event of type `constructor` (its status looked up by type)
    answer = () => new Response('data: {"error":{"message":"x","type":"constructor","code":"constructor"}}\n\n', { headers: { "content-type": "text/event-stream" } });
    const res = await post("openai", "/v1/messages", { model: "m", max_tokens: 5, messages: hi, stream: true });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.text)).toEqual({ type: "error", error: { type: "api_error", message: "x" } });
  });

  test("a model failure mid-stream (Bedrock's 424) is the server side's in every client's error types", async () => {
    const frames = [ev.start(), ev.text(0, "Hel"), { exception: "modelStreamErrorException", message: "model failed" }].map(encodeEvent);
    answer = () => new Response(new Blob(frames), { headers: { "content-type": "application/vnd.amazon.eventstream" } });
    const messages = await post("bedrock", "/v1/messages", { model: "m", max_tokens: 5, messages: hi, stream: true });
    expect(JSON.parse(sseData(messages.text).at(-1)!)).toEqual({ type: "error", error: { type: "api_error", message: "model failed" } });
    const gemini = await post("bedrock", "/v1beta/models/m:streamGenerateContent?alt=sse", { contents: [{ role: "user", parts: [{ text: "hi" }] }] });
    expect(JSON.parse(sseData(gemini.text).at(-1)!)).toEqual({ error: { code: 424, message: "model failed", status: "INTERNAL" } });
  });

  test("a failure's status is an error status whatever number the provider named", () => {
    for (const status of [0, 200, 302, 600, 1.5, Number.NaN]) expect(failureStatus({ kind: "provider", message: "x", status })).toBe(502);
    expect(failureStatus({ kind: "provider", message: "x", status: 429 })).toBe(429);
  });
});
