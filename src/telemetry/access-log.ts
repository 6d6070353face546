/**
 * The access-log record of one request, filled in as the request is handled and written once
 * when it ends (for streams: when the stream ends). Field names follow agentgateway's; prompts,
 * completions and credentials are never part of it.
 */
import type { Usage } from "../llm/types.ts";
import type { Logger } from "./log.ts";

export interface AccessRecord {
  start: number;
  bind: number;
  listener?: string;
  route?: string;
  endpoint?: string;
  method: string;
  path: string;
  status?: number;
  protocol?: "llm" | "http";
  operation?: string;
  provider?: string;
  requestModel?: string;
  responseModel?: string;
  usage?: Usage;
  firstByteMs?: number;
  error?: string;
}

export function writeAccessLog(logger: Logger, r: AccessRecord): void {
  const duration = performance.now() - r.start;
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
    error: r.error,
    duration: `${Math.round(duration)}ms`,
  });
}
