/**
 * A Bedrock Runtime-emulating upstream for tests: `/model/{id}/converse`, `/converse-stream` and
 * `/invoke` (Titan and Cohere embeddings), driven by per-test scripts of ConverseStream events.
 *
 * Independent oracles, so the gateway's own code is checked against AWS's:
 *   - every request's SigV4 signature is recomputed with `@smithy/signature-v4` and refused with
 *     Bedrock's 403 `InvalidSignatureException` on mismatch;
 *   - streams are framed with `@smithy/eventstream-codec`, with Bedrock's `p` padding field.
 * A script's events also yield the non-streaming Converse answer (the same content aggregated),
 * so one script serves both paths. Built on the shared scripted-upstream API (scripted.ts): every
 * request is recorded like every emulator's, plus its operation and decoded model id; answers come
 * from `script(fn)`, then `enqueue(...)`, then a short greeting.
 */
import { Sha256 } from "@aws-crypto/sha256-js";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream } from "./scripted.ts";

export interface AwsTestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One ConverseStream event (`[eventType, payload]`) or an in-stream exception. */
export type StreamEvent = [string, Record<string, unknown>] | { exception: string; message: string; extra?: Record<string, unknown> };

/** How a request is answered: a stream of events (also folded into Converse's JSON), or an HTTP error. */
export type Reply =
  | {
      events: StreamEvent[];
      /** ms between frames of a stream */
      delayMs?: number;
      /** rewrites the encoded stream (corruption, truncation) */
      mangle?(bytes: Uint8Array): Uint8Array;
      /** writes the stream in pieces of this many bytes (frames split across reads) */
      splitEvery?: number;
      /** breaks the connection after this many bytes (a connection cut mid-stream) */
      cutAfterBytes?: number;
    }
  | { status: number; errorType: string; message: string; headers?: Record<string, string> };

export interface RecordedBedrockRequest extends RecordedRequest {
  operation: "converse" | "converse-stream" | "invoke" | "count-tokens" | "other";
  /** the model id from the path, decoded */
  modelId: string;
}

export interface BedrockEmulator extends ScriptedUpstream<Reply, RecordedBedrockRequest> {
  region: string;
  /** the credentials signatures are checked against */
  credentials: AwsTestCredentials;
  /** request ids sent, in order */
  requestIds: string[];
}

export const TEST_CREDENTIALS: AwsTestCredentials = { accessKeyId: "AKIDEXAMPLEGATEWAY01", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const enc = new TextEncoder();
const PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// ---------------------------------------------------------------------------------------------
// script building blocks (shapes from the ConverseStream API reference and recorded streams)

export const ev = {
  start: (): StreamEvent => ["messageStart", { role: "assistant" }],
  text: (block: number, text: string): StreamEvent => ["contentBlockDelta", { contentBlockIndex: block, delta: { text } }],
  toolStart: (block: number, toolUseId: string, name: string): StreamEvent => ["contentBlockStart", { contentBlockIndex: block, start: { toolUse: { toolUseId, name } } }],
  toolInput: (block: number, input: string): StreamEvent => ["contentBlockDelta", { contentBlockIndex: block, delta: { toolUse: { input } } }],
  reasoning: (block: number, text: string): StreamEvent => ["contentBlockDelta", { contentBlockIndex: block, delta: { reasoningContent: { text } } }],
  signature: (block: number, signature: string): StreamEvent => ["contentBlockDelta", { contentBlockIndex: block, delta: { reasoningContent: { signature } } }],
  redacted: (block: number, redactedContent: string): StreamEvent => ["contentBlockDelta", { contentBlockIndex: block, delta: { reasoningContent: { redactedContent } } }],
  blockStop: (block: number): StreamEvent => ["contentBlockStop", { contentBlockIndex: block }],
  stop: (stopReason: string, extra: Record<string, unknown> = {}): StreamEvent => ["messageStop", { stopReason, ...extra }],
  metadata: (usage: Record<string, number>, extra: Record<string, unknown> = {}): StreamEvent => [
    "metadata",
    { usage: { ...usage, totalTokens: (usage.inputTokens ?? 0) + (usage.outputTokens ?? 0) }, metrics: { latencyMs: 312 }, ...extra },
  ],
};

/** A plain text answer in Bedrock's usual order (messageStop, then metadata). */
export function textScript(pieces: string[], usage = { inputTokens: 12, outputTokens: pieces.length }): StreamEvent[] {
  return [ev.start(), ...pieces.map((p) => ev.text(0, p)), ev.blockStop(0), ev.stop("end_turn"), ev.metadata(usage)];
}

// ---------------------------------------------------------------------------------------------
// wire encoding

export function encodeEvent(e: StreamEvent): Uint8Array {
  if (!Array.isArray(e)) {
    return codec.encode({
      headers: {
        ":exception-type": { type: "string", value: e.exception },
        ":content-type": { type: "string", value: "application/json" },
        ":message-type": { type: "string", value: "exception" },
      },
      body: enc.encode(JSON.stringify({ message: e.message, ...e.extra })),
    });
  }
  const [type, payload] = e;
  const p = PADDING.slice(0, 8 + ((type.length * 7) % 40));
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    body: enc.encode(JSON.stringify({ ...payload, p })),
  });
}

