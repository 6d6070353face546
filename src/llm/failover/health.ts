/**
 * The health of each provider target, learnt from real traffic (passive outlier detection):
 * every answer is healthy or not, and an unhealthy one may evict the target for a while. An
 * evicted target is skipped by the candidate loop until its eviction ends.
 *
 * What counts as unhealthy (unless `health.unhealthyExpression` says otherwise): a 429 (with or
 * without retry headers), any 5xx, a refused or broken connection, a timeout before the first
 * byte. When it evicts:
 *   - eviction is on when `health.eviction` is configured, or when the request had more than one
 *     candidate (a backend with several providers or groups, a virtual model with several targets);
 *   - with `consecutiveFailures` and/or `healthThreshold`, only when one of them is reached
 *     (agentgateway's OR), otherwise on the first unhealthy answer;
 *   - for `eviction.duration`, else the time the provider's retry headers ask for (429, 503),
 *     else 30 s.
 * A target back from eviction starts with `restoreHealth` as its score (when set) and no failures.
 *
 * The state lives on the compiled target, so it is shared by every request and by every candidate
 * list the target is in, and a config reload starts afresh.
 */

import { celVars, evalBool, withResponse, type CelExpression } from "../../cel/index.ts";
import type { RequestContext } from "../../server/context.ts";

/** What one attempt said about its target. */
export interface AttemptReport {
  /** the upstream status; undefined when no answer came (connection failure, timeout) */
  status: number | undefined;
  /** the answer's headers (retry hints), when there was an answer */
  headers?: Headers | undefined;
  /** ms the provider asked to be left alone (from its retry headers), when it said */
  retryAfterMs?: number | undefined;
  /** no answer because a deadline passed (`backendRequestTimeout`), not a broken connection */
  timedOut?: boolean | undefined;
}

/** The compiled `health` policy of a target. */
export interface HealthSettings {
  /** `eviction` is configured (eviction then applies even with a single candidate) */
  evicts: boolean;
  durationMs: number | undefined;
  consecutiveFailures: number | undefined;
  healthThreshold: number | undefined;
  restoreHealth: number | undefined;
  /** `unhealthyExpression`, when set: decides for answers (connection failures are always unhealthy) */
  unhealthy?: CelExpression | undefined;
}

/** The default eviction: multi-candidate backends without a `health` policy. */
export const DEFAULT_EVICTION_MS = 30_000;
/** Weight of the newest answer in the health score (an exponentially weighted moving average). */
const SCORE_ALPHA = 0.3;

export class TargetHealth {
  /** deps.now() ms until which the target is evicted; 0 when it is not */
  evictedUntil = 0;
  consecutiveFailures = 0;
  /** 1 = every recent answer healthy, 0 = none */
  score = 1;
  timesEvicted = 0;
  lastFailure: { status: number | undefined; at: number } | undefined;

  /** Whether the target may be tried at `now`; a finished eviction is cleared here. */
  available(now: number, settings: HealthSettings | undefined): boolean {
    if (this.evictedUntil === 0) return true;
    if (now < this.evictedUntil) return false;
    this.evictedUntil = 0;
    this.consecutiveFailures = 0;
    if (settings?.restoreHealth !== undefined) this.score = settings.restoreHealth;
    return true;
  }

  succeeded(): void {
    this.consecutiveFailures = 0;
    this.score += SCORE_ALPHA * (1 - this.score);
  }

  /**
   * An unhealthy answer: counted, and the target evicted when the settings say so (`evicts`:
   * whether eviction applies to this request at all). Returns the eviction's length, if any.
   */
  failed(now: number, report: AttemptReport, settings: HealthSettings | undefined, evicts: boolean): number | undefined {
    const before = this.score;
    this.consecutiveFailures++;
    this.score -= SCORE_ALPHA * this.score;
    this.lastFailure = { status: report.status, at: now };
    if (!evicts) return undefined;
    const threshold = settings?.healthThreshold;
    const count = settings?.consecutiveFailures;
    if (threshold !== undefined || count !== undefined) {
      const below = threshold !== undefined && before < threshold;
      const enough = count !== undefined && count > 0 && this.consecutiveFailures >= count;
      if (!below && !enough) return undefined;
    }
    const ms = settings?.durationMs ?? report.retryAfterMs ?? DEFAULT_EVICTION_MS;
    this.evictedUntil = Math.max(this.evictedUntil, now + ms);
    this.timesEvicted++;
    return ms;
  }
}

/** Whether an answer (or its absence) is unhealthy for its target. */
export function isUnhealthy(report: AttemptReport, settings: HealthSettings | undefined, ctx: RequestContext): boolean {
  if (report.status === undefined) return true;
  if (settings?.unhealthy) return evalBool(settings.unhealthy, withResponse(celVars(ctx), report.status, report.headers));
  return report.status === 429 || report.status >= 500;
}

/** Whether eviction applies to a target in a request with `candidates` candidates. */
export function evictionApplies(settings: HealthSettings | undefined, candidates: number): boolean {
  return settings?.evicts === true || candidates > 1;
}

// ---------------------------------------------------------------------------------------------
// the read-only view (admin page, metrics)

/** One provider target's health as the admin page shows it. */
export interface ProviderHealthView {
  /** the backend (`ai` backend name, or `llm`) and the provider / model entry */
  backend: string;
  provider: string;
  /** `gen_ai.provider.name` */
  kind: string;
  evicted: boolean;
  /** ms until the eviction ends (0 when not evicted) */
  evictedForMs: number;
  consecutiveFailures: number;
  /** 0..1, 1 = healthy */
  score: number;
  timesEvicted: number;
  /** the last unhealthy answer: its status (undefined: no answer) and how long ago, ms */
  lastFailure: { status: number | undefined; agoMs: number } | undefined;
}

export function healthView(backend: string, provider: string, kind: string, h: TargetHealth, now: number): ProviderHealthView {
  const evicted = h.evictedUntil > now;
  return {
    backend,
    provider,
    kind,
    evicted,
    evictedForMs: evicted ? h.evictedUntil - now : 0,
    consecutiveFailures: h.consecutiveFailures,
    score: Math.round(h.score * 1000) / 1000,
    timesEvicted: h.timesEvicted,
    lastFailure: h.lastFailure ? { status: h.lastFailure.status, agoMs: now - h.lastFailure.at } : undefined,
  };
}
