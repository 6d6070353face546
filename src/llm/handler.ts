/**
 * Serving one request on an LLM backend (`ai` or `llm:`): pick the provider, detect the route
 * type, then chat / embeddings / models / passthrough, translated or passed through.
 */
import type { AiBackend, LlmBackend, ProviderTarget, RouteConfig } from "../config/model.ts";
import { parseJsonObject, readBody } from "../http/body.ts";
import { HttpError } from "../http/errors.ts";
import { applyHeaderOps, downstreamHeaders, upstreamHeaders } from "../http/headers.ts";
import { callUpstream, type RequestBody } from "../http/upstream.ts";
import { upstreamUrl } from "../http/upstream-url.ts";
import type { AccessRecord } from "../telemetry/access-log.ts";
import { checkChatRequest } from "./chat-request.ts";
import { listModels } from "./models.ts";
import { checkMethod, detectRouteType } from "./route-type.ts";
import { openaiChunkWriter, openaiCompletion } from "./hub/openai-writer.ts";
import type { HubMessage } from "./hub/parts.ts";
import { passthroughStream, translatedStream, type StreamOutcome } from "./stream/pipeline.ts";
import type { ChatRequest, RouteType, StreamContext, UpstreamRequest, Usage } from "./types.ts";
import { upstreamErrorResponse } from "./upstream-error.ts";
import { usageFromOpenAI } from "./usage.ts";

/** Everything about the client request the LLM layer needs. */
export interface LlmExchange {
  req: Request;
  method: string;
  path: string;
  query: string;
  route: RouteConfig;
  maxBodyBytes: number;
  /** the client's body as received, once read: forwarded as is when the gateway changes nothing */
  bodyBytes?: Uint8Array;
  log: AccessRecord;
  /** aborts with the client's disconnect, the route's deadline, or `abort()` */
  signal: AbortSignal;
  /** cancels the upstream request (the client went away mid-stream) */
  abort(): void;
  /** the client's request is fully received: from now on silence is the upstream's, not the client's */
  requestSent(): void;
  /** writes the access log; called once, when the response (or its stream) is complete */
  done(): void;
}

const JSON_HEADERS = { "content-type": "application/json" };

export async function serveAiBackend(x: LlmExchange, backend: AiBackend): Promise<Response> {
  const target = pickProvider(backend);
  const routeType = detectRouteType(x.method, x.path, target.ai.routes, target.ai.routes ? target.ai.routesFallback : "passthrough");
  checkMethod(routeType, x.method, x.path);
  if (routeType === "models") return listModels(x, backend.groups.flat(), (t) => upstreamModels(x, t));
  return serveTarget(x, target, routeType, undefined);
}

export async function serveLlmBackend(x: LlmExchange, backend: LlmBackend): Promise<Response> {
  const routeType = detectRouteType(x.method, x.path, undefined, "passthrough");
  checkMethod(routeType, x.method, x.path);
  if (routeType === "models") {
    return listModels(x, backend.models.filter((m) => m.visibility === "public"), (t) => upstreamModels(x, t));
  }
  const contentType = x.req.headers.get("content-type") ?? "";
  if (!contentType.includes("json") && x.method !== "POST") {
    throw new HttpError(400, "LLM request is missing a model: send a JSON body with a string field 'model'", { code: "missing_model" });
  }
  const body = await readJson(x);
  const model = body.model;
  if (typeof model !== "string" || model === "") {
    throw new HttpError(400, "LLM request body is missing string field 'model'", { code: "missing_model", param: "model" });
  }
  const entry = backend.models.find((m) => m.visibility === "public" && m.matches(model) && (m.headerMatches.length === 0 || m.headerMatches.some((h) => h(x.req.headers))));
  if (!entry) {
    throw new HttpError(404, `model '${model}' is not configured on this gateway`, { code: "model_not_found", param: "model" });
  }
  const type = routeType === "passthrough" && entry.target.passthrough === "detect" ? "detect" : routeType;
  return serveTarget(x, entry.target, type, body);
}

