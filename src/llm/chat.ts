/**
 * Chat, for every client format, in three steps per candidate provider:
 *   prepare  the hub request (the client's body for OpenAI clients, the format reader's
 *            translation for the others) drafted through the target's `prepare` policies and the
 *            pinned model, fitted to the provider (formats/adapt.ts), and translated -> one call
 *   send     the call (src/server/call.ts)
 *   present  the answer, through the hub to the client's writer, or passed through (chat-present.ts)
 * A provider that speaks the client's own format natively (Anthropic for Messages, OpenAI and
 * Azure for Responses, Gemini and Vertex for generateContent) gets the request as it is instead
 * (passthrough.ts).
 */
import type { ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { bodyDraft, runHubRequest, runPrepare, runPresent, runUpstreamBody } from "../policies/chain.ts";
import type { BodyDraft } from "../policies/types.ts";
import type { RequestContext } from "../server/context.ts";
import { sseHeaders } from "./answer.ts";
import { callProvider } from "./call.ts";
import { checkChatRequest } from "./chat-request.ts";
import { OPENAI_HUB, present, usageWanted, type ChatCall } from "./chat-present.ts";
import { adaptRequest } from "./formats/adapt.ts";
import { clientErrorEvent } from "./formats/errors.ts";
import { fitDialect, fitOutputCap, takesStreamOptions } from "./formats/dialect.ts";
import { formatHeaders } from "./formats/headers.ts";
import type { ClientFormat, ClientFormatName, HubRead } from "./formats/types.ts";
import { forwardNative } from "./passthrough.ts";
import { keepAliveUntilAnswered, type LateAnswer } from "./stream/keep-alive.ts";
import { firstAnswer } from "./targets.ts";
import type { ChatRequest } from "./types.ts";

/** The request as the client sent it, and as the hub reads it. */
export interface ChatClient {
  /** undefined: an OpenAI chat-completions client */
  format: ClientFormat | undefined;
  read: HubRead;
  /** the client's own body (native passthrough) */
  body: Record<string, unknown>;
}

export async function serveChat(ctx: RequestContext, targets: readonly ProviderTarget[]): Promise<Response> {
  const body = await ctx.json();
  const request = checkChatRequest(body);
  return serveClient(ctx, targets, { format: undefined, read: { request, stream: request.stream === true }, body });
}

/** A client of another format than OpenAI chat completions. */
export async function serveFormat(ctx: RequestContext, targets: readonly ProviderTarget[], format: ClientFormat): Promise<Response> {
  const body = await ctx.json();
  const read = format.read(body, { path: ctx.path, query: ctx.query, headers: ctx.req.headers });
  return serveClient(ctx, targets, { format, read, body });
}

function serveClient(ctx: RequestContext, targets: readonly ProviderTarget[], client: ChatClient): Promise<Response> {
  const asked = client.read.request.model;
  ctx.outcome.requested("chat", typeof asked === "string" ? asked : undefined);
  const answer = firstAnswer(ctx, targets, attemptChat, client);
  // (a Gemini stream without alt=sse is a JSON array, passed through: not an event stream, no comments in it)
  if (!client.read.stream) return answer;
  // a silent upstream: keep-alive comments until the answer starts (then errors are events)
  return keepAliveUntilAnswered(answer, ctx.streamKeepAliveMs, lateAnswer, { ctx, format: client.format?.name, model: typeof asked === "string" ? asked : "" });
}

/** One candidate's attempt at a chat request: natively when it speaks the client's format, else prepared, called, presented. */
async function attemptChat(ctx: RequestContext, target: ProviderTarget, client: ChatClient): Promise<Response> {
  const format = client.format;
  if (format && !shapesHub(target) && target.provider.nativePath(format.nativeRoute, target.model ?? client.read.request.model) !== undefined) {
    return forwardNative(ctx, target, format.nativeRoute, client.body);
  }
  const prepared = prepare(ctx, target, client);
  const call = prepared instanceof Promise ? await prepared : prepared;
  const body = runUpstreamBody(target.policies, call.body, ctx);
  const res = await callProvider(ctx, target, { path: call.path, body, headers: call.headers, clientHeaders: format ? formatHeaders(target, call.model) : undefined });
  return present(ctx, call, res, client);
}

/** The headers and error event of a keep-alive answer (module-level: see keepAliveUntilAnswered). */
function lateAnswer({ ctx, format, model }: { ctx: RequestContext; format: ClientFormatName | undefined; model: string }): LateAnswer {
  const headers = sseHeaders(new Headers());
  runPresent(ctx.route.policies, headers, ctx);
  return { headers, errorEvent: format ? (...e) => clientErrorEvent(format, ...e, model) : undefined };
}

/**
 * Prompts, cache markers and guards work on the hub request and the hub's answer parts: a target
 * with them goes through the hub even when it speaks the client's format natively.
 */
function shapesHub(target: ProviderTarget): boolean {
  return target.policies.some((p) => p.hubRequest !== undefined || p.guards !== undefined);
}

/** Synchronous unless a `hubRequest` hook waits (a guard service): no async frame or turn for the others. */
function prepare(ctx: RequestContext, target: ProviderTarget, client: ChatClient): ChatCall | Promise<ChatCall> {
  const draft = bodyDraft(client.read.request);
  runPrepare(target.policies, draft, ctx);
  const hubbed = runHubRequest(target.policies, draft, ctx, target);
  return hubbed ? draftedLater(hubbed, ctx, target, client, draft) : drafted(ctx, target, client, draft);
}

/** (its own function: a closure in `prepare` would give every call a scope object) */
function draftedLater(hubbed: Promise<void>, ctx: RequestContext, target: ProviderTarget, client: ChatClient, draft: BodyDraft): Promise<ChatCall> {
  return hubbed.then(() => drafted(ctx, target, client, draft));
}

/** The call, once every hook has drafted the body. */
function drafted(ctx: RequestContext, target: ProviderTarget, client: ChatClient, draft: BodyDraft): ChatCall {
  const asked = draft.body.model;
  const model = target.model ?? (typeof asked === "string" ? asked : undefined);
  if (model === undefined) throw new HttpError(400, "request is missing string field 'model'", { code: "missing_model", param: "model" });
  if (asked !== model) draft.set("model", model);
  if (client.read.nativeOnly) throw client.read.nativeOnly;
  let request = draft.body as ChatRequest;
  if (client.format) request = adaptRequest(client.read, request, target, model, ctx.req.headers);
  const stream = client.read.stream;
  const clientWantsUsage = !client.format && stream && request.stream_options?.include_usage === true;
  const base = { target, model, stream, clientWantsUsage };

  const chat = target.provider.chat;
  if (chat) {
    const translated = chat.request(request, model);
    const path = target.pathOverride ?? chat.path(model, stream);
    return { ...base, request, path, body: translated.body, headers: translated.headers, state: translated.state, hub: chat };
  }
  const path = target.pathOverride ?? target.provider.nativePath("completions", model);
  if (path === undefined) {
    throw new HttpError(501, `chat completions are not implemented for provider ${target.provider.telemetryName} yet`, { code: "provider_not_implemented" });
  }
  if (client.format) return { ...base, request, path, body: JSON.stringify(request), hub: OPENAI_HUB };
  const dialect = target.provider.openaiDialect;
  if (stream && !clientWantsUsage && usageWanted(ctx, target) && takesStreamOptions(dialect)) {
    // ask for usage upstream (telemetry, limits); the usage chunk is dropped before the client sees it
    draft.set("stream_options", { ...(request.stream_options ?? {}), include_usage: true });
  }
  fitOutputCap(draft, model);
  if (dialect) fitDialect(draft, dialect);
  // unchanged: the client's own bytes, which json() kept when it parsed them (serveChat read them)
  const body = draft.changed || !ctx.parsedBytes ? JSON.stringify(draft.body) : ctx.parsedBytes;
  return { ...base, request: draft.body as ChatRequest, path, body, hub: undefined };
}
