/**
 * Presenting a chat answer: an upstream error (in the client's shape), an OpenAI-format answer
 * passed through to an OpenAI client (zero copy when nothing reads it), or an answer read into
 * the hub (the provider's translator, or the OpenAI reader for other clients on OpenAI-format
 * upstreams) and written by the client format's writer.
 */
import type { ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { downstreamHeaders } from "../http/headers.ts";
import type { RequestContext } from "../server/context.ts";
import { answer, answerStream, JSON_HEADERS, readUpstreamText, relayJson, sseHeaders, streamEnded, upstreamError } from "./answer.ts";
import type { ChatClient } from "./chat.ts";
import { answerAt, mayMoveOn } from "./failover/loop.ts";
import { reshapeError } from "./formats/errors.ts";
import type { WriterContext } from "./formats/types.ts";
import { openaiChunkWriter, openaiCompletion } from "./hub/openai-writer.ts";
import { collectMessage } from "./hub/message-collector.ts";
import type { ByteTranslator, ClientStreamWriter, HubMessage, HubWriter } from "./hub/parts.ts";
import { guardMessage, guardStream, relayGuardedJson, responseGuardsOf } from "./guard/answer.ts";
import type { GuardSet } from "./guard/types.ts";
import { fromOpenAICompletion } from "./providers/openai/response.ts";
import { openaiStream } from "./providers/openai/stream.ts";
import { passthroughStream, translatedStream } from "./stream/relays.ts";
import { errorInAnswer } from "./upstream-error.ts";
import { declaresStream, streamOrWhole, type StreamRead } from "./stream/whole-answer.ts";
import type { ChatRequest, StreamContext } from "./types.ts";

/** How an upstream's answers are read into the hub. */
export interface HubChat {
  response(body: string, ctx: StreamContext): HubMessage;
  stream(ctx: StreamContext, out: HubWriter): ByteTranslator;
}

/** OpenAI-format answers read into the hub (for clients of another format, and OpenAI clients whose answer must be reshaped). */
export const OPENAI_HUB: HubChat = { response: fromOpenAICompletion, stream: openaiStream };

/** What `prepare` settled for one candidate. */
export interface ChatCall {
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
  /** the reader of the upstream's answer; undefined: an OpenAI client on an OpenAI-format upstream */
  hub: HubChat | undefined;
}

export function present(ctx: RequestContext, call: ChatCall, res: Response, client: ChatClient): Promise<Response> {
  if (!res.ok) return presentError(ctx, call.target, res, client);
  // (an OpenAI client's answer from an OpenAI-format upstream, the commonest, has no async frame here)
  if (!call.hub) return passThrough(ctx, call, res, client);
  return presentHub(ctx, call, call.hub, res, client);
}

async function presentError(ctx: RequestContext, target: ProviderTarget, res: Response, client: ChatClient): Promise<Response> {
  const err = await upstreamError(ctx, target, res);
  return client.format ? await reshapeError(client.format.name, err) : err;
}

/** An answer read into the hub and written for the client. */
async function presentHub(ctx: RequestContext, call: ChatCall, hub: HubChat, res: Response, client: ChatClient): Promise<Response> {
  const { target, model } = call;
  const format = client.format;
  const guards = responseGuardsOf(target);
  const streamCtx = streamContext(ctx, call, res);
  const writerCtx: WriterContext = { model, created: streamCtx.created, state: client.read.state };
  if (!call.stream) {
    let msg = await readWhole(ctx, call, res, hub, streamCtx);
    if (guards) msg = await guardMessage(guards, msg, ctx);
    const json = format ? format.whole(msg, writerCtx) : openaiCompletion(msg, streamCtx);
    return answer(ctx, target, new Response(json, { status: 200, headers: JSON_HEADERS }), { usage: msg.usage, responseModel: msg.model ?? model });
  }
  const writer = format ? format.writer(writerCtx) : openaiChunkWriter(streamCtx);
  const contentType = res.headers.get("content-type");
  // an answer not declared a stream may be a whole one: held until its content, so that a failure to read it is a real HTTP error
  const hold = !declaresStream(contentType);
  const read: StreamRead = { contentType, reader: hub, ctx: streamCtx, limit: ctx.bufferLimit, target };
  return await translated(ctx, call, res.body!, writer, (out) => streamOrWhole(read, out), guards?.streaming ? guards : undefined, hold);
}

/**
 * The whole answer to a request that did not stream: its JSON, or the events of an upstream that
 * streamed anyway (some OpenAI-compatible servers always do), gathered into the same answer.
 */
async function readWhole(ctx: RequestContext, call: ChatCall, res: Response, hub: HubChat, streamCtx: StreamContext): Promise<HubMessage> {
  const text = await readUpstreamText(res, ctx.bufferLimit);
  try {
    if (!isEventStream(res) && !/^\s*(data|event):/.test(text)) return hub.response(text, streamCtx);
    const collected = collectMessage();
    const events = hub.stream(streamCtx, collected);
    events.push(new TextEncoder().encode(text));
    events.end();
    return collected.message();
  } catch (err) {
    if (err instanceof HttpError) throw err; // the adapter's own verdict (e.g. a blocked prompt), or the stream's failure
    throw errorInAnswer(text, call.target) ?? new HttpError(502, `upstream ${call.target.provider.telemetryName} returned an answer the gateway could not read`, { code: "upstream_invalid_response" });
  }
}

function isEventStream(res: Response): boolean {
  return declaresStream(res.headers.get("content-type"));
}

function streamContext(ctx: RequestContext, call: ChatCall, res: Response): StreamContext {
  return { model: call.model, includeUsage: call.clientWantsUsage, created: Math.floor(ctx.deps.wallClock() / 1000), upstreamHeaders: res.headers, state: call.state };
}

/** A stream read as hub parts and written for the client, through the response guards when they apply to streams. */
async function translated(
  ctx: RequestContext,
  call: ChatCall,
  upstream: ReadableStream<Uint8Array>,
  client: ClientStreamWriter,
  translate: (out: HubWriter) => ByteTranslator,
  guards: GuardSet | undefined,
  holdForContent = false,
): Promise<Response> {
  ctx.outcome.answered(200); // the stream may end (and finish the exchange) before this returns
  const s = guards ? guardStream(guards, ctx, client, translate, upstream) : { writer: client, translator: translate(client), upstream };
  const body = await translatedStream({
    upstream: s.upstream,
    startedAt: ctx.outcome.record.start,
    translator: s.translator,
    writer: s.writer,
    keepAliveMs: ctx.streamKeepAliveMs,
    // a guard that may still refuse the answer holds it too: refused before any content, the
    // client gets the rejection's status
    answerAt: guards || holdForContent ? "content" : answerAt(ctx),
    onEnd: (o) => streamEnded(ctx, o, call.model),
  });
  return answerStream(ctx, call.target, body, 200, sseHeaders(new Headers()));
}

/** Whether anything reads this exchange's token usage: the access log, metrics, a policy. */
export function usageWanted(ctx: RequestContext, target: ProviderTarget): boolean {
  return ctx.usageWanted || ctx.route.consumesUsage || target.consumesUsage;
}

/**
 * An OpenAI client's answer from an OpenAI-format upstream: relayed, usage read when wanted. An
 * answer of the other shape than asked for (one JSON completion to a streamed request, events to
 * one that did not stream) is read into the hub and written in the shape the client asked for.
 */
function passThrough(ctx: RequestContext, call: ChatCall, res: Response, client: ChatClient): Promise<Response> {
  const { target } = call;
  // (`res.body` only after the cheap test: touching it makes a stream object Bun's own read of a JSON answer does without)
  if (call.stream !== isEventStream(res) && res.body) return presentHub(ctx, call, OPENAI_HUB, res, client);
  const guards = responseGuardsOf(target);
  if (!call.stream || !res.body) return guards ? relayGuardedJson(guards, ctx, target, res) : relayJson(ctx, target, res, "choices");
  return passThroughStream(ctx, call, res, res.body, guards);
}

async function passThroughStream(ctx: RequestContext, call: ChatCall, res: Response, upstream: ReadableStream<Uint8Array>, guards: GuardSet | undefined): Promise<Response> {
  const { target, model } = call;
  if (guards?.streaming) {
    // the answer's text must be seen before the client gets it: read as hub parts
    const streamCtx = streamContext(ctx, call, res);
    return await translated(ctx, call, upstream, openaiChunkWriter(streamCtx), (w) => openaiStream(streamCtx, w), guards);
  }
  // untouched bytes are answered on the upstream's headers: not while another provider may still answer instead
  if (!usageWanted(ctx, target) && !mayMoveOn(ctx)) return zeroCopy(ctx, target, res);
  const body = await passthroughStream({
    upstream,
    clientWantsUsage: call.clientWantsUsage,
    keepAliveMs: ctx.streamKeepAliveMs,
    answerAt: answerAt(ctx),
    startedAt: ctx.outcome.record.start,
    onEnd: (o) => streamEnded(ctx, o, model),
  });
  return answerStream(ctx, target, body, res.status, sseHeaders(downstreamHeaders(res.headers)));
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
