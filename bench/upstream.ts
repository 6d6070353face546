/**
 * A fast OpenAI-emulating upstream: chat completions (JSON and SSE, with an optional delay
 * between chunks), tool calls when tools are offered, embeddings and the model list. The bench
 * and the offline demo run the gateway in front of it; tests build on it too.
 *
 *   bun bench/upstream.ts [--port 4010] [--chunks 20] [--delay-ms 0]
 */

export interface UpstreamOptions {
  /** content deltas in a streamed answer */
  chunks: number;
  /** milliseconds between streamed chunks (0 = as fast as possible) */
  delayMs: number;
  /** words in a non-streamed answer (default: `chunks`) */
  jsonWords?: number;
}

const encoder = new TextEncoder();
const CREATED = 1_764_000_000;

const STORY =
  "Once upon a time a small gateway stood between many applications and many models. " +
  "Every request it received it carried faithfully, translating each word without losing one, " +
  "and every answer streamed back to its caller as soon as it arrived. ";

interface ChatBody {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  messages?: { role: string; content?: unknown }[];
  tools?: { type: string; function: { name: string; parameters?: { properties?: Record<string, { type?: string }>; required?: string[] } } }[];
}

function lastUserText(body: ChatBody): string {
  const m = [...(body.messages ?? [])].reverse().find((x) => x.role === "user");
  if (!m) return "";
  if (typeof m.content === "string") return m.content;
  if (Array.isArray(m.content)) return m.content.map((p: { text?: string }) => p.text ?? "").join(" ");
  return "";
}

/** A reply that reads like one: a story when asked for one, a greeting otherwise. */
function answerText(body: ChatBody, words: number): string[] {
  const prompt = lastUserText(body);
  const source = /story/i.test(prompt) ? STORY.repeat(1 + Math.ceil(words / 40)) : `Hello! You said: "${prompt}". I am an emulated model answering through the gateway. ${STORY}`;
  const tokens = source.split(/(?<= )/).filter((t) => t !== "");
  return tokens.slice(0, Math.max(1, words));
}

/** Tool arguments filled from the prompt: string properties get its first capitalised word. */
function toolArguments(body: ChatBody): { name: string; args: string } | undefined {
  const tool = body.tools?.find((t) => t.type === "function");
  if (!tool) return undefined;
  const prompt = lastUserText(body);
  const word = /\b([A-Z][a-z]+)\b(?=[^A-Z]*$)/.exec(prompt.replace(/^What/, ""))?.[1] ?? "Boston";
  const args: Record<string, unknown> = {};
  for (const key of tool.function.parameters?.required ?? Object.keys(tool.function.parameters?.properties ?? {})) {
    const type = tool.function.parameters?.properties?.[key]?.type;
    args[key] = type === "number" || type === "integer" ? 1 : type === "boolean" ? true : word;
  }
  return { name: tool.function.name, args: JSON.stringify(args) };
}

function usageOf(prompt: number, completion: number) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function chatJson(body: ChatBody, opts: UpstreamOptions): string {
  const model = body.model ?? "gpt-4o-mini";
  const call = toolArguments(body);
  const promptTokens = Math.max(1, Math.round(JSON.stringify(body.messages ?? []).length / 4));
  if (call) {
    return JSON.stringify({
      id: "chatcmpl-emu-1",
      object: "chat.completion",
      created: CREATED,
      model,
      choices: [
        {
          index: 0,
          message: { role: "assistant", content: null, refusal: null, tool_calls: [{ id: "call_emu_1", type: "function", function: { name: call.name, arguments: call.args } }] },
          logprobs: null,
          finish_reason: "tool_calls",
        },
      ],
      usage: usageOf(promptTokens, 12),
    });
  }
  const words = answerText(body, opts.jsonWords ?? opts.chunks);
  return JSON.stringify({
    id: "chatcmpl-emu-1",
    object: "chat.completion",
    created: CREATED,
    model,
    system_fingerprint: "fp_emu",
    choices: [{ index: 0, message: { role: "assistant", content: words.join("").trim(), refusal: null }, logprobs: null, finish_reason: "stop" }],
    usage: usageOf(promptTokens, words.length),
  });
}

/** The SSE frames of a streamed answer, exactly as OpenAI frames them. */
export function chatStreamFrames(body: ChatBody, opts: UpstreamOptions): string[] {
  const model = body.model ?? "gpt-4o-mini";
  const base = `{"id":"chatcmpl-emu-1","object":"chat.completion.chunk","created":${CREATED},"model":${JSON.stringify(model)},"system_fingerprint":"fp_emu","choices":`;
  const withUsage = body.stream_options?.include_usage === true;
  const tail = withUsage ? `,"usage":null}` : "}";
  const frame = (choice: unknown) => `data: ${base}[${JSON.stringify(choice)}]${tail}\n\n`;
  const frames: string[] = [];
  const call = toolArguments(body);
  let completion = 0;
  if (call) {
    frames.push(frame({ index: 0, delta: { role: "assistant", content: null, tool_calls: [{ index: 0, id: "call_emu_1", type: "function", function: { name: call.name, arguments: "" } }] }, logprobs: null, finish_reason: null }));
    for (const piece of call.args.match(/.{1,8}/g) ?? []) {
      frames.push(frame({ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: piece } }] }, logprobs: null, finish_reason: null }));
      completion++;
    }
    frames.push(frame({ index: 0, delta: {}, logprobs: null, finish_reason: "tool_calls" }));
  } else {
    frames.push(frame({ index: 0, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }));
    for (const word of answerText(body, opts.chunks)) {
      frames.push(frame({ index: 0, delta: { content: word }, logprobs: null, finish_reason: null }));
      completion++;
    }
    frames.push(frame({ index: 0, delta: {}, logprobs: null, finish_reason: "stop" }));
  }
  if (withUsage) {
    const prompt = Math.max(1, Math.round(JSON.stringify(body.messages ?? []).length / 4));
    frames.push(`data: ${base}[],"usage":${JSON.stringify(usageOf(prompt, completion))}}\n\n`);
  }
  frames.push("data: [DONE]\n\n");
  return frames;
}