/** The Converse (non-streaming) answer a stream of events adds up to. */
export function converseAnswer(events: StreamEvent[]): Record<string, unknown> {
  const blocks = new Map<number, Record<string, any>>();
  const block = (i: number) => blocks.get(i) ?? blocks.set(i, {}).get(i)!;
  let stopReason: unknown;
  let usage: unknown;
  for (const e of events) {
    if (!Array.isArray(e)) continue;
    const [type, p] = e as [string, any];
    if (type === "contentBlockStart" && p.start?.toolUse) block(p.contentBlockIndex).toolUse = { ...p.start.toolUse, json: "" };
    if (type === "contentBlockDelta") {
      const b = block(p.contentBlockIndex);
      const d = p.delta;
      if (typeof d.text === "string") b.text = (b.text ?? "") + d.text;
      if (d.toolUse) b.toolUse.json += d.toolUse.input;
      if (d.reasoningContent?.text !== undefined) {
        b.reasoningContent ??= { reasoningText: { text: "" } };
        b.reasoningContent.reasoningText.text += d.reasoningContent.text;
      }
      if (d.reasoningContent?.signature !== undefined) b.reasoningContent.reasoningText.signature = d.reasoningContent.signature;
      if (d.reasoningContent?.redactedContent !== undefined) b.reasoningContent = { redactedContent: d.reasoningContent.redactedContent };
    }
    if (type === "messageStop") stopReason = p.stopReason;
    if (type === "metadata") usage = p.usage;
  }
  const content = [...blocks.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, b]) => {
      if (!b.toolUse) return b;
      const { json, ...toolUse } = b.toolUse;
      return { toolUse: { ...toolUse, input: json === "" ? {} : JSON.parse(json) } };
    });
  return { output: { message: { role: "assistant", content } }, stopReason, usage, metrics: { latencyMs: 312 } };
}

// ---------------------------------------------------------------------------------------------
// SigV4 verification with AWS's own signer

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

