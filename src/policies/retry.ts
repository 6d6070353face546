/**
 * `retry`: the same request again when an upstream answer is retriable.
 *   attempts  total upstream attempts for retriable failures, the first included (default 1)
 *   backoff   base delay before a retry; doubles each retry, with jitter (half to all of it)
 *   codes     statuses that are retried (a refused connection always is; a timeout with 504)
 *   condition     CEL on each answer (`response.code`, `response.headers`): another reason to retry it
 *   precondition  CEL on the request: when false, only the first attempt is made (and the body
 *                 is not buffered for a replay)
 * A provider's `retry-after` is waited (instead of the backoff) up to 10 s; asked to wait longer,
 * the gateway gives the client the provider's answer and its `retry-after` instead.
 * Failover to another provider of the backend comes first and costs no attempt (see
 * src/llm/failover/loop.ts, and docs/resilience.md for the whole story).
 */
import { z } from "zod";
import { parseDuration } from "../config/duration.ts";
import { celField, evalBool, withResponse, type CelExpression } from "../cel/index.ts";
import { Duration } from "../config/schema/parts.ts";
import type { AttemptReport } from "../llm/failover/health.ts";
import { definePolicy } from "./types.ts";

const RetrySchema = z
  .strictObject({
    attempts: z.int().min(1).max(255).nullish(),
    backoff: Duration.nullish(),
    codes: z.array(z.int().min(100).max(599)),
    precondition: z.string().min(1).nullish(),
    condition: z.string().min(1).nullish(),
  })
  .meta({ id: "RetryPolicy" });

export interface RetrySettings {
  /** total attempts, the first included */
  attempts: number;
  /** base backoff, ms (0: none) */
  backoffMs: number;
  codes: ReadonlySet<number>;
  /** CEL on the answer: another reason to retry it */
  condition?: CelExpression | undefined;
  /** CEL on the request: when false, no retries for it */
  precondition?: CelExpression | undefined;
}

/** A provider's retry-after up to this is waited before retrying; longer, the client gets the answer. */
export const MAX_RETRY_AFTER_MS = 10_000;
/** No single backoff is longer than this. */
const MAX_BACKOFF_MS = 30_000;

export const retry = definePolicy({
  key: "retry",
  schema: RetrySchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw, ctx) {
    const settings: RetrySettings = {
      attempts: raw.attempts ?? 1,
      backoffMs: raw.backoff ? parseDuration(raw.backoff) : 0,
      codes: new Set(raw.codes),
      condition: raw.condition ? celField(ctx, raw.condition, [...ctx.path, "condition"]) : undefined,
      precondition: raw.precondition ? celField(ctx, raw.precondition, [...ctx.path, "precondition"]) : undefined,
    };
    return { key: "retry", retry: settings };
  },
});

/**
 * Whether a failed attempt is retriable under `settings`: a connection failure always is, a
 * timeout when 504 is among the codes (the client sees a timeout as a 504), an answer when its
 * status is among the codes or the `condition` holds (`vars`: the exchange's CEL variables).
 */
/** `vars`: the exchange's CEL variables, asked for only when the condition is evaluated */
export function retriable(settings: RetrySettings, report: AttemptReport, vars: () => object): boolean {
  if (report.status === undefined) return report.timedOut === true ? settings.codes.has(504) : true;
  if (settings.codes.has(report.status)) return true;
  return settings.condition !== undefined && evalBool(settings.condition, withResponse(vars(), report.status, report.headers));
}

/** The delay before retry number `n` (1-based): exponential from `backoffMs`, equal jitter. */
export function backoffDelay(settings: RetrySettings, n: number, random: () => number): number {
  if (settings.backoffMs <= 0) return 0;
  const full = Math.min(MAX_BACKOFF_MS, settings.backoffMs * 2 ** (n - 1));
  return full / 2 + (random() * full) / 2;
}
