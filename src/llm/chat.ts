/**
 * Chat completions, in three steps per candidate provider:
 *   prepare  a draft of the client's body (never the client's own object) through the target's
 *            `prepare` policies, the pinned model, and the provider's translation -> one upstream call
 *   send     the call (src/server/call.ts)
 *   present  the answer, translated (a JSON body or a stream) or passed through
 */
import type { ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { downstreamHeaders } from "../http/headers.ts";
import { bodyDraft, runHubRequest, runPrepare, runPresent } from "../policies/chain.ts";
import type { RequestContext } from "../server/context.ts";
import { answer, answerStream, JSON_HEADERS, readUpstreamText, relayJson, sseHeaders, streamEnded, upstreamError } from "./answer.ts";
import { callProvider } from "./call.ts";
import { checkChatRequest } from "./chat-request.ts";
import { keepAliveUntilAnswered } from "./stream/keep-alive.ts";
import { passthroughStream, translatedStream } from "./stream/pipeline.ts";
import { openaiChunkWriter, openaiCompletion } from "./hub/openai-writer.ts";
import type { ByteTranslator, HubMessage, HubWriter } from "./hub/parts.ts";
import { guardMessage, guardStream, relayGuardedJson, responseGuardsOf } from "./guard/answer.ts";
import type { GuardSet } from "./guard/types.ts";
import { openaiStreamTranslator } from "./guard/openai-parts.ts";
import { firstAnswer } from "./targets.ts";
import type { ChatRequest, StreamContext } from "./types.ts";

/** What `prepare` settled for one candidate. */
interface ChatCall {
  target: ProviderTarget;
  request: ChatRequest;
  model: string;
  stream: boolean;
  clientWantsUsage: boolean;
  /** the body as it goes upstream: the client's own bytes when nothing changed */
  body: string | Uint8Array;
  path: string;
  headers?: Record<string, string> | undefined;
  state?: unknown;
}

export async function serveChat(ctx: RequestContext, targets: readonly ProviderTarget[]): Promise<Response> {
  const client = checkChatRequest(await ctx.json());
  ctx.outcome.requested("chat", typeof client.model === "string" ? client.model : undefined);
  const answer = firstAnswer(ctx, targets, async (target) => {
    const call = await prepare(ctx, target, client);
    const res = await callProvider(ctx, target, { path: call.path, body: call.body, headers: call.headers });
    return present(ctx, call, res);
  });
  if (client.stream !== true) return answer;
  return keepAliveUntilAnswered(answer, ctx.streamKeepAliveMs, () => {
    const headers = sseHeaders(new Headers());
    runPresent(ctx.route.policies, headers, ctx);
    return headers;
  });
}

async function prepare(ctx: RequestContext, target: ProviderTarget, client: ChatRequest): Promise<ChatCall> {
  const draft = bodyDraft(client);
  runPrepare(target.policies, draft, ctx);
  await runHubRequest(target.policies, draft, ctx, target);
  const asked = draft.body.model;
  const model = target.model ?? (typeof asked === "string" ? asked : undefined);
  if (model === undefined) throw new HttpError(400, "request is missing string field 'model'", { code: "missing_model", param: "model" });
  if (asked !== model) draft.set("model", model);
  const request = draft.body as ChatRequest;
  const stream = request.stream === true;
  const clientWantsUsage = stream && request.stream_options?.include_usage === true;
  const base = { target, model, stream, clientWantsUsage };

  const chat = target.provider.chat;
  if (chat) {
    const translated = chat.request(request, model);
    const path = target.pathOverride ?? chat.path(model, stream);
    return { ...base, request, path, body: translated.body, headers: translated.headers, state: translated.state };
  }
  const path = target.pathOverride ?? target.provider.nativePath("completions", model);
  if (path === undefined) {
    throw new HttpError(501, `chat completions are not implemented for provider ${target.provider.telemetryName} yet`, { code: "provider_not_implemented" });
  }
  if (stream && !clientWantsUsage && usageWanted(ctx, target)) {
    // ask for usage upstream (telemetry, limits); the usage chunk is dropped before the client sees it
    draft.set("stream_options", { ...(request.stream_options ?? {}), include_usage: true });
  }
  const body = draft.changed ? JSON.stringify(draft.body) : await ctx.bytes();
  return { ...base, request: draft.body as ChatRequest, path, body };
}

/** Whether anything reads this exchange's token usage: the access log, metrics, a policy. */
function usageWanted(ctx: RequestContext, target: ProviderTarget): boolean {
  return ctx.usageWanted || ctx.route.consumesUsage || target.consumesUsage;
}

/**
 * An OpenAI-format stream nothing needs to read: the upstream body goes to the client untouched,
 * piped by Bun without a byte of it in JavaScript. The exchange's record is finished when the
 * answer starts (its end is not observed); a broken upstream reaches the client as a broken
 * connection, which the SDKs raise as a connection error.
 */
function zeroCopy(ctx: RequestContext, target: ProviderTarget, res: Response): Response {
  const response = answerStream(ctx, target, res.body!, res.status, sseHeaders(downstreamHeaders(res.headers)));
  ctx.outcome.finish();
  return response;
}

async function present(ctx: RequestContext, call: ChatCall, res: Response): Promise<Response> {
  const { target, model } = call;
  if (!res.ok) return upstreamError(ctx, target, res);
  const guards = responseGuardsOf(target);
  const chat = target.provider.chat;
  const streamCtx: StreamContext = { model, includeUsage: call.clientWantsUsage, created: Math.floor(ctx.deps.wallClock() / 1000), upstreamHeaders: res.headers, state: call.state };
  if (!chat) {
    const isSse = (res.headers.get("content-type") ?? "").includes("text/event-stream");
    if (!call.stream || !isSse || !res.body) return guards ? relayGuardedJson(guards, ctx, target, res) : relayJson(ctx, target, res);
    // the answer's text must be seen before the client gets it: read as hub parts
    if (guards?.streaming) return translated(ctx, call, res.body, streamCtx, openaiStreamTranslator, guards);
    if (!usageWanted(ctx, target)) return zeroCopy(ctx, target, res);
    const body = await passthroughStream({
      upstream: res.body,
      clientWantsUsage: call.clientWantsUsage,
      keepAliveMs: ctx.streamKeepAliveMs,
      startedAt: ctx.outcome.record.start,
      onEnd: (o) => streamEnded(ctx, o, model),
    });
    return answerStream(ctx, target, body, res.status, sseHeaders(downstreamHeaders(res.headers)));
  }
  if (!call.stream) {
    const text = await readUpstreamText(res);
    let msg: HubMessage;
    try {
      msg = chat.response(text, streamCtx);
    } catch (err) {
      if (err instanceof HttpError) throw err; // the adapter's own verdict (e.g. a blocked prompt)
      throw new HttpError(502, `upstream ${target.provider.telemetryName} returned an answer the gateway could not read`, { code: "upstream_invalid_response" });
    }
    if (guards) msg = await guardMessage(guards, msg, ctx);
    return answer(ctx, target, new Response(openaiCompletion(msg, streamCtx), { status: 200, headers: JSON_HEADERS }), { usage: msg.usage, responseModel: msg.model ?? model });
  }
  return translated(ctx, call, res.body!, streamCtx, (w) => chat.stream(streamCtx, w), guards?.streaming ? guards : undefined);
}

/** A stream read as hub parts and written for the client, through the response guards when they apply to streams. */
async function translated(ctx: RequestContext, call: ChatCall, upstream: ReadableStream<Uint8Array>, streamCtx: StreamContext, translate: (out: HubWriter) => ByteTranslator, guards: GuardSet | undefined): Promise<Response> {
  ctx.outcome.answered(200); // the stream may end (and finish the exchange) before this returns
  const client = openaiChunkWriter(streamCtx);
  const s = guards ? guardStream(guards, ctx, client, translate, upstream) : { writer: client, translator: translate(client), upstream };
  const body = await translatedStream({
    upstream: s.upstream,
    startedAt: ctx.outcome.record.start,
    translator: s.translator,
    writer: s.writer,
    keepAliveMs: ctx.streamKeepAliveMs,
    onEnd: (o) => streamEnded(ctx, o, call.model),
  });
  return answerStream(ctx, call.target, body, 200, sseHeaders(new Headers()));
}
