/**
 * Presenting answers to the client: buffered JSON, streams (whose end finishes the exchange),
 * upstream errors in the OpenAI shape; every one through the target's and the route's `present`
 * hooks, and recorded in the exchange's outcome.
 */
import type { ProviderTarget } from "../config/model.ts";
import { answerBytes, answerText } from "../http/answer-body.ts";
import { HttpError } from "../http/errors.ts";
import { downstreamHeaders } from "../http/headers.ts";
import { presentAnswer } from "../server/call.ts";
import type { RequestContext } from "../server/context.ts";
import type { StreamOutcome } from "./stream/pipeline.ts";
import type { Usage } from "./types.ts";
import { errorInAnswer, upstreamErrorResponse } from "./upstream-error.ts";
import { usageFromOpenAI } from "./usage.ts";

export const JSON_HEADERS = { "content-type": "application/json" };

/** A complete answer: recorded, presented, and the exchange finished. */
export function answer(ctx: RequestContext, target: ProviderTarget, res: Response, details?: { usage?: Usage | undefined; responseModel?: string | undefined }): Response {
  ctx.outcome.answered(res.status, details);
  const presented = presentAnswer(ctx, target, res);
  ctx.outcome.finish();
  return presented;
}

/** A streamed answer: its status is recorded now, the rest when the stream ends (see `streamEnded`). */
export function answerStream(ctx: RequestContext, target: ProviderTarget, body: ReadableStream<Uint8Array> | Uint8Array | string, status: number, headers: Headers): Response {
  ctx.outcome.answered(status);
  return presentAnswer(ctx, target, new Response(body, { status, headers }));
}

/** The pipeline's report of a finished stream, into the outcome; the exchange is over. */
export function streamEnded(ctx: RequestContext, o: StreamOutcome, model: string): void {
  ctx.outcome.answered(ctx.outcome.record.status ?? 200, { usage: o.usage, responseModel: o.responseModel ?? ctx.outcome.record.responseModel ?? model, firstByteMs: o.firstByteMs });
  if (o.error) ctx.outcome.failed(ctx.outcome.record.status ?? 200, o.error === "client disconnected" ? "client_closed" : "stream", o.error);
  ctx.outcome.finish();
}

export function sseHeaders(headers: Headers): Headers {
  headers.set("content-type", "text/event-stream");
  headers.set("cache-control", "no-cache");
  return headers;
}

/** A non-2xx upstream answer in the OpenAI shape, with the upstream's status. */
export async function upstreamError(ctx: RequestContext, target: ProviderTarget, res: Response): Promise<Response> {
  const { response, message } = await upstreamErrorResponse(res, target);
  ctx.outcome.failed(res.status, "upstream_status", message);
  const presented = presentAnswer(ctx, target, response);
  ctx.outcome.finish();
  return presented;
}

/** An answer's body read whole within `limit` bytes (the route's buffer limit: 502 beyond it). */
export function readUpstreamText(res: Response, limit: number): Promise<string> {
  // a promise chain, not an async function: one frame fewer on every buffered answer
  return answerText(res, limit).catch(rethrowReadFailure);
}

/** An answer's body read whole, as bytes (limit and failures as for readUpstreamText). */
export function readUpstreamBytes(res: Response, limit: number): Promise<Uint8Array> {
  return answerBytes(res, limit).catch(rethrowReadFailure);
}

function rethrowReadFailure(err: unknown): never {
  throw err instanceof HttpError ? err : readFailure(err);
}

/** Reading an answer's body failed: it timed out (504) or the connection broke (502). */
function readFailure(err: unknown): HttpError {
  if ((err as Error)?.name === "TimeoutError") return new HttpError(504, "upstream timed out sending its answer", { code: "upstream_timeout" });
  return new HttpError(502, "upstream connection failed while sending its answer", { code: "upstream_incomplete_response" });
}

/**
 * An OpenAI-format answer's JSON, when it is an object whose `list` member is an array (the
 * `choices` of a chat completion, the `data` of an embedding list): what the client's SDK reads.
 * Anything else (not JSON, `null`, `choices: "x"`) is the upstream's fault, a 502, never relayed
 * as a success.
 */
export function parseOpenAIAnswer(text: string, target: ProviderTarget, list: "choices" | "data"): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(502, `upstream ${target.provider.telemetryName} returned an answer that is not JSON`, { code: "upstream_invalid_response" });
  }
  if (parsed === null || typeof parsed !== "object" || !Array.isArray((parsed as Record<string, unknown>)[list])) {
    throw errorInAnswer(text, target) ?? new HttpError(502, `upstream ${target.provider.telemetryName} returned an answer without a '${list}' list`, { code: "upstream_invalid_response" });
  }
  return parsed as Record<string, unknown>;
}

/** A buffered OpenAI-format answer: checked to be one (502 otherwise: parseOpenAIAnswer), usage read for the outcome. */
export async function relayJson(ctx: RequestContext, target: ProviderTarget, res: Response, list: "choices" | "data"): Promise<Response> {
  const text = await readUpstreamText(res, ctx.bufferLimit);
  const parsed: { usage?: unknown; model?: unknown } = parseOpenAIAnswer(text, target, list);
  const headers = downstreamHeaders(res.headers);
  headers.set("content-type", "application/json");
  return answer(ctx, target, new Response(text, { status: res.status, headers }), {
    usage: usageFromOpenAI(parsed?.usage),
    responseModel: typeof parsed?.model === "string" ? parsed.model : undefined,
  });
}
