/**
 * The contracts between the gateway core and the providers. A provider is one folder under
 * `providers/` that exports a `ProviderAdapter`; the core owns HTTP, routing, auth, body limits,
 * streaming plumbing and telemetry, and asks the adapter only what differs per provider.
 */
import type { RouteTypeName } from "../config/schema.ts";
import type { ByteTranslator, HubMessage, HubWriter } from "./hub/parts.ts";

export type RouteType = RouteTypeName;

// ---------------------------------------------------------------------------------------------
// OpenAI chat completions: the hub format. Typed loosely on purpose: unknown fields pass through.

export interface ChatMessage {
  role: string;
  content?: unknown;
  name?: string;
  tool_calls?: unknown[];
  tool_call_id?: string;
  [k: string]: unknown;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean; [k: string]: unknown } | null;
  [k: string]: unknown;
}

/** Token usage as the gateway accounts it (OpenAI semantics: input includes cached tokens). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens?: number;
  cacheWriteInputTokens?: number;
  reasoningTokens?: number;
}

// ---------------------------------------------------------------------------------------------
// upstream requests and auth

export interface UpstreamRequest {
  url: URL;
  method: string;
  headers: Headers;
  /** Buffered bodies (LLM requests) are strings or bytes so signers can hash them. */
  body: string | Uint8Array | ReadableStream<Uint8Array> | null;
}

export interface AuthContext {
  /** the client's original headers (for passthrough auth) */
  clientHeaders: Headers;
  signal: AbortSignal;
  /** the most of a streamed client body an authorizer may read to sign it (the gateway's buffer limit) */
  bodyLimit: number;
}

/**
 * Adds credentials to an upstream request (header, query parameter, signature, OAuth token).
 * May be async (token fetch, signing). Throws `HttpError` (401/503) when credentials cannot be had.
 */
export type Authorizer = (req: UpstreamRequest, ctx: AuthContext) => void | Promise<void>;

// ---------------------------------------------------------------------------------------------
// streams

/** One `text/event-stream` event. */
export interface SseEvent {
  event: string | undefined;
  data: string;
}

/** One AWS `application/vnd.amazon.eventstream` message. */
export interface EventStreamMessage {
  headers: Record<string, string | number | boolean | bigint | Uint8Array | Date>;
  payload: Uint8Array;
}

/** Incremental framing of a byte stream: each network read in, the frames it completed out. */
export interface FrameDecoder<F> {
  push(chunk: Uint8Array): F[];
  /** at end of stream: frames the end itself completed (if the framing has such a case) */
  end?(): F[];
  /** bytes of an unfinished frame still held (non-zero after the end = truncated stream) */
  readonly pending: number;
}

export interface StreamContext {
  /** the model the client asked for (after aliasing); the writer echoes it unless the provider names its own */
  model: string;
  /** what the adapter's `request()` returned as `state` for this request, if anything */
  state?: unknown;
  /** the client asked for `stream_options.include_usage` */
  includeUsage: boolean;
  /** unix seconds, for `created` */
  created: number;
  upstreamHeaders: Headers;
}

// ---------------------------------------------------------------------------------------------
// provider adapters

export interface TranslatedBody {
  body: string | Uint8Array;
  /** extra upstream headers (e.g. `anthropic-version`) */
  headers?: Record<string, string>;
  /**
   * Request-scoped data the translation of the answer needs (e.g. Bedrock's renamed tool names),
   * handed back as `StreamContext.state` to `response()` / `stream()`.
   */
  state?: unknown;
}

/**
 * Translation of OpenAI chat completions to a provider's native chat API and back. Answers come
 * back through the stream hub (hub/parts.ts): a whole answer as a `HubMessage`, a stream as
 * parts written to the writer the core hands over (which serialises them for the client).
 */
export interface ChatTranslator<S> {
  /** upstream path (and query), given the base path in effect (`pathPrefix` or the default) */
  path(spec: S, model: string, stream: boolean, basePath: string): string;
  /** OpenAI request -> provider body. Throws `HttpError` 400 for requests it cannot express. */
  request(req: ChatRequest, spec: S, model: string): TranslatedBody;
  /** Successful non-streaming provider body -> the answer. Throws `HttpError` for answers that are refusals (a blocked prompt). */
  response(body: string, ctx: StreamContext): HubMessage;
  /** A translator of the provider's stream bytes, writing the answer's parts to `out`. */
  stream(ctx: StreamContext, out: HubWriter): ByteTranslator;
}

/** Translation of OpenAI embeddings requests (for providers whose embeddings API differs). */
export interface EmbeddingsTranslator<S> {
  path(spec: S, model: string, basePath: string): string;
  /**
   * One upstream body, or several when the provider embeds one input per call (Bedrock Titan):
   * those are sent concurrently (a few at a time) to the same path.
   */
  request(req: Record<string, unknown>, spec: S, model: string): TranslatedBody | TranslatedBody[];
  /**
   * `req` is the client's request (e.g. its `encoding_format`); `headers` the upstream's answer
   * headers (the first answer's when there were several). After several requests, `body` is a
   * JSON array of their answers, in request order.
   */
  response(body: string, model: string, req: Record<string, unknown>, headers: Headers): { json: string; usage: Usage | undefined };
}

