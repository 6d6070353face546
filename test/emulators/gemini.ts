/**
 * A Gemini upstream for tests, speaking both Google front doors of the generateContent API:
 *   AI Studio  /v1beta/models/{m}:generateContent | :streamGenerateContent  (key in x-goog-api-key)
 *   Vertex     /v1/projects/{p}/locations/{l}/publishers/google/models/{m}:...  (OAuth bearer)
 * plus embeddings (`:batchEmbedContents`, `:embedContent`, Vertex `:predict`) and the AI Studio
 * model list. Answers come from scripts: a list of `GenerateContentResponse` events, streamed as
 * `data: {...}\r\n\r\n` with `?alt=sse` (as Google does), as one JSON array without it, or merged
 * into one response for `:generateContent`. Built on the shared scripted-upstream API
 * (scripted.ts): every request is recorded (its path decoded), and answers come from
 * `script(fn)`, then `enqueue(...)`, then a short greeting.
 *
 * Like the real API it rejects what Gemini rejects and the gateway must never send: unknown
 * auth, empty contents or parts, a Gemini 3 function call replayed without its thought
 * signature, and (on Vertex) function call ids. Thought signatures are checked as Gemini checks
 * them: the field is bytes, so a value that is not base64 fails to parse (400 "Invalid value at
 * 'contents[i].parts[j].thought_signature' (TYPE_BYTES), Base64 decoding failed"; the gateway's
 * envelopes written as text, `agw1.`..., are such values), and one Gemini did not issue is
 * refused (400 "Corrupted thought signature."), except Google's documented stand-ins
 * (`skip_thought_signature_validator`, `context_engineering_is_the_way_to_go`). The emulator
 * cannot verify a signature, so it remembers what it issued: the signatures in the answers it
 * served, plus what a test declares Gemini issued elsewhere (`acceptSignatures`), as bytes, as
 * Gemini holds them: one sent back in the URL-safe alphabet (as the Python SDK re-encodes it) or
 * without padding is the same signature.
 */
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream } from "./scripted.ts";

export type { RecordedRequest };

/** A part of a Gemini answer (text, thought, function call), as Google sends it. */
export type Part = Record<string, unknown>;

export interface Usage {
  promptTokenCount: number;
  candidatesTokenCount?: number;
  totalTokenCount: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
}

export type Reply =
  /** `compact`: JSON.stringify's formatting; default: Google's (a space after each colon) */
  | { events: Record<string, unknown>[]; delayMs?: number; format?: "google" | "compact" }
  | { status: number; body: unknown; headers?: Record<string, string> };

export interface GeminiEmulator extends ScriptedUpstream<Reply> {
  /** thought signatures Gemini issued elsewhere (an earlier session): taken back like its own */
  acceptSignatures(...values: string[]): void;
}

/** The AI Studio key the emulator accepts unless told otherwise. */
export const GEMINI_TEST_KEY = "AIzaTestKey0123456789";

export interface GeminiEmulatorOptions {
  /** the AI Studio key it accepts (default GEMINI_TEST_KEY) */
  apiKey?: string;
  /** the Vertex OAuth tokens it accepts */
  accessToken?: string | RegExp;
}

const MODEL_VERSION = "gemini-2.5-flash";