/** Groups are priority levels: the first non-empty one serves, a random member of it. */
function pickProvider(backend: AiBackend): ProviderTarget {
  const group = backend.groups.find((g) => g.length > 0);
  if (!group) throw new HttpError(503, `ai backend '${backend.name}' has no usable provider`, { code: "no_healthy_backend" });
  return group.length === 1 ? group[0]! : group[Math.floor(Math.random() * group.length)]!;
}

async function serveTarget(x: LlmExchange, target: ProviderTarget, routeType: RouteType, body: Record<string, unknown> | undefined): Promise<Response> {
  x.log.provider = target.telemetryName;
  x.log.endpoint = target.name;
  switch (routeType) {
    case "completions":
      x.log.operation = "chat";
      return serveChat(x, target, body ?? await readJson(x));
    case "embeddings":
      x.log.operation = "embeddings";
      return serveEmbeddings(x, target, body ?? await readJson(x));
    case "passthrough":
    case "detect":
      return forward(x, target, passthroughPath(x.path, target), body, false);
    default: {
      // another API the provider may speak natively (OpenAI responses, Anthropic messages...)
      const path = target.adapter.nativePath(routeType, target.spec as never, target.model, target.basePath);
      if (path === undefined) {
        throw new HttpError(400, `route type '${routeType}' is not supported for provider ${target.telemetryName} yet`, { code: "unsupported_route" });
      }
      const chatFamily = routeType === "messages" || routeType === "responses";
      return forward(x, target, target.pathOverride ?? path, body ?? (chatFamily ? await readJson(x) : undefined), chatFamily);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// chat completions

async function serveChat(x: LlmExchange, target: ProviderTarget, body: Record<string, unknown>): Promise<Response> {
  const req = checkChatRequest(body);
  const clientModel = typeof req.model === "string" ? req.model : undefined;
  x.log.requestModel = clientModel;
  const aliased = clientModel === undefined ? undefined : alias(target, clientModel);
  const model = target.model ?? aliased;
  if (model === undefined) {
    throw new HttpError(400, "request is missing string field 'model'", { code: "missing_model", param: "model" });
  }
  let changed = applyBodyPolicies(target, req);
  if (req.model !== model) {
    req.model = model;
    changed = true;
  }
  const stream = req.stream === true;
  const clientWantsUsage = stream && req.stream_options?.include_usage === true;
  const ctx = (headers: Headers, state?: unknown): StreamContext => ({ model, includeUsage: clientWantsUsage, created: Math.floor(Date.now() / 1000), upstreamHeaders: headers, state });

  const chat = target.adapter.chat;
  if (chat) {
    const translated = chat.request(req as ChatRequest, target.spec as never, model);
    const path = target.pathOverride ?? chat.path(target.spec as never, model, stream, target.basePath);
    const res = await send(x, target, path, translated.body, translated.headers);
    if (!res.ok) return upstreamError(x, target, res);
    if (!stream) {
      const text = await readUpstreamText(res);
      const c = ctx(res.headers, translated.state);
      let msg: HubMessage;
      try {
        msg = chat.response(text, c);
      } catch (err) {
        if (err instanceof HttpError) throw err; // the adapter's own verdict (e.g. a blocked prompt)
        throw new HttpError(502, `upstream ${target.telemetryName} returned an answer the gateway could not read`, { code: "upstream_invalid_response" });
      }
      x.log.usage = msg.usage;
      x.log.responseModel = msg.model ?? model;
      return respond(x, new Response(openaiCompletion(msg, c), { status: 200, headers: JSON_HEADERS }));
    }
    x.log.status = 200; // the stream may end (and be logged) before this function returns
    const c = ctx(res.headers, translated.state);
    const writer = openaiChunkWriter(c);
    const streamBody = await translatedStream({
      upstream: res.body!,
      abort: () => x.abort(),
      startedAt: x.log.start,
      translator: chat.stream(c, writer),
      writer,
      onEnd: (o) => streamEnded(x, o, model),
    });
    return respondStream(x, streamBody, 200, sseHeaders(new Headers()));
  }

  const path = target.pathOverride ?? target.adapter.nativePath("completions", target.spec as never, model, target.basePath);
  if (path === undefined) {
    throw new HttpError(501, `chat completions are not implemented for provider ${target.telemetryName} yet`, { code: "provider_not_implemented" });
  }
  if (stream && !clientWantsUsage) {
    // ask for usage upstream (telemetry); the usage chunk is dropped before the client sees it
    req.stream_options = { ...(req.stream_options ?? {}), include_usage: true };
    changed = true;
  }
  const res = await send(x, target, path, changed ? JSON.stringify(req) : x.bodyBytes!);
  if (!res.ok) return upstreamError(x, target, res);
  const isSse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
  if (stream && isSse && res.body) {
    x.log.status = res.status; // the stream may end (and be logged) before this function returns
    const streamBody = await passthroughStream({
      upstream: res.body,
      clientWantsUsage,
      abort: () => x.abort(),
      startedAt: x.log.start,
      onEnd: (o) => streamEnded(x, o, model),
    });
    return respondStream(x, streamBody, res.status, sseHeaders(downstreamHeaders(res.headers)));
  }
  return relayJson(x, target, res);
}

/** A buffered OpenAI-format answer: checked to be JSON (502 otherwise), usage read for the log. */
async function relayJson(x: LlmExchange, target: ProviderTarget, res: Response): Promise<Response> {
  const text = await readUpstreamText(res);
  let parsed: { usage?: unknown; model?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(502, `upstream ${target.telemetryName} returned an answer that is not JSON`, { code: "upstream_invalid_response" });
  }
  x.log.usage = usageFromOpenAI(parsed?.usage);
  if (typeof parsed?.model === "string") x.log.responseModel = parsed.model;
  const headers = downstreamHeaders(res.headers);
  headers.set("content-type", "application/json");
  return respond(x, new Response(text, { status: res.status, headers }));
}

function streamEnded(x: LlmExchange, o: StreamOutcome, model: string): void {
  x.log.usage = o.usage;
  x.log.firstByteMs = o.firstByteMs;
  x.log.responseModel = o.responseModel ?? x.log.responseModel ?? model;
  if (o.error) x.log.error = o.error;
  x.done();
}

// ---------------------------------------------------------------------------------------------
// embeddings

async function serveEmbeddings(x: LlmExchange, target: ProviderTarget, body: Record<string, unknown>): Promise<Response> {
  if (typeof body.model !== "string" && target.model === undefined) {
    throw new HttpError(400, "request is missing string field 'model'", { code: "missing_model", param: "model" });
  }
  if (body.input === undefined) throw new HttpError(400, "request is missing field 'input'", { code: "missing_field", param: "input" });
  // embeddings keep the client's model: a provider pinned to a chat model still embeds (CONFIG.md)
  const model = alias(target, typeof body.model === "string" ? body.model : target.model!);
  x.log.requestModel = model;
  let changed = applyBodyPolicies(target, body);
  if (body.model !== model) {
    body.model = model;
    changed = true;
  }
  const emb = target.adapter.embeddings;
  if (emb) {
    const translated = emb.request(body, target.spec as never, model);
    const path = target.pathOverride ?? emb.path(target.spec as never, model, target.basePath);
    const bodies = Array.isArray(translated) ? translated : [translated];
    const answers = await sendEach(bodies.length, (i) => send(x, target, path, bodies[i]!.body, bodies[i]!.headers));
    const failed = answers.find((r) => !r.ok);
    if (failed) {
      for (const r of answers) if (r !== failed) r.body?.cancel().catch(() => {});
      return upstreamError(x, target, failed);
    }
    const texts = await Promise.all(answers.map(readUpstreamText));
    const text = Array.isArray(translated) ? `[${texts.join(",")}]` : texts[0]!;
    let out: { json: string; usage: Usage | undefined };
    try {
      out = emb.response(text, model, body, answers[0]!.headers);
    } catch {
      throw new HttpError(502, `upstream ${target.telemetryName} returned an answer the gateway could not read`, { code: "upstream_invalid_response" });
    }
    x.log.usage = out.usage;
    return respond(x, new Response(out.json, { headers: JSON_HEADERS }));
  }
  const path = target.pathOverride ?? target.adapter.nativePath("embeddings", target.spec as never, model, target.basePath);
  if (path === undefined) {
    throw new HttpError(400, `embeddings are not supported for provider ${target.telemetryName}`, { code: "unsupported_route" });
  }
  const res = await send(x, target, path, changed ? JSON.stringify(body) : x.bodyBytes!);
  if (!res.ok) return upstreamError(x, target, res);
  return relayJson(x, target, res);
}

/** Runs `count` upstream calls, at most four at a time, answers in call order; stops starting new ones after a failure. */
async function sendEach(count: number, call: (i: number) => Promise<Response>): Promise<Response[]> {
  const answers: Response[] = [];
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < count && !failed) {
      const i = next++;
      answers[i] = await call(i);
      if (!answers[i]!.ok) failed = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, count) }, worker));
  return answers.filter((r) => r !== undefined);
}

