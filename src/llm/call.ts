/**
 * An upstream call to an LLM provider: redirects refused, the provider's header fix-ups applied,
 * and the answer screened by the candidate loop (a failure it moves on from ends the attempt here).
 */
import type { ProviderTarget } from "../config/model.ts";
import { callTarget, type CallInit } from "../server/call.ts";
import type { RequestContext } from "../server/context.ts";
import { screenAnswer, upstreamCalled } from "./failover/loop.ts";

export type ProviderCall = Pick<CallInit, "path" | "query" | "body" | "headers" | "recordAttempt" | "clientHeaders">;

export async function callProvider(ctx: RequestContext, target: ProviderTarget, call: ProviderCall): Promise<Response> {
  upstreamCalled(ctx);
  const res = await callTarget(ctx, target, {
    ...call,
    finalize: target.provider.finalizeHeaders,
    redirects: "refuse",
    provider: target.provider.telemetryName,
    protocol: "llm",
  });
  return screenAnswer(ctx, target, res);
}
