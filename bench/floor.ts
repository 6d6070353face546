/**
 * The floor of a translating Bun proxy: the least code that can turn an Anthropic Messages
 * stream into OpenAI chat-completion chunks, with none of the gateway (no config, routing,
 * policies, hub, telemetry, error handling or keep-alive). It reads the client's JSON, sends a
 * Messages request, and for each upstream read splits the SSE events, parses each `data:` line and
 * writes an OpenAI chunk for text deltas (a role chunk first, a finish chunk and [DONE] last),
 * through a direct stream. `bun run bench --floor` runs it in the gateway's place, so the table
 * says how far from the bare proxy any Bun translator is on this machine: the gateway's
 * translated-stream figures are read against this floor, not only against the bare proxy.
 *
 * With `--tap` it is the floor of a proxy that must read an OpenAI stream to find its usage (what
 * the gateway does whenever the access log, a metric or a limit wants tokens): the same request
 * forwarded, each upstream read searched for `"usage":` with one native substring search and
 * written on through a direct stream. Reading a fetch body in JavaScript at all ends Bun's native
 * pipe, so this, not the bare proxy, is what a usage-reading passthrough can reach.
 *
 * With `--guard` it is the floor of a proxy that masks an OpenAI stream as it passes (what a
 * regex response guard with `streaming: Enabled` must do): each event's `delta.content` literal is
 * cut out of the text, pushed through the gateway's own incremental masker (the algorithm the
 * guard needs, src/llm/guard/regex.ts, with the bench's four builtins), and the event is written
 * again with what may go out now (held text goes out before the finish event); a read whose
 * events all pass unchanged goes on as its own bytes. (Working on the bytes instead, decoding
 * only each literal, measured slower: 0.59x of the tap floor against 0.71x.)
 *
 * With `--to-anthropic` it is the floor of the other direction (an Anthropic Messages client,
 * Claude Code, on an OpenAI-format upstream): the Messages request sent on as a chat request, and
 * each OpenAI chunk parsed and written as Anthropic events (`message_start` and the block's start
 * first; a `content_block_delta` per text delta; the block's stop, `message_delta` with the stop
 * reason and usage, and `message_stop` last).
 *
 * With `--gemini` it is the floor of the Gemini path: the chat request sent on as a
 * `streamGenerateContent?alt=sse` request, and each Gemini event (`data: {...}` with
 * `candidates[0].content.parts[].text`, `finishReason`, `usageMetadata`) written as an OpenAI
 * chunk. Gemini's first event already carries text, so the answer's first token goes out with
 * the stream's start: what a Bun program pays to start a streamed answer is on its path.
 *
 * With `--bedrock` it is the floor of the Bedrock path: the chat request sent on as a ConverseStream
 * request, SigV4-signed (with the gateway's own signer, src/auth/aws-sign.ts: signing is work any
 * gateway must do here, about 5 µs a signature in a loop), and the binary event stream decoded (both
 * CRCs checked, the `:event-type` header read, each payload parsed) and written as OpenAI chunks.
 *
 * With `--json` it is the floor of a gateway's JSON exchange: the client's body parsed (a gateway
 * routes on its `model`), sent on, the answer read whole and parsed (its `usage` is what the log,
 * metrics and limits count), and returned.
 *
 *   bun bench/floor.ts --port 4030 --upstream http://127.0.0.1:4010 [--tap | --guard | --to-anthropic | --gemini | --bedrock | --json]
 */
import { signingKeyCache, signRequest } from "../src/auth/aws-sign.ts";
import { builtinRule, StreamMasker } from "../src/llm/guard/regex.ts";
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const upstream = arg("--upstream") ?? "http://127.0.0.1:4010";
const dec = new TextDecoder();

const chunk = (id: string, model: string, created: number, delta: string, finish: string | null) =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":${created},"model":"${model}","choices":[{"index":0,"delta":${delta},"finish_reason":${finish === null ? "null" : `"${finish}"`}}]}\n\n`;