// ---------------------------------------------------------------------------------------------
// models

/** The upstream's own model list (for providers without a pinned model), in the OpenAI shape. */
async function upstreamModels(x: LlmExchange, target: ProviderTarget) {
  const translator = target.adapter.models;
  const path = translator
    ? translator.path(target.spec as never, target.basePath)
    : target.adapter.nativePath("models", target.spec as never, undefined, target.basePath);
  if (path === undefined) return [];
  const res = await send(x, target, path, null);
  if (!res.ok) {
    const { message } = await upstreamErrorResponse(res, target);
    throw new HttpError(res.status, message, { code: "upstream_models_failed" });
  }
  const text = await readUpstreamText(res);
  try {
    if (translator) {
      return translator.response(text).map((m) => ({ id: m.id, object: "model" as const, created: m.created ?? 0, owned_by: m.owned_by ?? target.telemetryName }));
    }
    const list = JSON.parse(text) as { data?: { id?: unknown; created?: unknown; owned_by?: unknown }[] };
    return (list.data ?? [])
      .filter((m) => typeof m.id === "string")
      .map((m) => ({
        id: m.id as string,
        object: "model" as const,
        created: typeof m.created === "number" ? m.created : 0,
        owned_by: typeof m.owned_by === "string" ? m.owned_by : target.telemetryName,
      }));
  } catch {
    throw new HttpError(502, `upstream ${target.telemetryName} returned a model list the gateway could not read`, { code: "upstream_invalid_response" });
  }
}