/** undefined when the signature is valid, else the Bedrock error to answer with. */
export async function verifySignature(req: Request, url: URL, raw: string, creds: AwsTestCredentials, region: string): Promise<{ type: string; message: string } | undefined> {
  const auth = req.headers.get("authorization");
  if (!auth) return { type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" };
  const m = AUTH.exec(auth);
  if (!m) return { type: "IncompleteSignatureException", message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'. Authorization=${auth}` };
  const [, keyId, , scopeRegion, service, signedHeaders, signature] = m as unknown as string[];
  if (keyId !== creds.accessKeyId) return { type: "UnrecognizedClientException", message: "The security token included in the request is invalid." };
  if (scopeRegion !== region || service !== "bedrock") {
    return { type: "InvalidSignatureException", message: `Credential should be scoped to a valid region and service 'bedrock', not '${scopeRegion}/${service}'.` };
  }
  const names = signedHeaders!.split(";");
  if (!names.includes("host") || !names.includes("x-amz-date")) return { type: "InvalidSignatureException", message: "Signed headers must include host and x-amz-date." };
  const amzDate = req.headers.get("x-amz-date") ?? "";
  const signingDate = new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`);
  if (!Number.isFinite(signingDate.getTime()) || Math.abs(Date.now() - signingDate.getTime()) > 5 * 60_000) {
    return { type: "InvalidSignatureException", message: "Signature expired or the request time is invalid." };
  }
  const headers: Record<string, string> = {};
  for (const name of names) headers[name] = req.headers.get(name) ?? "";
  const signer = new SignatureV4({ credentials: creds, region, service: "bedrock", sha256: Sha256, applyChecksum: false });
  const expected = await signer.sign(
    new HttpRequest({ method: req.method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: raw }),
    { signingDate },
  );
  const expectedAuth = String(expected.headers.authorization ?? expected.headers.Authorization);
  if (expectedAuth.endsWith(`Signature=${signature}`) && expectedAuth.includes(`SignedHeaders=${signedHeaders}`)) return undefined;
  // Bedrock explains a mismatch with the canonical request, security token included
  const token = req.headers.get("x-amz-security-token");
  return {
    type: "InvalidSignatureException",
    message:
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n" +
      `The Canonical String for this request should have been\n'${req.method}\n${url.pathname}\n\nhost:${req.headers.get("host")}\nx-amz-date:${amzDate}\n${token ? `x-amz-security-token:${token}\n` : ""}\n${signedHeaders}\n'\n\n` +
      `The String-to-Sign should have been\n'AWS4-HMAC-SHA256\n${amzDate}\n${amzDate.slice(0, 8)}/${region}/bedrock/aws4_request\n'\n`,
  };
}

// ---------------------------------------------------------------------------------------------
// the server

function errorResponse(status: number, type: string, message: string, requestId: string, extra: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ message }), {
    status,
    headers: { "content-type": "application/json", "x-amzn-errortype": `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, "x-amzn-requestid": requestId, ...extra },
  });
}