/** Deterministic unit vectors, so the same input always embeds the same. */
function embedding(text: string, dims: number): number[] {
  let seed = Number(Bun.hash(text) & 0xffffffffn) || 1;
  const v: number[] = [];
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    const x = seed / 0xffffffff - 0.5;
    v.push(x);
    norm += x * x;
  }
  const n = Math.sqrt(norm);
  return v.map((x) => Math.round((x / n) * 1e6) / 1e6);
}

function embeddingsJson(body: { model?: string; input?: unknown; dimensions?: number; encoding_format?: string }): string {
  const inputs = Array.isArray(body.input) ? body.input : [body.input];
  const dims = body.dimensions ?? 1536;
  const data = inputs.map((input, index) => {
    const vec = embedding(String(input), dims);
    const value = body.encoding_format === "base64" ? Buffer.from(new Float32Array(vec).buffer).toString("base64") : vec;
    return { object: "embedding", index, embedding: value };
  });
  const tokens = inputs.reduce((n: number, i) => n + Math.max(1, Math.round(String(i).length / 4)), 0);
  return JSON.stringify({ object: "list", data, model: body.model ?? "text-embedding-3-small", usage: { prompt_tokens: tokens, total_tokens: tokens } });
}

const MODELS = JSON.stringify({
  object: "list",
  data: ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small"].map((id) => ({ id, object: "model", created: CREATED, owned_by: "emulator" })),
});

const SSE_HEADERS = { "content-type": "text/event-stream" };

/**
 * A streamed answer made of `frames`: sent in one write when `delayMs` is 0 (`whole`, if given,
 * is that write, precomputed), else one frame per write, `delayMs` apart. Shared by every
 * provider scenario's emulator.
 */
export function framedResponse(
  frames: readonly (string | Uint8Array)[],
  delayMs: number,
  headers: Record<string, string> = SSE_HEADERS,
  whole?: string | Uint8Array,
): Response {
  if (delayMs <= 0) return new Response(whole ?? joinFrames(frames), { headers });
  let i = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i > 0) await Bun.sleep(delayMs);
      const f = frames[i++]!;
      controller.enqueue(typeof f === "string" ? encoder.encode(f) : f);
      if (i === frames.length) controller.close();
    },
  });
  return new Response(stream, { headers });
}

/** All frames as one body. */
export function joinFrames(frames: readonly (string | Uint8Array)[]): string | Uint8Array {
  if (frames.every((f) => typeof f === "string")) return frames.join("");
  const bytes = frames.map((f) => (typeof f === "string" ? encoder.encode(f) : f));
  const out = new Uint8Array(bytes.reduce((n, b) => n + b.byteLength, 0));
  bytes.reduce((at, b) => (out.set(b, at), at + b.byteLength), 0);
  return out;
}

const JSON_HEADERS = { "content-type": "application/json" };

/** The upstream's request handler. Answers to identical bodies are memoised (the bench repeats one). */
export function openaiUpstream(opts: UpstreamOptions): (req: Request) => Promise<Response> {
  const cache = new Map<string, string | string[]>();
  return async (req) => {
    const url = req.url;
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2)).split("?")[0]!;
    if (req.method === "GET" && path.endsWith("/models")) return new Response(MODELS, { headers: JSON_HEADERS });
    if (req.method !== "POST") return Response.json({ error: { message: `no route ${req.method} ${path}`, type: "invalid_request_error", param: null, code: null } }, { status: 404 });
    const text = await req.text();
    const key = `${path}\n${text}`;
    let answer = cache.get(key);
    if (answer === undefined) {
      let body: ChatBody;
      try {
        body = JSON.parse(text);
      } catch {
        return Response.json({ error: { message: "We could not parse the JSON body of your request.", type: "invalid_request_error", param: null, code: null } }, { status: 400 });
      }
      if (path.endsWith("/embeddings")) answer = embeddingsJson(body as never);
      else if (path.endsWith("/chat/completions")) answer = body.stream ? chatStreamFrames(body, opts) : chatJson(body, opts);
      else return Response.json({ error: { message: `Invalid URL (POST ${path})`, type: "invalid_request_error", param: null, code: null } }, { status: 404 });
      if (cache.size < 1000) cache.set(key, answer);
    }
    return typeof answer === "string" ? new Response(answer, { headers: JSON_HEADERS }) : framedResponse(answer, opts.delayMs);
  };
}

if (import.meta.main) {
  const arg = (name: string, dflt: number) => {
    const i = process.argv.indexOf(name);
    return i === -1 ? dflt : Number(process.argv[i + 1]);
  };
  const server = Bun.serve({
    port: arg("--port", 4010),
    hostname: "127.0.0.1",
    fetch: openaiUpstream({ chunks: arg("--chunks", 20), delayMs: arg("--delay-ms", 0) }),
  });
  console.log(`OpenAI emulator on http://127.0.0.1:${server.port}`);
}
