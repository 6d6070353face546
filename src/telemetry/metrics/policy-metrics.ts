/**
 * Counters for decisions that are not one per exchange (rate-limit and budget checks, Redis
 * round trips shared by many requests). The policies that make them call these functions; they
 * cost nothing until the stats endpoint is on (the gateway installs the sink when it starts),
 * and the policies need no reference to the running gateway. (Guardrail verdicts are on the
 * outcome record, and counted from it.)
 *
 *   policyMetrics.rateLimit("requests", "limited")
 *   policyMetrics.redis("failOpen")
 */
import type { Family, Series } from "./registry.ts";

export type RateLimitKind = "requests" | "tokens" | "budget";
export type RateLimitResult = "allowed" | "limited";
/** `ok` and `error` per round trip; `failOpen` / `failClosed` when an outage decided the answer */
export type RedisResult = "ok" | "error" | "failOpen" | "failClosed";

export interface PolicyMetrics {
  rateLimit(kind: RateLimitKind, result: RateLimitResult): void;
  redis(result: RedisResult): void;
}

const NONE: PolicyMetrics = { rateLimit() {}, redis() {} };
let sink: PolicyMetrics = NONE;

/** What policies call. */
export const policyMetrics: PolicyMetrics = {
  rateLimit: (kind, result) => sink.rateLimit(kind, result),
  redis: (result) => sink.redis(result),
};

/** Installs the families to count into (one metrics registry per process); returns the uninstall. */
export function installPolicyMetrics(families: Readonly<Record<"rateLimitChecks" | "redisOperations", Family>>): () => void {
  // each series looked up once: a check is counted on every limited request (no key string or
  // label closure made for it)
  const checks: Partial<Record<RateLimitKind, Partial<Record<RateLimitResult, Series>>>> = {};
  const redis: Partial<Record<RedisResult, Series>> = {};
  const installed: PolicyMetrics = {
    rateLimit: (kind, result) => ((checks[kind] ??= {})[result] ??= families.rateLimitChecks.get(`${kind}/${result}`, () => [kind, result])).inc(),
    redis: (result) => (redis[result] ??= families.redisOperations.get(result, () => [result])).inc(),
  };
  sink = installed;
  return () => {
    if (sink === installed) sink = NONE;
  };
}