function streamResponse(script: Extract<Reply, { events: StreamEvent[] }>, requestId: string): Response {
  let bytes = concat(script.events.map(encodeEvent));
  if (script.mangle) bytes = script.mangle(bytes);
  const frames = script.splitEvery ? split(bytes, script.splitEvery) : script.delayMs ? script.events.map(encodeEvent) : [bytes];
  let i = 0;
  let sent = 0;
  const cut = script.cutAfterBytes;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i > 0 && script.delayMs) await Bun.sleep(script.delayMs);
      if (i >= frames.length) return controller.close();
      const frame = frames[i++]!;
      if (cut !== undefined && sent + frame.byteLength >= cut) {
        controller.enqueue(frame.subarray(0, cut - sent));
        controller.error(new Error("emulated connection cut"));
        return;
      }
      sent += frame.byteLength;
      controller.enqueue(frame);
      if (i === frames.length) controller.close();
    },
  });
  return new Response(body, { headers: { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": requestId } });
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

function split(bytes: Uint8Array, every: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; i += every) out.push(bytes.slice(i, i + every));
  return out;
}

/** Deterministic unit vectors, so the same text always embeds the same. */
export function testVector(text: string, dims: number): number[] {
  let seed = Number(Bun.hash(text) & 0xffffffffn) || 1;
  const v: number[] = [];
  for (let i = 0; i < dims; i++) {
    seed = (seed * 1_103_515_245 + 12_345) >>> 0;
    v.push(Math.round((seed / 0xffffffff - 0.5) * 1e4) / 1e4 + 0); // + 0: no -0, which JSON cannot carry
  }
  return v;
}

function invokeAnswer(modelId: string, body: any, requestId: string): Response {
  const headers = { "content-type": "application/json", "x-amzn-requestid": requestId };
  if (modelId.includes("titan-embed")) {
    if (typeof body?.inputText !== "string") return errorResponse(400, "ValidationException", "Malformed input request: #: required key [inputText] not found", requestId);
    // Titan v2 takes 256, 512 or 1024 dimensions (v1 always 1536 in AWS, 1024 here)
    if (body.dimensions !== undefined && ![256, 512, 1024].includes(body.dimensions)) return errorResponse(400, "ValidationException", `Malformed input request: #/dimensions: ${JSON.stringify(body.dimensions)} is not a valid enum value`, requestId);
    const tokens = Math.max(1, Math.ceil(body.inputText.length / 4));
    return new Response(JSON.stringify({ embedding: testVector(body.inputText, body.dimensions ?? 1024), inputTextTokenCount: tokens }), {
      headers: { ...headers, "x-amzn-bedrock-input-token-count": String(tokens) },
    });
  }
  if (modelId.includes("cohere.embed")) {
    if (!Array.isArray(body?.texts) || typeof body.input_type !== "string") return errorResponse(400, "ValidationException", "Malformed input request: texts and input_type are required", requestId);
    if (body.texts.length > 96) return errorResponse(400, "ValidationException", "Malformed input request: expected maxLength: 96", requestId);
    if (body.output_dimension !== undefined && ![256, 512, 1024, 1536].includes(body.output_dimension)) return errorResponse(400, "ValidationException", `Malformed input request: #/output_dimension: ${JSON.stringify(body.output_dimension)} is not a valid enum value`, requestId);
    const dims = body.output_dimension ?? 1024;
    const embeddings = body.texts.map((t: string) => testVector(t, dims));
    const tokens = body.texts.reduce((n: number, t: string) => n + Math.max(1, Math.ceil(t.length / 4)), 0);
    return new Response(JSON.stringify({ embeddings, id: crypto.randomUUID(), response_type: "embeddings_floats", texts: body.texts }), {
      headers: { ...headers, "x-amzn-bedrock-input-token-count": String(tokens) },
    });
  }
  return errorResponse(400, "ValidationException", `The provided model identifier is invalid.`, requestId);
}

export function startBedrockEmulator(opts: { region?: string; credentials?: AwsTestCredentials } = {}): BedrockEmulator {
  const region = opts.region ?? "us-east-1";
  const requestIds: string[] = [];
  const upstream = startScriptedUpstream<Reply, RecordedBedrockRequest>({
    name: "bedrock",
    defaultReply: () => ({ events: textScript(["Hello", " from", " Bedrock", "."]) }),
    record(base) {
      const m = OPERATION.exec(base.path);
      return { ...base, operation: (m?.[2] as RecordedBedrockRequest["operation"]) ?? "other", modelId: m ? decodeURIComponent(m[1]!) : "" };
    },
    async answer(rec, next, req) {
      const requestId = crypto.randomUUID();
      requestIds.push(requestId);
      const bad = await verifySignature(req, new URL(req.url), rec.body, emulator.credentials, region);
      if (bad) return errorResponse(403, bad.type, bad.message, requestId);
      if (rec.operation === "other" || rec.method !== "POST") return errorResponse(404, "UnknownOperationException", "", requestId);
      if (rec.json === undefined) return errorResponse(400, "SerializationException", "Unable to parse request body", requestId);
      if (rec.operation === "count-tokens") return countTokensAnswer(rec.json, requestId);
      const script = (await next())!;
      if ("status" in script) return errorResponse(script.status, script.errorType, script.message, requestId, script.headers);
      if (rec.operation === "invoke") return invokeAnswer(rec.modelId, rec.json, requestId);
      if (rec.operation === "converse-stream") return streamResponse(script, requestId);
      return new Response(JSON.stringify(converseAnswer(script.events)), { headers: { "content-type": "application/json", "x-amzn-requestid": requestId } });
    },
  });
  const emulator: BedrockEmulator = Object.assign(upstream, { region, requestIds, credentials: opts.credentials ?? TEST_CREDENTIALS });
  return emulator;
}

const OPERATION = /^\/model\/([^/]+)\/(converse|converse-stream|invoke|count-tokens)$/;

/** CountTokens: the Converse input's JSON length / 4 (a stand-in for Claude's tokenizer). */
function countTokensAnswer(json: { input?: { converse?: unknown } }, requestId: string): Response {
  const converse = json.input?.converse as { messages?: unknown } | undefined;
  if (!converse?.messages) return errorResponse(400, "ValidationException", "input.converse.messages is required", requestId);
  return Response.json({ inputTokens: Math.ceil(JSON.stringify(converse).length / 4) }, { headers: { "x-amzn-requestid": requestId } });
}
