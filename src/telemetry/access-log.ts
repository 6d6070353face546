/**
 * The access log: one line per exchange, written from its finished outcome record. Field names
 * follow agentgateway's; prompts, completions and credentials are never part of it.
 */
import type { Logger } from "./log.ts";
import type { ExchangeOutcome, OutcomeListener } from "./outcome.ts";

export function accessLog(logger: Logger): OutcomeListener {
  return (r) => writeAccessLog(logger, r);
}

export function writeAccessLog(logger: Logger, r: Readonly<ExchangeOutcome>): void {
  logger.line(r.status !== undefined && r.status >= 500 ? "warn" : "info", "request", {
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
    "agw.ai.time_to_first_token": r.firstByteMs === undefined ? undefined : `${Math.round(r.firstByteMs)}ms`,
    "retry.attempt": r.attempts > 1 ? r.attempts - 1 : undefined,
    error: r.error,
    reason: r.errorKind,
    duration: r.durationMs === undefined ? undefined : `${Math.round(r.durationMs)}ms`,
  });
}