export function startGeminiEmulator(opts: GeminiEmulatorOptions = {}): GeminiEmulator {
  const apiKey = opts.apiKey ?? GEMINI_TEST_KEY;
  const accessToken = opts.accessToken ?? "ya29.test-access-token";
  /** the thought signatures this Gemini issued */
  const issued = new Set<string>(STAND_INS.map(bytesOf));
  const upstream = startScriptedUpstream<Reply>({
    name: "gemini",
    defaultReply: () => ({ events: textEvents(["Hello", " from", " Gemini."]) }),
    record: (base) => ({ ...base, path: decodeURIComponent(base.path) }),
    async answer(rec, next, req) {
      if (rec.invalidJson) return googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
      const json = rec.json;
      const alt = new URLSearchParams(rec.query).get("alt");

      const studio = /^\/v1beta\/(models\/[^:/]+|tunedModels\/[^:/]+)(?::(\w+))?$/.exec(rec.path);
      const vertex = /^\/v1\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^:/]+):(\w+)$/.exec(rec.path);
      if (rec.path === "/v1beta/models" && req.method === "GET") {
        const denied = checkKey(req.headers, apiKey);
        return denied ?? Response.json(MODEL_LIST);
      }
      if (!studio && !vertex) return googleError(404, "NOT_FOUND", `Requested entity was not found: ${rec.path}`);
      const denied = studio ? checkKey(req.headers, apiKey) : checkBearer(req.headers, accessToken);
      if (denied) return denied;
      const model = studio ? studio[1]!.replace(/^models\//, "") : vertex![1]!;
      const method = studio ? studio[2] : vertex![2];

      switch (method) {
        case "generateContent":
        case "streamGenerateContent": {
          const invalid = checkGenerateContent(json as Record<string, unknown>, model, Boolean(vertex), issued);
          if (invalid) return invalid;
          const reply = (await next())!;
          if ("status" in reply) return Response.json(reply.body, { status: reply.status, headers: reply.headers });
          for (const signature of signaturesIn(reply.events)) issued.add(bytesOf(signature));
          if (method === "generateContent") return Response.json(mergeEvents(reply.events));
          if (alt !== "sse") return Response.json(reply.events);
          return sseResponse(reply.events, reply.delayMs ?? 0, reply.format === "compact" ? JSON.stringify : googleJson);
        }
        case "batchEmbedContents": {
          const reqs = ((json as { requests?: { content?: { parts?: { text?: string }[] } }[] })?.requests ?? []);
          return Response.json({ embeddings: reqs.map((r) => ({ values: vectorOf(r.content?.parts?.[0]?.text ?? "") })) });
        }
        case "countTokens": {
          const request = json as { contents?: unknown; generateContentRequest?: { contents?: unknown } } | undefined;
          const unparsable = signatureRefusal(request?.contents ?? request?.generateContentRequest?.contents, undefined);
          if (unparsable) return unparsable;
          let text: string;
          try {
            text = JSON.stringify((json as { contents?: unknown })?.contents ?? []);
          } catch {
            // nested past what the stringify recursion takes: Google's JSON parser refuses deep nesting too
            return googleError(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Nesting too deep.");
          }
          return Response.json({ totalTokens: Math.ceil(text.length / 4), promptTokensDetails: [{ modality: "TEXT", tokenCount: Math.ceil(text.length / 4) }] });
        }
        case "embedContent": {
          const text = (json as { content?: { parts?: { text?: string }[] } })?.content?.parts?.[0]?.text ?? "";
          return Response.json({ embedding: { values: vectorOf(text) } });
        }
        case "predict": {
          const instances = ((json as { instances?: { content?: string }[] })?.instances ?? []);
          return Response.json({
            predictions: instances.map((i) => ({
              embeddings: { values: vectorOf(i.content ?? ""), statistics: { token_count: (i.content ?? "").split(/\s+/).length, truncated: false } },
            })),
            metadata: { billableCharacterCount: instances.reduce((n, i) => n + (i.content ?? "").length, 0) },
          });
        }
        default:
          return googleError(404, "NOT_FOUND", `Method ${method} not found`);
      }
    },
  });
  return Object.assign(upstream, { acceptSignatures: (...values: string[]) => values.forEach((v) => issued.add(bytesOf(v))) });
}

// ---------------------------------------------------------------------------------------------
// what Google checks

function googleError(code: number, status: string, message: string, details: unknown[] = []): Response {
  return Response.json({ error: { code, message, status, ...(details.length ? { details } : {}) } }, { status: code });
}

