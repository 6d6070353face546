/**
 * Requests the gateway forwards as they are: passthrough routes (the client's path below the
 * provider's base path) and APIs the provider speaks in the client's own format (Anthropic
 * messages on Anthropic, OpenAI responses on OpenAI). Only the model (chat family), the
 * credentials and the headers change (and the gateway's own envelopes in a conversation another
 * provider answered, which this one could not verify: formats/native-envelopes.ts, and
 * formats/gemini-envelopes.ts for those in base64 in Gemini's thought signatures); the answer
 * streams back unchanged. A stream's head is read first when an error there could still be failed
 * over from: always for chat in the client's format (stream/native.ts), for other streams only
 * while another attempt could replace it (stream/held-head.ts).
 */
import type { ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { downstreamHeaders } from "../http/headers.ts";
import { bodyDraft, runPrepare } from "../policies/chain.ts";
import type { RequestContext } from "../server/context.ts";
import { answerStream, upstreamError, answer, readUpstreamBytes, readUpstreamText, streamEnded } from "./answer.ts";
import { callProvider } from "./call.ts";
import { answerAt, mayMoveOn, screenAnswer } from "./failover/loop.ts";
import { formatOfRoute, reshapeError } from "./formats/errors.ts";
import { nativeHeaders } from "./formats/headers.ts";
import { withoutEnvelopes } from "./formats/native-envelopes.ts";
import { scrub } from "./upstream-error.ts";
import { nativeUsageTap, type UsageTap } from "./formats/native-usage.ts";
import { modelFromPath } from "./requested-model.ts";
import { headJudge, readHead, type ByteReader, type HeadJudge } from "./stream/held-head.ts";
import { nativeStream, nativeStreamRoute, type NativeStreamRoute } from "./stream/native.ts";
import { firstAnswer } from "./targets.ts";
import type { RouteType } from "./types.ts";

/** A passthrough route: `detect` parses the JSON body (for its model) without changing it. */
export async function servePassthrough(ctx: RequestContext, targets: readonly ProviderTarget[], parse: boolean): Promise<Response> {
  const body = parse ? await ctx.json() : undefined;
  ctx.outcome.requested(undefined, typeof body?.model === "string" ? body.model : undefined);
  return await firstAnswer(ctx, targets, (c, target) => forward(c, target, "passthrough", target.pathOverride ?? target.passthroughPath(c.path), undefined), undefined);
}

/** An API the provider serves natively (count tokens, realtime...), or a 400 naming the route type. */
export async function serveNative(ctx: RequestContext, targets: readonly ProviderTarget[], routeType: RouteType): Promise<Response> {
  const client = routeType === "geminiCountTokens" || routeType === "anthropicTokenCount" ? await ctx.json() : undefined;
  ctx.outcome.requested(routeType, typeof client?.model === "string" ? client.model : modelFromPath(ctx.path));
  return await firstAnswer(
    ctx,
    targets,
    (c, target) => {
      if (target.provider.nativePath(routeType, target.model ?? modelFromPath(c.path)) === undefined) {
        throw new HttpError(400, `route type '${routeType}' is not supported for provider ${target.provider.telemetryName} yet`, { code: "unsupported_route" });
      }
      return forwardNative(c, target, routeType, client);
    },
    undefined,
  );
}

/**
 * A request in the provider's own format (`messages` on Anthropic, `responses` on OpenAI,
 * `generateContent` on Gemini...): the target's body policies and pinned model apply, the rest
 * passes through. Gemini names the model in the path: it is read from there (aliases apply to
 * it), and the upstream path is the provider's own for that model and the client's action.
 */
export async function forwardNative(ctx: RequestContext, target: ProviderTarget, route: RouteType, body: Record<string, unknown> | undefined): Promise<Response> {
  const pathModel = modelFromPath(ctx.path);
  if (pathModel === undefined || body === undefined) {
    const path = target.provider.nativePath(route, target.model)!;
    return await forward(ctx, target, route, target.pathOverride ?? path, body);
  }
  const draft = bodyDraft({ ...body, model: pathModel });
  runPrepare(target.policies, draft, ctx);
  const model = target.model ?? String(draft.body.model);
  // after the policies: what Gemini 3 needs in place of a foreign signature depends on the model they settle on
  const bytes = await ctx.bytes();
  withoutEnvelopes(route, draft, bytes, model);
  const { model: _inPath, ...native } = draft.body;
  const base = target.provider.nativePath(route, model)!;
  const path = ctx.path.endsWith(":streamGenerateContent") ? base.replace(/:generateContent$/, ":streamGenerateContent") : base;
  return await forward(ctx, target, route, target.pathOverride ?? path, native, draft.changed || model !== pathModel);
}

/**
 * Forwards to `path`; a chat-family body gets the target's body policies and pinned model
 * (`rewritten`: the body was already prepared and differs from the client's bytes).
 */
async function forward(ctx: RequestContext, target: ProviderTarget, route: RouteType, path: string, chat: Record<string, unknown> | undefined, rewritten?: boolean): Promise<Response> {
  let payload: string | Uint8Array | ReadableStream<Uint8Array> | null = null;
  if (chat && rewritten !== undefined) {
    payload = rewritten ? JSON.stringify(chat) : await ctx.bytes();
  } else if (chat) {
    const draft = bodyDraft(chat);
    const bytes = await ctx.bytes(); // read already: `chat` was parsed from them
    withoutEnvelopes(route, draft, bytes);
    runPrepare(target.policies, draft, ctx);
    if (target.model !== undefined && typeof draft.body.model === "string") draft.set("model", target.model);
    payload = draft.changed ? JSON.stringify(draft.body) : bytes;
  } else if (ctx.method !== "GET" && ctx.method !== "HEAD") {
    payload = ctx.bodyRead ? await ctx.bytes() : ctx.req.body;
  }
  // a Gemini client's key may ride in the query (`?key=`): never forwarded when the gateway has its own
  const query = target.stripClientAuth && (route === "generateContent" || route === "geminiCountTokens") ? withoutKey(ctx.query) : ctx.query;
  const res = await callProvider(ctx, target, { path, body: payload, query, clientHeaders: nativeHeaders(target) });
  if (!res.ok) return await relayError(ctx, target, route, res);
  const headers = downstreamHeaders(res.headers);
  if (!res.body) return answer(ctx, target, new Response(null, { status: res.status, headers }));
  const tap = res.ok && (ctx.usageWanted || ctx.route.consumesUsage || target.consumesUsage) ? nativeUsageTap(route) : undefined;
  const contentType = res.headers.get("content-type") ?? "";
  const native = res.ok && contentType.includes("text/event-stream") ? nativeStreamRoute(route) : undefined;
  if (native) return await answerNativeStream(ctx, target, res.body, native, tap, headers);
  if (WHOLE_ROUTES.has(route) && contentType.includes("json")) return await answerWhole(ctx, target, res, tap, headers);
  // only while another attempt could replace a failed answer: otherwise the relay reads nothing
  const judge = res.ok && mayMoveOn(ctx) ? headJudge(contentType) : undefined;
  if (judge) return await answerHeldStream(ctx, target, res, judge, tap, headers);
  return answerStream(ctx, target, relayBody(ctx, res.body.getReader(), tap), res.status, headers);
}

/**
 * A provider's error answer: its JSON in the provider's own shape (the client's), with any
 * credential of the target it quotes redacted (some proxies echo the request's headers back);
 * anything else (a text/plain 404, an HTML error page) wrapped so the SDKs can read it.
 */
async function relayError(ctx: RequestContext, target: ProviderTarget, route: RouteType, res: Response): Promise<Response> {
  if (!(res.headers.get("content-type") ?? "").includes("json")) return await reshapeError(formatOfRoute(route), await upstreamError(ctx, target, res));
  const text = scrub(await readUpstreamText(res, ctx.bufferLimit), target);
  return answer(ctx, target, new Response(text, { status: res.status, headers: downstreamHeaders(res.headers) }));
}

/** Routes whose JSON answers are one small document in the client's own format (see answerWhole). */
const WHOLE_ROUTES: ReadonlySet<RouteType> = new Set(["messages", "responses", "generateContent", "anthropicTokenCount", "geminiCountTokens"]);

/**
 * A whole (non-streamed) answer of a chat-family route, read before it is answered: a connection
 * that breaks mid-body is then a 502 in the client's shape, not a cut after a 200 (a client
 * cannot use part of one JSON document). Other passthrough answers (files, audio) stream on.
 */
async function answerWhole(ctx: RequestContext, target: ProviderTarget, res: Response, tap: UsageTap | undefined, headers: Headers): Promise<Response> {
  const bytes = await readUpstreamBytes(res, ctx.bufferLimit);
  tap?.push(bytes);
  const usage = tap?.end();
  return answer(ctx, target, new Response(bytes, { status: res.status, headers }), usage ? { usage, responseModel: tap?.model } : undefined);
}

/**
 * A passed-through stream (SSE or AWS event stream) another attempt could still replace: relayed
 * from its first content on (held-head.ts); an error before it is answered as the provider's HTTP
 * error, screened by the loop like one (which moves on from a 429 or 5xx).
 */
async function answerHeldStream(ctx: RequestContext, target: ProviderTarget, res: Response, judge: HeadJudge, tap: UsageTap | undefined, headers: Headers): Promise<Response> {
  const head = await readHead(res.body!, judge);
  if ("held" in head) return answerStream(ctx, target, relayBody(ctx, head.reader, tap, head.held), res.status, headers);
  const { status, body, headers: extra } = head.refusal;
  for (const name in extra) headers.set(name, extra[name]!);
  headers.set("content-type", "application/json");
  return answer(ctx, target, screenAnswer(ctx, target, new Response(body, { status, headers })));
}

/**
 * A chat stream in the client's own format: its head read before answering (pipeline.ts
 * `answerAt`: an error there is an HTTP error the candidate loop can move on from), then relayed
 * as it comes.
 */
async function answerNativeStream(ctx: RequestContext, target: ProviderTarget, upstream: ReadableStream<Uint8Array>, route: NativeStreamRoute, tap: UsageTap | undefined, headers: Headers): Promise<Response> {
  ctx.outcome.answered(200); // the stream may end (and finish the exchange) before this returns
  const body = await nativeStream({
    upstream,
    route,
    tap,
    keepAliveMs: ctx.streamKeepAliveMs,
    answerAt: answerAt(ctx),
    startedAt: ctx.outcome.record.start,
    onEnd: (o) => streamEnded(ctx, o, target.model ?? ""),
  });
  return answerStream(ctx, target, body, 200, headers);
}

/**
 * Streams a body through unchanged (usage read on the way when `tap`), finishing the exchange when
 * it ends; `head`: bytes already read from `reader`, sent first.
 */
function relayBody(ctx: RequestContext, reader: ByteReader, tap: UsageTap | undefined, head?: Uint8Array): ReadableStream<Uint8Array> {
  let opening = head !== undefined && head.byteLength > 0 ? head : undefined;
  const end = (error?: string) => {
    const usage = tap?.end();
    if (usage) ctx.outcome.answered(ctx.outcome.record.status ?? 200, { usage, responseModel: tap?.model });
    if (error) ctx.outcome.failed(ctx.outcome.record.status ?? 200, error === "client disconnected" ? "client_closed" : "stream", error);
    ctx.outcome.finish();
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (opening) {
          tap?.push(opening);
          controller.enqueue(opening);
          opening = undefined;
          return;
        }
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            end();
          } else {
            tap?.push(value);
            controller.enqueue(value);
          }
        } catch {
          end("upstream connection failed mid-body");
          controller.error(new Error("upstream connection failed"));
        }
      },
      cancel() {
        reader.cancel().catch(() => {});
        end("client disconnected");
      },
    },
    { highWaterMark: 0 },
  );
}

function withoutKey(query: string): string {
  const q = new URLSearchParams(query);
  q.delete("key");
  return q.toString();
}
