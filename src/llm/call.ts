/**
 * An upstream call to an LLM provider: redirects refused, the provider's header fix-ups applied,
 * and the answer screened by the candidate loop (a failure it moves on from ends the attempt here).
 */
import type { ProviderTarget } from "../config/model.ts";
import { callTarget, type CallInit } from "../server/call.ts";
import type { RequestContext } from "../server/context.ts";
import { screenAnswer, upstreamCalled } from "./failover/loop.ts";

export type ProviderCall = Pick<CallInit, "path" | "query" | "body" | "headers" | "recordAttempt" | "clientHeaders">;

/** Not async: the screening is the call's own last step (`screen`), so no frame of its own here. */
export function callProvider(ctx: RequestContext, target: ProviderTarget, call: ProviderCall): Promise<Response> {
  upstreamCalled(ctx);
  return callTarget(ctx, target, {
    ...call,
    finalize: target.provider.finalizeHeaders,
    redirects: "refuse",
    provider: target.provider.telemetryName,
    protocol: "llm",
    screen: screenAnswer,
  });
}
