/**
 * Count-tokens requests (`/v1/messages/count_tokens`, `:countTokens`): passed through to the
 * provider's own counting endpoint when it has one for the client's format (Anthropic; Gemini and
 * Vertex), counted by the provider's own API through the hub where it has one (Bedrock's
 * CountTokens), else answered with a local estimate (count/estimate.ts documents its error
 * bound); in the client's shape (`{"input_tokens": N}` / `{"totalTokens": N}`), with
 * `x-agw-token-count: provider | estimate` saying which.
 */
import type { ProviderTarget } from "../config/model.ts";
import { answerText } from "../http/answer-body.ts";
import type { RequestContext } from "../server/context.ts";
import { bodyDraft, presentResponse, runPrepare } from "../policies/chain.ts";
import { callProvider } from "./call.ts";
import { estimateRequestTokens } from "./count/estimate.ts";
import { formatHeaders } from "./formats/headers.ts";
import { readMessages } from "./formats/anthropic.ts";
import { readGenerateContent } from "./formats/gemini.ts";
import { forwardNative } from "./passthrough.ts";
import { modelFromPath } from "./requested-model.ts";
import { firstAnswer } from "./targets.ts";
import type { ChatRequest, RouteType } from "./types.ts";

export async function serveCountTokens(ctx: RequestContext, targets: readonly ProviderTarget[], route: "anthropicTokenCount" | "geminiCountTokens"): Promise<Response> {
  const body = await ctx.json();
  const pathModel = modelFromPath(ctx.path);
  ctx.outcome.requested("count_tokens", typeof body.model === "string" ? body.model : pathModel);
  return await firstAnswer(ctx, targets, async (_c, target) => {
    if (target.provider.nativePath(route, target.model ?? (typeof body.model === "string" ? body.model : pathModel)) !== undefined) {
      return await forwardNative(ctx, target, route as RouteType, body);
    }
    const request = hubRequest(route, body, ctx);
    const draft = bodyDraft(request);
    runPrepare(target.policies, draft, ctx);
    const native = await providerCount(ctx, target, draft.body as ChatRequest);
    const tokens = native ?? estimateRequestTokens(draft.body as ChatRequest);
    const json = route === "anthropicTokenCount" ? { input_tokens: tokens } : { totalTokens: tokens };
    ctx.outcome.answered(200);
    ctx.outcome.finish();
    const res = new Response(JSON.stringify(json), { headers: { "content-type": "application/json", "x-agw-token-count": native === undefined ? "estimate" : "provider" } });
    return presentResponse(ctx.route.policies, presentResponse(target.policies, res, ctx), ctx);
  }, undefined);
}

/**
 * The provider's own count of a hub request (Bedrock's CountTokens), or undefined when it has
 * none or does not answer it (a model without counting support): the estimate is used then.
 */
async function providerCount(ctx: RequestContext, target: ProviderTarget, req: ChatRequest): Promise<number | undefined> {
  const counter = target.provider.countTokens;
  const model = target.model ?? req.model;
  if (!counter || typeof model !== "string") return undefined;
  const res = await callProvider(ctx, target, { path: counter.path(model), body: counter.request(req, model), clientHeaders: formatHeaders(target, model) });
  const text = await answerText(res, ctx.bufferLimit).catch(() => "");
  if (!res.ok) return undefined;
  try {
    const n = counter.response(text);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The count request as a hub request (Gemini's may wrap a whole `generateContentRequest`). */
function hubRequest(route: string, body: Record<string, unknown>, ctx: RequestContext): ChatRequest {
  const from = { path: ctx.path.replace(/:countTokens$/, ":generateContent"), query: "", headers: ctx.req.headers };
  if (route === "anthropicTokenCount") return readMessages(body).request;
  const inner = body.generateContentRequest;
  const request = inner && typeof inner === "object" ? (inner as Record<string, unknown>) : body;
  return readGenerateContent({ contents: [], ...request }, from).request;
}
