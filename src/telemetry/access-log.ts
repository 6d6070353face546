/**
 * The access log: one line per exchange, written from its finished outcome record. Field names
 * follow agentgateway's; prompts, completions and credentials are never part of it.
 */
import type { Logger } from "./log.ts";
import type { ExchangeOutcome, OutcomeListener } from "./outcome.ts";
import { usdString as usd } from "./cost/cost.ts";

/** The fields that carry token usage (what makes the gateway read a stream's usage for the log). */
export const USAGE_FIELDS = [
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.cache_read.input_tokens",
  "gen_ai.usage.cache_creation.input_tokens",
  "gen_ai.usage.output_tokens",
  "gen_ai.usage.reasoning_tokens",
] as const;

/** The access log as an outcome listener; `remove` names fields never written. */
export function accessLog(logger: Logger, remove: () => ReadonlySet<string>): OutcomeListener {
  return (r) => {
    if (r.custom?.unlogged) return;
    logger.line(r.status !== undefined && r.status >= 500 ? "warn" : "info", "request", () => {
      const fields = accessLogFields(r);
      if (r.custom) Object.assign(fields, r.custom.log);
      // undefined, not deleted: the line skips it, and the object keeps its shape (a delete makes
      // it a dictionary, slower to write out)
      const removed = remove();
      if (removed.size > 0) for (const name of removed) fields[name] = undefined;
      return fields;
    });
  };
}

export function accessLogFields(r: Readonly<ExchangeOutcome>): Record<string, unknown> {
  return {
    bind: r.bind,
    listener: r.listener,
    route: r.route,
    endpoint: r.endpoint,
    "http.method": r.method,
    "http.path": r.path,
    "http.status": r.status,
    protocol: r.protocol,
    "gen_ai.operation.name": r.operation,
    "gen_ai.provider.name": r.provider,
    "gen_ai.request.model": r.requestModel,
    "gen_ai.response.model": r.responseModel,
    "gen_ai.usage.input_tokens": r.usage?.inputTokens,
    "gen_ai.usage.cache_read.input_tokens": r.usage?.cachedInputTokens,
    "gen_ai.usage.cache_creation.input_tokens": r.usage?.cacheWriteInputTokens,
    "gen_ai.usage.output_tokens": r.usage?.outputTokens,
    "gen_ai.usage.reasoning_tokens": r.usage?.reasoningTokens,
    "agw.ai.usage.cost.total": r.cost?.status === "Exact" ? usd(r.cost.total) : undefined,
    "agw.ai.time_to_first_token": r.firstByteMs === undefined ? undefined : `${Math.round(r.firstByteMs)}ms`,
    "retry.attempt": r.attempts > 1 ? r.attempts - 1 : undefined,
    error: r.error,
    reason: r.errorKind,
    duration: r.durationMs === undefined ? undefined : `${Math.round(r.durationMs)}ms`,
  };
}