// ---------------------------------------------------------------------------------------------
// passthrough

/** Forwards the request as is (body streamed unless already read), the answer streamed back. */
async function forward(x: LlmExchange, target: ProviderTarget, path: string, body: Record<string, unknown> | undefined, pinModel: boolean): Promise<Response> {
  let payload: RequestBody | null = null;
  if (body !== undefined) {
    if (pinModel && typeof body.model === "string") {
      x.log.requestModel = body.model;
      body.model = target.model ?? alias(target, body.model);
    }
    payload = JSON.stringify(body);
  } else if (x.method !== "GET" && x.method !== "HEAD") {
    payload = x.req.body;
  }
  const res = await send(x, target, path, payload, undefined, x.query);
  if (!res.ok && !(res.headers.get("content-type") ?? "").includes("json")) {
    // a text/plain 404 or an HTML error page: wrapped so the SDKs can read it
    return upstreamError(x, target, res);
  }
  const headers = downstreamHeaders(res.headers);
  applyHeaderOps(headers, target.responseHeaders);
  x.log.status = res.status;
  if (!res.body) {
    x.done();
    return new Response(null, { status: res.status, headers });
  }
  return respondStream(x, relayBody(x, res.body), res.status, headers);
}

/** Streams a body through unchanged, noting when it ends for the access log. */
function relayBody(x: LlmExchange, body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (error?: string) => {
    if (ended) return;
    ended = true;
    if (error) x.log.error = error;
    x.done();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            end();
          } else controller.enqueue(value);
        } catch {
          end("upstream connection failed mid-body");
          controller.error(new Error("upstream connection failed"));
        }
      },
      cancel() {
        x.abort();
        reader.cancel().catch(() => {});
        end("client disconnected");
      },
    },
    { highWaterMark: 0 },
  );
}

// ---------------------------------------------------------------------------------------------
// shared plumbing

/** Reads the client's JSON body (within the size limit), keeping the bytes for an unchanged forward. */
async function readJson(x: LlmExchange): Promise<Record<string, unknown>> {
  x.bodyBytes = await readBody(x.req, x.maxBodyBytes);
  return parseJsonObject(x.bodyBytes);
}

