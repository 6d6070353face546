/**
 * Count-tokens requests (`/v1/messages/count_tokens`, `:countTokens`): passed through to the
 * provider's own counting endpoint when it has one for the client's format (Anthropic; Gemini and
 * Vertex), else answered by the gateway with a local estimate (count/estimate.ts documents its
 * error bound) in the client's shape: `{"input_tokens": N}` / `{"totalTokens": N}`.
 */
import type { ProviderTarget } from "../config/model.ts";
import type { RequestContext } from "../server/context.ts";
import { runPresent } from "../policies/chain.ts";
import { bodyDraft, runPrepare } from "../policies/chain.ts";
import { estimateRequestTokens } from "./count/estimate.ts";
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
  return firstAnswer(ctx, targets, async (target) => {
    if (target.provider.nativePath(route, target.model ?? (typeof body.model === "string" ? body.model : pathModel)) !== undefined) {
      return forwardNative(ctx, target, route as RouteType, body);
    }
    const request = hubRequest(route, body, ctx);
    const draft = bodyDraft(request);
    runPrepare(target.policies, draft, ctx);
    const tokens = estimateRequestTokens(draft.body as ChatRequest);
    const json = route === "anthropicTokenCount" ? { input_tokens: tokens } : { totalTokens: tokens };
    ctx.outcome.answered(200);
    ctx.outcome.finish();
    const res = new Response(JSON.stringify(json), { headers: { "content-type": "application/json", "x-agw-token-count": "estimate" } });
    runPresent(target.policies, res.headers, ctx);
    runPresent(ctx.route.policies, res.headers, ctx);
    return res;
  });
}

/** The count request as a hub request (Gemini's may wrap a whole `generateContentRequest`). */
function hubRequest(route: string, body: Record<string, unknown>, ctx: RequestContext): ChatRequest {
  const from = { path: ctx.path.replace(/:countTokens$/, ":generateContent"), query: "", headers: ctx.req.headers };
  if (route === "anthropicTokenCount") return readMessages(body).request;
  const inner = body.generateContentRequest;
  const request = inner && typeof inner === "object" ? (inner as Record<string, unknown>) : body;
  return readGenerateContent({ contents: [], ...request }, from).request;
}
