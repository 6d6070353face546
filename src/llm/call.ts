/** An upstream call to an LLM provider: redirects refused, the provider's header fix-ups applied. */
import type { ProviderTarget } from "../config/model.ts";
import { callTarget, type CallInit } from "../server/call.ts";
import type { RequestContext } from "../server/context.ts";

export type ProviderCall = Pick<CallInit, "path" | "query" | "body" | "headers" | "recordAttempt" | "clientHeaders">;

export function callProvider(ctx: RequestContext, target: ProviderTarget, call: ProviderCall): Promise<Response> {
  return callTarget(ctx, target, {
    ...call,
    finalize: target.provider.finalizeHeaders,
    redirects: "refuse",
    provider: target.provider.telemetryName,
    protocol: "llm",
  });
}