/** Anthropic SSE bytes -> OpenAI chunk text, event by event. */
function translator(model: string) {
  let buffer = "";
  let id = "chatcmpl-floor";
  const created = Math.floor(Date.now() / 1000);
  return (bytes: Uint8Array | undefined): string => {
    buffer += bytes ? dec.decode(bytes, { stream: true }) : "";
    let out = "";
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const at = event.indexOf("data: ");
      if (at === -1) continue;
      const data = JSON.parse(event.slice(at + 6)) as { type: string; message?: { id: string }; delta?: { type?: string; text?: string; stop_reason?: string } };
      if (data.type === "message_start") {
        id = data.message!.id;
        out += chunk(id, model, created, `{"role":"assistant","content":""}`, null);
      } else if (data.type === "content_block_delta" && data.delta?.type === "text_delta") {
        out += chunk(id, model, created, `{"content":${JSON.stringify(data.delta.text)}}`, null);
      } else if (data.type === "message_delta") {
        out += chunk(id, model, created, "{}", data.delta?.stop_reason === "max_tokens" ? "length" : "stop");
      } else if (data.type === "message_stop") {
        out += "data: [DONE]\n\n";
      }
    }
    return out;
  };
}

/** Gemini SSE bytes (`data: {...}` events ending in CRLF CRLF, as Google frames them) -> OpenAI chunk text, event by event. */
function fromGemini(model: string) {
  let buffer = "";
  let started = false;
  const id = "chatcmpl-floor";
  const created = Math.floor(Date.now() / 1000);
  return (bytes: Uint8Array | undefined): string => {
    buffer += bytes ? dec.decode(bytes, { stream: true }) : "";
    let out = "";
    let end: number;
    while ((end = buffer.indexOf("\r\n\r\n")) !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 4);
      const at = event.indexOf("data: ");
      if (at === -1) continue;
      const data = JSON.parse(event.slice(at + 6)) as { candidates?: { content?: { parts?: { text?: string }[] }; finishReason?: string }[] };
      const c = data.candidates?.[0];
      if (!started) {
        started = true;
        out += chunk(id, model, created, `{"role":"assistant","content":""}`, null);
      }
      const text = c?.content?.parts?.map((p) => p.text ?? "").join("") ?? "";
      if (text) out += chunk(id, model, created, `{"content":${JSON.stringify(text)}}`, null);
      if (c?.finishReason) out += chunk(id, model, created, "{}", c.finishReason === "MAX_TOKENS" ? "length" : "stop");
    }
    if (!bytes) out += "data: [DONE]\n\n";
    return out;
  };
}