function checkKey(headers: Headers, apiKey: string): Response | undefined {
  const key = headers.get("x-goog-api-key");
  if (key === null) {
    return googleError(403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
  }
  if (key !== apiKey) return googleError(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.");
  return undefined;
}

function checkBearer(headers: Headers, token: string | RegExp): Response | undefined {
  const bearer = /^Bearer (.+)$/.exec(headers.get("authorization") ?? "")?.[1] ?? "";
  if (typeof token === "string" ? bearer !== token : !token.test(bearer)) {
    return googleError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.");
  }
  return undefined;
}

function checkGenerateContent(body: Record<string, unknown> | undefined, model: string, vertex: boolean, issued: ReadonlySet<string>): Response | undefined {
  const contents = body?.contents as { role?: string; parts?: Record<string, any>[] }[] | undefined;
  if (!Array.isArray(contents) || contents.length === 0) return googleError(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified");
  const signatures = signatureRefusal(contents, issued);
  if (signatures) return signatures;
  for (const [i, c] of contents.entries()) {
    if (!c || typeof c !== "object") return googleError(400, "INVALID_ARGUMENT", `Invalid value at 'contents[${i}]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content), ${JSON.stringify(c)}`);
    if (!Array.isArray(c.parts) || c.parts.length === 0) {
      return googleError(400, "INVALID_ARGUMENT", `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`);
    }
    for (const [j, p] of c.parts.entries()) {
      if (!p || typeof p !== "object") return googleError(400, "INVALID_ARGUMENT", `Invalid value at 'contents[${i}].parts[${j}]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Part), ${JSON.stringify(p)}`);
      if (p.text === "") return googleError(400, "INVALID_ARGUMENT", `Unable to submit request because it has an empty text parameter. contents[${i}].parts[${j}]`);
      if (vertex && (p.functionCall?.id !== undefined || p.functionResponse?.id !== undefined)) {
        return googleError(400, "INVALID_ARGUMENT", `Invalid JSON payload received. Unknown name "id" at 'contents[${i}].parts[${j}]': Cannot find field.`);
      }
    }
    // Gemini 3: the first function call of each model turn must carry its signature
    const firstCall = c.parts.find((p) => p.functionCall);
    if (model.includes("gemini-3") && c.role === "model" && firstCall && typeof firstCall.thoughtSignature !== "string") {
      return googleError(
        400,
        "INVALID_ARGUMENT",
        `Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call \`default_api:${firstCall.functionCall.name}\` , position ${i + 1}. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details.`,
      );
    }
  }
  return undefined;
}

/** Google's documented stand-ins for a signature Gemini never issued (history from another model). */
const STAND_INS = ["skip_thought_signature_validator", "context_engineering_is_the_way_to_go"];

/** Base64 or base64url, padded or not: what the JSON form of a protobuf `bytes` field takes. */
const BYTES = /^(?:[A-Za-z0-9+/]|[A-Za-z0-9_-])*={0,2}$/;

/** A signature's bytes (as canonical base64): what Gemini holds of it, whichever alphabet carried it. */
function bytesOf(signature: string): string {
  return Buffer.from(signature, "base64").toString("base64");
}

/**
 * Gemini's 400 for the first thought signature in `contents` it cannot take: one that is not
 * bytes at all, or (when `issued` is given) one it did not issue.
 */
function signatureRefusal(contents: unknown, issued: ReadonlySet<string> | undefined): Response | undefined {
  if (!Array.isArray(contents)) return undefined;
  for (const [i, c] of (contents as { parts?: unknown }[]).entries()) {
    for (const [j, p] of (Array.isArray(c?.parts) ? (c.parts as Part[]) : []).entries()) {
      const signature = p?.thoughtSignature;
      if (typeof signature !== "string") continue;
      if (!BYTES.test(signature) || signature.replace(/=+$/, "").length % 4 === 1) {
        return googleError(400, "INVALID_ARGUMENT", `Invalid value at 'contents[${i}].parts[${j}].thought_signature' (TYPE_BYTES), Base64 decoding failed for "${signature}"`);
      }
      if (issued && !issued.has(bytesOf(signature))) return googleError(400, "INVALID_ARGUMENT", "Corrupted thought signature.");
    }
  }
  return undefined;
}

/** The thought signatures in an answer's events (what Gemini issues by answering). */
function signaturesIn(events: readonly Record<string, any>[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    for (const p of (e.candidates?.[0]?.content?.parts ?? []) as Part[]) if (typeof p.thoughtSignature === "string") out.push(p.thoughtSignature);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// answers

const encoder = new TextEncoder();

/** JSON as Google's servers write it: `{"key": value,"key": value}`. */
export function googleJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(googleJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .map(([k, x]) => `${JSON.stringify(k)}: ${googleJson(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

function sseResponse(events: Record<string, unknown>[], delayMs: number, serialize: (v: unknown) => string): Response {
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      for (const e of events) {
        if (delayMs > 0) await Bun.sleep(delayMs);
        controller.enqueue(encoder.encode(`data: ${serialize(e)}\r\n\r\n`));
      }
      controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream", "x-content-type-options": "nosniff" } });
}

/** What `:generateContent` answers for the same script: the parts joined, the last finish and usage. */
function mergeEvents(events: Record<string, any>[]): Record<string, unknown> {
  const parts: Part[] = [];
  let finishReason: string | undefined;
  let last: Record<string, any> = {};
  for (const e of events) {
    last = e;
    const c = e.candidates?.[0];
    if (c?.finishReason) finishReason = c.finishReason;
    for (const p of (c?.content?.parts ?? []) as Part[]) {
      const prev = parts[parts.length - 1];
      if (typeof p.text === "string" && prev && typeof prev.text === "string" && Boolean(prev.thought) === Boolean(p.thought) && !prev.thoughtSignature) {
        prev.text = (prev.text as string) + p.text;
        if (p.thoughtSignature) prev.thoughtSignature = p.thoughtSignature;
      } else parts.push({ ...p });
    }
  }
  const out: Record<string, unknown> = { ...last };
  if (last.candidates || parts.length > 0) {
    out.candidates = [{ content: { parts: parts.filter((p) => p.text !== "" || p.thoughtSignature), role: "model" }, ...(finishReason ? { finishReason } : {}), index: 0 }];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// scripts: realistic event sequences (shapes from Google's API reference and recorded streams)

let responseCounter = 0;

/** One streamed `GenerateContentResponse`. */
export function event(parts: Part[], opts: { finishReason?: string; usage?: Usage; responseId?: string } = {}): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { parts, role: "model" }, index: 0 };
  if (opts.finishReason) candidate.finishReason = opts.finishReason;
  const e: Record<string, unknown> = { candidates: [candidate] };
  if (opts.usage) e.usageMetadata = { ...opts.usage, promptTokensDetails: [{ modality: "TEXT", tokenCount: opts.usage.promptTokenCount }] };
  e.modelVersion = MODEL_VERSION;
  e.responseId = opts.responseId ?? "emuResp1";
  return e;
}

function usage(prompt: number, candidates: number, thoughts?: number): Usage {
  const u: Usage = { promptTokenCount: prompt, candidatesTokenCount: candidates, totalTokenCount: prompt + candidates + (thoughts ?? 0) };
  if (thoughts !== undefined) u.thoughtsTokenCount = thoughts;
  return u;
}

/** A text answer in pieces; the last event carries STOP (or `finishReason`) and the final usage. */
export function textEvents(pieces: string[], opts: { finishReason?: string; prompt?: number; responseId?: string } = {}): Record<string, unknown>[] {
  const prompt = opts.prompt ?? 8;
  return pieces.map((text, i) =>
    event([{ text }], {
      usage: usage(prompt, i + 1),
      responseId: opts.responseId ?? `resp${++responseCounter}`,
      ...(i === pieces.length - 1 ? { finishReason: opts.finishReason ?? "STOP" } : {}),
    }),
  );
}

/** Function calls, whole in one event, then the closing event with STOP (as Gemini 2.5 / 3 send them). */
export function functionCallEvents(
  calls: { name: string; args?: Record<string, unknown>; thoughtSignature?: string }[],
  opts: { thoughts?: number; leadText?: string } = {},
): Record<string, unknown>[] {
  const responseId = `resp${++responseCounter}`;
  const parts: Part[] = calls.map((c) => {
    const p: Part = { functionCall: { name: c.name, ...(c.args ? { args: c.args } : {}) } };
    if (c.thoughtSignature) p.thoughtSignature = c.thoughtSignature;
    return p;
  });
  const events: Record<string, unknown>[] = [];
  if (opts.leadText) events.push(event([{ text: opts.leadText }], { usage: usage(30, 3, opts.thoughts), responseId }));
  events.push(event(parts, { usage: usage(30, 12, opts.thoughts), responseId }));
  events.push(event([{ text: "" }], { finishReason: "STOP", usage: usage(30, 12, opts.thoughts), responseId }));
  return events;
}

/** Thought summaries, then the answer; the answer's last part carries a signature (Gemini 3). */
export function thinkingEvents(thoughts: string[], answer: string[], signature: string): Record<string, unknown>[] {
  const responseId = `resp${++responseCounter}`;
  const thoughtTokens = 40;
  const events = thoughts.map((text) => event([{ text, thought: true }], { usage: usage(12, 0, thoughtTokens), responseId }));
  answer.forEach((text, i) => {
    const last = i === answer.length - 1;
    events.push(event([last ? { text, thoughtSignature: signature } : { text }], { usage: usage(12, i + 1, thoughtTokens), responseId, ...(last ? { finishReason: "STOP" } : {}) }));
  });
  return events;
}

/** A prompt Gemini refuses: no candidates, only `promptFeedback.blockReason`. */
export function blockedPromptEvents(reason = "PROHIBITED_CONTENT"): Record<string, unknown>[] {
  return [
    {
      promptFeedback: { blockReason: reason },
      usageMetadata: { promptTokenCount: 9, totalTokenCount: 9, promptTokensDetails: [{ modality: "TEXT", tokenCount: 9 }] },
      modelVersion: MODEL_VERSION,
      responseId: `resp${++responseCounter}`,
    },
  ];
}

/** An answer stopped by the safety filter mid-way. */
export function safetyStopEvents(): Record<string, unknown>[] {
  const responseId = `resp${++responseCounter}`;
  return [
    event([{ text: "Here is how you" }], { usage: usage(10, 4), responseId }),
    {
      candidates: [
        {
          content: { parts: [{ text: "" }], role: "model" },
          finishReason: "SAFETY",
          index: 0,
          safetyRatings: [{ category: "HARM_CATEGORY_DANGEROUS_CONTENT", probability: "HIGH", blocked: true }],
        },
      ],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, totalTokenCount: 14 },
      modelVersion: MODEL_VERSION,
      responseId,
    },
  ];
}

/** Google's 429 with RetryInfo (shape of a recorded AI Studio quota error). */
export function rateLimited(retryDelay = "34.4s"): Reply {
  return {
    status: 429,
    body: {
      error: {
        code: 429,
        message: "You exceeded your current quota, please check your plan and billing details.",
        status: "RESOURCE_EXHAUSTED",
        details: [
          { "@type": "type.googleapis.com/google.rpc.QuotaFailure", violations: [{ quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" }] },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay },
        ],
      },
    },
  };
}

/** A deterministic small vector per text, so tests can tell inputs apart. */
export function vectorOf(text: string): number[] {
  const v = [0, 0, 0, 0];
  for (let i = 0; i < text.length; i++) v[i % 4]! += text.charCodeAt(i) / 1000;
  return v.map((x) => Math.round(x * 1000) / 1000);
}

const MODEL_LIST = {
  models: [
    {
      name: "models/gemini-2.5-flash",
      version: "001",
      displayName: "Gemini 2.5 Flash",
      inputTokenLimit: 1048576,
      outputTokenLimit: 65536,
      supportedGenerationMethods: ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"],
      thinking: true,
    },
    {
      name: "models/gemini-embedding-001",
      version: "001",
      displayName: "Gemini Embedding 001",
      inputTokenLimit: 2048,
      outputTokenLimit: 1,
      supportedGenerationMethods: ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"],
    },
  ],
  nextPageToken: "",
};