/** A client path on a passthrough route, below the provider's base path (or the configured override). */
function passthroughPath(path: string, target: ProviderTarget): string {
  return target.pathOverride ?? target.passthroughPath(path);
}

/** Sends one upstream request (a buffered JSON body, a streamed passthrough body, or none). */
async function send(
  x: LlmExchange,
  target: ProviderTarget,
  path: string,
  payload: RequestBody | string | Uint8Array | null,
  extraHeaders?: Record<string, string>,
  query?: string,
): Promise<Response> {
  const url = upstreamUrl(target.origin, path, query);
  const headers = upstreamHeaders(x.req.headers, target.stripClientAuth);
  if (extraHeaders) for (const k in extraHeaders) headers.set(k, extraHeaders[k]!);
  // a JSON body the gateway buffered keeps the client's JSON content type (charset), or gets one
  if ((typeof payload === "string" || payload instanceof Uint8Array) && !headers.get("content-type")?.includes("json")) {
    headers.set("content-type", "application/json");
  }
  applyHeaderOps(headers, x.route.policies.requestHeaders);
  applyHeaderOps(headers, target.requestHeaders);
  const upstream: UpstreamRequest = { url, method: x.method, headers, body: payload as UpstreamRequest["body"] };
  if (target.auth) await target.auth(upstream, { clientHeaders: x.req.headers, signal: x.signal });
  target.adapter.finalizeHeaders?.(headers, target.spec as never);
  const streamedBody = upstream.body instanceof ReadableStream;
  if (!streamedBody) x.requestSent();
  const res = await callUpstream({ method: upstream.method, url: upstream.url, headers: upstream.headers, body: upstream.body as RequestBody | null, tls: target.tls, signal: x.signal });
  if (streamedBody) x.requestSent();
  if (isRedirect(res.status)) {
    // never followed: the redirect would carry the provider credential to another host
    res.body?.cancel().catch(() => {});
    throw new HttpError(502, `upstream ${target.telemetryName} answered with a redirect (HTTP ${res.status}); the gateway does not follow provider redirects`, {
      code: "upstream_redirect",
    });
  }
  return res;
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

async function upstreamError(x: LlmExchange, target: ProviderTarget, res: Response): Promise<Response> {
  const { response, message } = await upstreamErrorResponse(res, target);
  x.log.error = message.slice(0, 200);
  return respond(x, response);
}

async function readUpstreamText(res: Response): Promise<string> {
  try {
    return await res.text();
  } catch (err) {
    if ((err as Error)?.name === "TimeoutError") throw new HttpError(504, "upstream timed out sending its answer", { code: "upstream_timeout" });
    throw new HttpError(502, "upstream connection failed while sending its answer", { code: "upstream_incomplete_response" });
  }
}

function respond(x: LlmExchange, res: Response): Response {
  x.log.status = res.status;
  x.done();
  return res;
}

/** The response of a streamed body; the access log is written when the stream ends. */
function respondStream(x: LlmExchange, body: ReadableStream<Uint8Array> | Uint8Array, status: number, headers: Headers): Response {
  x.log.status = status;
  return new Response(body, { status, headers });
}

function sseHeaders(headers: Headers): Headers {
  headers.set("content-type", "text/event-stream");
  headers.set("cache-control", "no-cache");
  return headers;
}

/** `policies.ai` defaults (set when absent) and overrides (always set); true when the body changed. */
function applyBodyPolicies(target: ProviderTarget, body: Record<string, unknown>): boolean {
  const { defaults, overrides } = target.ai;
  let changed = false;
  if (defaults) for (const k in defaults) if (body[k] === undefined) ((body[k] = defaults[k]), (changed = true));
  if (overrides) for (const k in overrides) ((body[k] = overrides[k]), (changed = true));
  return changed;
}

function alias(target: ProviderTarget, model: string): string {
  const aliases = target.ai.modelAliases;
  if (!aliases) return model;
  for (const [from, to] of aliases) {
    if (from === model) return to;
    if (from.includes("*")) {
      const [pre, post] = from.split("*") as [string, string];
      if (model.startsWith(pre) && model.endsWith(post) && model.length >= pre.length + post.length) return to;
    }
  }
  return model;
}