/** An OpenAI chat stream answered from Gemini's native streaming endpoint. */
async function gemini(req: Request): Promise<Response> {
  const body = (await req.json()) as { model: string; messages: { role: string; content: string }[] };
  const contents = body.messages.map((m) => ({ role: m.role === "assistant" ? "model" : "user", parts: [{ text: m.content }] }));
  const res = await fetch(`${upstream}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-goog-api-key": "bench-key" },
    body: JSON.stringify({ contents }),
  });
  return relay(res, fromGemini(body.model));
}

/** AWS event-stream bytes (ConverseStream) -> OpenAI chunk text, message by message, both CRCs checked. */
function fromBedrock(model: string) {
  let held = new Uint8Array(0);
  const id = "chatcmpl-floor";
  const created = Math.floor(Date.now() / 1000);
  const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  return (bytes: Uint8Array | undefined): string => {
    if (!bytes) return "";
    let b = bytes;
    if (held.byteLength > 0) {
      b = new Uint8Array(held.byteLength + bytes.byteLength);
      b.set(held);
      b.set(bytes, held.byteLength);
    }
    let out = "";
    let off = 0;
    while (b.byteLength - off >= 12) {
      const total = u32(b, off);
      const headersEnd = off + 12 + u32(b, off + 4);
      const prelude = Bun.hash.crc32(b.subarray(off, off + 8));
      if (prelude !== u32(b, off + 8)) throw new Error("prelude checksum");
      if (b.byteLength - off < total) break;
      const crcAt = off + total - 4;
      if (Bun.hash.crc32(b.subarray(off + 8, crcAt), prelude) !== u32(b, crcAt)) throw new Error("message checksum");
      // the headers: name_len u8, name, type u8 (7: string), len u16, value
      let type = "";
      for (let p = off + 12; p < headersEnd; ) {
        const name = dec.decode(b.subarray(p + 1, p + 1 + b[p]!));
        p += 1 + b[p]! + 1;
        const len = (b[p]! << 8) | b[p + 1]!;
        if (name === ":event-type") type = dec.decode(b.subarray(p + 2, p + 2 + len));
        p += 2 + len;
      }
      const data = JSON.parse(dec.decode(b.subarray(headersEnd, crcAt))) as { delta?: { text?: string }; stopReason?: string };
      if (type === "messageStart") out += chunk(id, model, created, `{"role":"assistant","content":""}`, null);
      else if (type === "contentBlockDelta" && data.delta?.text) out += chunk(id, model, created, `{"content":${JSON.stringify(data.delta.text)}}`, null);
      else if (type === "messageStop") out += chunk(id, model, created, "{}", data.stopReason === "max_tokens" ? "length" : "stop");
      else if (type === "metadata") out += "data: [DONE]\n\n";
      off += total;
    }
    held = b.slice(off);
    return out;
  };
}

const BEDROCK_MODEL = encodeURIComponent("us.anthropic.claude-sonnet-4-20250514-v1:0");
const BEDROCK_CREDENTIALS = { accessKeyId: "AKIDBENCHEXAMPLE", secretAccessKey: "benchSecretKeyExample" };
const signingKeys = signingKeyCache();

/** An OpenAI chat stream answered from Bedrock's ConverseStream, the request signed. */
async function bedrock(req: Request): Promise<Response> {
  const body = (await req.json()) as { model: string; messages: { role: string; content: string }[] };
  const messages = body.messages.map((m) => ({ role: m.role === "assistant" ? "assistant" : "user", content: [{ text: m.content }] }));
  const signed = {
    url: new URL(`${upstream}/model/${BEDROCK_MODEL}/converse-stream`),
    method: "POST",
    headers: new Headers({ "content-type": "application/json" }),
    body: JSON.stringify({ messages, inferenceConfig: { maxTokens: 4096 } }),
  };
  void signRequest(signed, BEDROCK_CREDENTIALS, "us-east-1", "bedrock", signingKeys);
  const res = await fetch(signed.url, { method: "POST", headers: signed.headers, body: signed.body });
  return relay(res, fromBedrock(body.model));
}

/** A chat-completions request to the upstream (the modes that read an OpenAI-format answer). */
const openaiCall = (body: string | ArrayBuffer) =>
  fetch(`${upstream}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-bench" }, body });

/** The upstream's body through `step` (called once more with undefined at the end), written as it comes through a direct stream. */
function relay(res: Response, step: (read: Uint8Array | undefined) => string | Uint8Array, opts: { flush?: boolean } = {}): Response {
  const reader = res.body!.getReader();
  return new Response(
    new ReadableStream({
      type: "direct",
      async pull(controller) {
        for (;;) {
          const { done, value } = await reader.read();
          const out = step(done ? undefined : value);
          if (out.length > 0) {
            controller.write(out);
            if (opts.flush) controller.flush();
          }
          if (done) return controller.close();
        }
      },
    }),
    { status: res.status, headers: { "content-type": "text/event-stream" } },
  );
}

const USAGE = Buffer.from('"usage":');

/** OpenAI stream in, the same bytes out, each read searched for the usage event. */
async function tap(req: Request): Promise<Response> {
  let usageSeen = false;
  return relay(await openaiCall(await req.arrayBuffer()), (read) => {
    if (!read) return "";
    if (!usageSeen) usageSeen = Buffer.from(read.buffer, read.byteOffset, read.byteLength).indexOf(USAGE) !== -1;
    return read;
  });
}

const CONTENT = '"content":"';
const FINISH = '"finish_reason":"';

/** OpenAI SSE bytes -> the same events with their content masked, event by event. */
function masker() {
  const m = new StreamMasker((["creditCard", "email", "ssn", "phoneNumber"] as const).map(builtinRule));
  let buffer = "";
  let template = "";
  const rewrite = (text: string) => template.replace("\u0000", JSON.stringify(text).slice(1, -1));
  return (bytes: Uint8Array): string | Uint8Array => {
    const whole = buffer === "";
    buffer += dec.decode(bytes, { stream: true });
    let out = "";
    let same = true;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const event = buffer.slice(0, end + 2);
      buffer = buffer.slice(end + 2);
      const at = event.indexOf(CONTENT);
      if (at === -1) {
        // a finish, [DONE] or usage event: what is held goes out first
        const held = event.includes(FINISH) || event.includes("[DONE]") ? m.flush() : "";
        if (held) {
          out += rewrite(held);
          same = false;
        }
        out += event;
        continue;
      }
      const from = at + CONTENT.length;
      let to = from;
      while (event.charCodeAt(to) !== 34) to += event.charCodeAt(to) === 92 ? 2 : 1;
      const raw = event.slice(from, to);
      const text = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
      const masked = m.push(text);
      template = `${event.slice(0, from)}\u0000${event.slice(to)}`;
      if (masked === text) out += event;
      else {
        out += rewrite(masked);
        same = false;
      }
    }
    // nothing changed in a read of whole events: its own bytes go on, not a re-encoded copy
    return same && whole && buffer === "" ? bytes : out;
  };
}

/** OpenAI stream in, its answer text masked as it passes. */
async function guard(req: Request): Promise<Response> {
  const mask = masker();
  return relay(await openaiCall(await req.arrayBuffer()), (read) => (read ? mask(read) : ""));
}

const event = (type: string, data: string) => `event: ${type}\ndata: ${data}\n\n`;

/** OpenAI SSE bytes -> Anthropic Messages events, event by event. */
function toAnthropic(model: string) {
  let buffer = "";
  let started = false;
  let stop = "end_turn";
  let outputTokens = 0;
  return (bytes: Uint8Array): string => {
    buffer += dec.decode(bytes, { stream: true });
    let out = "";
    let end: number;
    while ((end = buffer.indexOf("\n\n")) !== -1) {
      const data = buffer.slice(buffer.indexOf("data: ") + 6, end);
      buffer = buffer.slice(end + 2);
      if (data === "[DONE]") {
        out += event("message_delta", `{"type":"message_delta","delta":{"stop_reason":"${stop}","stop_sequence":null},"usage":{"output_tokens":${outputTokens}}}`);
        out += event("message_stop", `{"type":"message_stop"}`);
        continue;
      }
      const c = JSON.parse(data) as { id: string; choices: { delta?: { content?: string }; finish_reason?: string | null }[]; usage?: { prompt_tokens: number; completion_tokens: number } | null };
      if (!started) {
        started = true;
        out += event("message_start", `{"type":"message_start","message":{"id":"msg_${c.id}","type":"message","role":"assistant","model":"${model}","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`);
        out += event("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`);
      }
      const choice = c.choices[0];
      const text = choice?.delta?.content;
      if (text) out += event("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}`);
      if (choice?.finish_reason) {
        stop = choice.finish_reason === "length" ? "max_tokens" : "end_turn";
        out += event("content_block_stop", `{"type":"content_block_stop","index":0}`);
      }
      if (c.usage) outputTokens = c.usage.completion_tokens;
    }
    return out;
  };
}

/** An Anthropic Messages stream answered from an OpenAI-format upstream. */
async function anthropicClient(req: Request): Promise<Response> {
  const body = (await req.json()) as { model: string; max_tokens: number; messages: unknown[] };
  const res = await openaiCall(JSON.stringify({ model: "gpt-4o-mini", max_tokens: body.max_tokens, messages: body.messages, stream: true, stream_options: { include_usage: true } }));
  const translate = toAnthropic(body.model);
  return relay(res, (read) => (read ? translate(read) : ""));
}

/** A chat request answered in JSON: routed on its model, its usage read. */
async function json(req: Request): Promise<Response> {
  const body = await req.text();
  const model = (JSON.parse(body) as { model?: unknown }).model;
  if (typeof model !== "string") return Response.json({ error: { message: "model?" } }, { status: 400 });
  const res = await openaiCall(body);
  const text = await res.text();
  const usage = (JSON.parse(text) as { usage?: { total_tokens?: number } }).usage;
  return new Response(text, { status: res.status, headers: { "content-type": "application/json", "x-tokens": String(usage?.total_tokens ?? 0) } });
}

const TAP = process.argv.includes("--tap");
const JSON_MODE = process.argv.includes("--json");
const TO_ANTHROPIC = process.argv.includes("--to-anthropic");
const GUARD = process.argv.includes("--guard");
const GEMINI = process.argv.includes("--gemini");
const BEDROCK = process.argv.includes("--bedrock");

const server = Bun.serve({
  port: Number(arg("--port") ?? 4030),
  hostname: "127.0.0.1",
  async fetch(req) {
    if (JSON_MODE) return json(req);
    if (TAP) return tap(req);
    if (GUARD) return guard(req);
    if (TO_ANTHROPIC) return anthropicClient(req);
    if (GEMINI) return gemini(req);
    if (BEDROCK) return bedrock(req);
    const body = (await req.json()) as { model: string; messages: unknown[]; stream?: boolean };
    const res = await fetch(`${upstream}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: body.model, max_tokens: 4096, messages: body.messages, stream: true }),
    });
    return relay(res, translator(body.model), { flush: true });
  },
});
console.log(`floor translator on http://127.0.0.1:${server.port} -> ${upstream}`);