/** Translation of a provider's model list to the OpenAI list shape. */
export interface ModelsTranslator<S> {
  path(spec: S, basePath: string): string;
  response(body: string): { id: string; owned_by?: string; created?: number }[];
}

/**
 * A provider's own token counting for a hub request (Bedrock's CountTokens), used by count-tokens
 * requests of clients whose format the provider does not speak.
 */
export interface CountTokensTranslator<S> {
  path(spec: S, model: string, basePath: string): string;
  request(req: ChatRequest, spec: S, model: string): string;
  /** the count in a successful answer */
  response(body: string): number;
}

export interface ProviderAdapter<S = unknown> {
  /** `gen_ai.provider.name` in logs: openai, anthropic, aws.bedrock, gcp.gemini, gcp.vertex_ai, azure */
  telemetryName(spec: S): string;
  /** Where the provider lives when no override is configured: `https://host[:port]` and base path. */
  defaultBase(spec: S): { origin: string; basePath: string };
  /**
   * What agentgateway's `pathPrefix` means for this provider: it replaces the default base path
   * (`/v1` for OpenAI-style and Anthropic APIs), or it is prepended to the full native path
   * (Gemini, Vertex, Bedrock, Azure: `pathPrefix: /proxy` gives `/proxy/v1/projects/...`).
   */
  pathPrefix: "replacesBase" | "prepended";
  /**
   * The upstream path of a route type the provider serves in the client's own format (OpenAI
   * `completions`, `embeddings`, `models`, `responses` for OpenAI-compatible servers; `messages`
   * for Anthropic), or undefined. Such requests pass through without translation.
   */
  nativePath(route: RouteType, spec: S, model: string | undefined, basePath: string): string | undefined;
  chat?: ChatTranslator<S>;
  embeddings?: EmbeddingsTranslator<S>;
  models?: ModelsTranslator<S>;
  countTokens?: CountTokensTranslator<S>;
  /**
   * Translates a non-2xx upstream answer into the OpenAI error shape; `headers` are added to the
   * client's response (e.g. a `retry-after` derived from the body).
   */
  error?(status: number, body: string, headers: Headers): { message: string; type?: string; code?: string | null; headers?: Record<string, string> };
  /** Provider fix-ups after auth (e.g. Anthropic moves `Authorization: Bearer` to `x-api-key`). */
  finalizeHeaders?(headers: Headers, spec: S): void;
  /** Credentials used when neither `backendAuth` nor a host override is configured (cloud ADC, SigV4). */
  defaultAuth?(spec: S): Authorizer | undefined;
  /** What an OpenAI-compatible server refuses of OpenAI's request fields (undefined: nothing). */
  openaiDialect?(spec: S): OpenAIDialect | undefined;
}

/**
 * OpenAI request fields an OpenAI-compatible server refuses (Mistral answers 422 "Extra inputs are
 * not permitted" to `stream_options` and `max_completion_tokens`), fitted before the call:
 *   stream_options          left out (such servers send the usage with the last chunk anyway)
 *   max_completion_tokens   sent as `max_tokens`
 */
export interface OpenAIDialect {
  readonly refuses: readonly ("stream_options" | "max_completion_tokens")[];
  /** the tool call ids the server takes, when it takes fewer than OpenAI (tool-call-ids.ts) */
  readonly fitToolCallId?: (id: string) => string;
}

/**
 * A provider as the core sees it: an adapter bound to its settings and base path when the config
 * is compiled (src/llm/providers/define.ts). Nothing provider-specific is passed per request.
 */
export interface Provider {
  /** `gen_ai.provider.name` */
  readonly telemetryName: string;
  /** the upstream path of a route type the provider serves in the client's own format, or undefined */
  nativePath(route: RouteType, model: string | undefined): string | undefined;
  readonly chat?: {
    path(model: string, stream: boolean): string;
    request(req: ChatRequest, model: string): TranslatedBody;
    response(body: string, ctx: StreamContext): HubMessage;
    stream(ctx: StreamContext, out: HubWriter): ByteTranslator;
  };
  readonly embeddings?: {
    path(model: string): string;
    request(req: Record<string, unknown>, model: string): TranslatedBody | TranslatedBody[];
    response(body: string, model: string, req: Record<string, unknown>, headers: Headers): { json: string; usage: Usage | undefined };
  };
  readonly models?: { readonly path: string; response(body: string): { id: string; owned_by?: string; created?: number }[] };
  readonly countTokens?: { path(model: string): string; request(req: ChatRequest, model: string): string; response(body: string): number };
  error?(status: number, body: string, headers: Headers): { message: string; type?: string; code?: string | null; headers?: Record<string, string> };
  finalizeHeaders?(headers: Headers): void;
  readonly openaiDialect?: OpenAIDialect;
}
