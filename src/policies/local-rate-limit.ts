/**
 * `localRateLimit`: agentgateway's token buckets (`maxTokens`, `tokensPerFill`, `fillInterval`),
 * counting `requests` (one token each, taken before the request goes on) or LLM `tokens` (the
 * request needs one token left; its real usage, input + output, is taken when the answer or
 * stream ends, so the request that empties the bucket succeeds and the next is refused). A list
 * applies every bucket; `{conditional: [...]}` applies the first entry whose `condition` holds
 * (an entry without one is the fallback).
 *
 * Extension: `key: <CEL>` gives one bucket per value (`apiKey.key`, `jwt.sub`,
 * `request.headers["x-tenant"]`); a request whose key does not evaluate shares the bucket "".
 * With `config.redis`, buckets live in Redis and every replica shares them.
 *
 * Every answer carries `x-ratelimit-limit|remaining|reset` of the most constrained bucket; a
 * refusal is a 429 in the OpenAI shape (type rate_limit_exceeded) with `retry-after`.
 */
import { z } from "zod";
import { celField, celVars, evalBool, evalString, prepareCel, type CelExpression } from "../cel/index.ts";
import { parseDuration } from "../config/duration.ts";
import { Duration } from "../config/schema/parts.ts";
import { HttpError } from "../http/errors.ts";
import { observe, observedLimit, type ObservedLimit } from "../limits/observed.ts";
import type { BucketSpec, BucketState, LimitStore, MaybePromise, TakeItem } from "../limits/store.ts";
import type { RequestContext } from "../server/context.ts";
import { policyMetrics } from "../telemetry/metrics/policy-metrics.ts";
import { onAnswer } from "./answer-headers.ts";
import { conditionalEntries } from "./conditional.ts";
import { definePolicy, type Next, type PolicyCompileContext } from "./types.ts";

const SpecFields = {
  maxTokens: z.int().min(0).optional(),
  tokensPerFill: z.int().min(0).optional(),
  fillInterval: Duration,
  type: z.enum(["requests", "tokens"]).optional(),
  key: z.string().min(1).optional().meta({ description: "Extension: a CEL expression; one bucket per distinct value (e.g. apiKey.key, jwt.sub)." }),
};
const RateLimitSpec = z.strictObject(SpecFields).meta({ id: "RateLimitSpec" });

export const LocalRateLimitSchema = z
  .union([z.array(RateLimitSpec), z.strictObject({ conditional: z.array(z.strictObject({ condition: z.string().min(1).nullish(), ...SpecFields })) })])
  .meta({ id: "LocalRateLimitPolicy" });

interface Limit {
  spec: BucketSpec;
  observed: ObservedLimit;
  type: "requests" | "tokens";
  key: CelExpression | undefined;
  condition: CelExpression | undefined;
  interval: string;
}

function compileLimit(raw: z.output<typeof RateLimitSpec> & { condition?: string | null | undefined }, ctx: PolicyCompileContext, path: readonly (string | number)[]): Limit | undefined {
  const max = raw.maxTokens ?? 0;
  const perFill = raw.tokensPerFill ?? 0;
  const intervalMs = parseDuration(raw.fillInterval);
  if (max < perFill) ctx.issue([...path, "maxTokens"], `maxTokens (${max}) cannot be less than tokensPerFill (${perFill})`);
  if (intervalMs <= 0) ctx.issue([...path, "fillInterval"], "fillInterval must be more than 0");
  const key = raw.key === undefined ? undefined : celField(ctx, raw.key, [...path, "key"]);
  const condition = raw.condition ? celField(ctx, raw.condition, [...path, "condition"]) : undefined;
  if ((raw.key !== undefined && !key) || (raw.condition && !condition) || max < perFill || intervalMs <= 0) return undefined;
  const id = `${path.join(".")}~${Bun.hash(JSON.stringify([max, perFill, intervalMs, raw.type ?? "requests", raw.key ?? ""])).toString(36)}`;
  const type = raw.type ?? "requests";
  return { spec: { id, max, perFill, intervalMs }, observed: observedLimit(ctx.limitTable, path.join("."), type, max, raw.key), type, key, condition, interval: raw.fillInterval };
}

export const localRateLimit = definePolicy({
  key: "localRateLimit",
  schema: LocalRateLimitSchema,
  levels: ["route", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const conditional = !Array.isArray(raw);
    const entries = Array.isArray(raw) ? raw.map((r, i) => [r, [...ctx.path, i]] as const) : conditionalEntries(raw.conditional, ctx);
    const limits = entries.map(([r, p]) => compileLimit(r, ctx, p));
    if (limits.some((l) => l === undefined)) return undefined;
    const all = limits as Limit[];
    if (all.length === 0) return undefined;
    const exprs = all.flatMap((l) => [l.key, l.condition]);
    const needsBody = exprs.some((e) => e?.needsBody);
    const policy: Limits = { all, conditional, store: ctx.limits };
    return {
      key: "localRateLimit",
      consumesUsage: all.some((l) => l.type === "tokens"),
      handle: needsBody ? (reqCtx, next) => limitedAfterCel(policy, exprs, reqCtx, next) : (reqCtx, next) => limited(policy, reqCtx, next),
    };
  },
});

/** The compiled limits of one policy. */
interface Limits {
  all: readonly Limit[];
  /** `conditional`: the first limit whose condition holds applies, not all */
  conditional: boolean;
  store: LimitStore;
}

/* (module-level steps, each closure in a function of its own: see resumeHubRequest in src/policies/chain.ts) */
function limitedAfterCel(limits: Limits, exprs: readonly (CelExpression | undefined)[], ctx: RequestContext, next: Next): Promise<Response> {
  return prepareCel(ctx, exprs).then(() => limited(limits, ctx, next));
}

/** No await where nothing is pending (the in-process store answers at once): each would be a promise and a microtask turn on every request. */
function limited(limits: Limits, ctx: RequestContext, next: Next): Promise<Response> {
  try {
    const selected = limits.conditional ? firstMatching(limits.all, ctx) : limits.all;
    const status = applyLimits(selected, ctx, limits.store);
    return status instanceof Promise ? answerLater(status, ctx, next) : answer(status, ctx, next);
  } catch (err) {
    return Promise.reject(err); // a 429 (or a CEL failure) is a rejected answer, as from any middleware
  }
}

function answerLater(status: Promise<BucketState | undefined>, ctx: RequestContext, next: Next): Promise<Response> {
  return status.then((st) => answer(st, ctx, next));
}

// (loops below, not find/map/forEach callbacks: they run on every limited request)
function firstMatching(limits: readonly Limit[], ctx: RequestContext): Limit[] {
  for (const l of limits) if (!l.condition || evalBool(l.condition, celVars(ctx))) return [l];
  return [];
}

function answer(status: BucketState | undefined, ctx: RequestContext, next: Next): Promise<Response> {
  if (status) onAnswer(ctx, rateLimitHeaders(status));
  return next(ctx);
}

/** Takes from every bucket at once; the most constrained state, or a 429. Token buckets are charged at the end. */
function applyLimits(limits: readonly Limit[], ctx: RequestContext, store: LimitStore): MaybePromise<BucketState | undefined> {
  if (limits.length === 0) return undefined;
  const items: TakeItem[] = [];
  for (const l of limits) items.push({ spec: l.spec, key: l.key ? (evalString(l.key, celVars(ctx)) ?? "") : "", n: l.type === "requests" ? 1 : 0 });
  const taken = store.take(items);
  return taken instanceof Promise ? settleLater(taken, limits, items, ctx, store) : settle(limits, items, taken, ctx, store);
}

function settleLater(taken: Promise<BucketState[]>, limits: readonly Limit[], items: readonly TakeItem[], ctx: RequestContext, store: LimitStore): Promise<BucketState | undefined> {
  return taken.then((states) => settle(limits, items, states, ctx, store));
}

function settle(limits: readonly Limit[], items: readonly TakeItem[], states: readonly BucketState[], ctx: RequestContext, store: LimitStore): BucketState | undefined {
  let status: BucketState | undefined;
  for (let i = 0; i < states.length; i++) seen(limits[i]!, items[i]!.key, states[i]!);
  const owed: TakeItem[] = [];
  for (let i = 0; i < states.length; i++) {
    const st = states[i]!;
    if (!st.allowed) throw rateLimited(limits[i]!, st);
    if (!status || st.remaining < status.remaining) status = st;
    if (limits[i]!.type === "tokens") owed.push(items[i]!);
  }
  if (owed.length > 0) chargeOnFinish(ctx, owed, store);
  return status;
}

/** Token buckets are charged the exchange's tokens when it ends. */
function chargeOnFinish(ctx: RequestContext, owed: readonly TakeItem[], store: LimitStore): void {
  ctx.outcome.onFinish((rec) => {
    const n = rec.usage ? rec.usage.inputTokens + rec.usage.outputTokens : 0;
    if (n > 0) for (const o of owed) void store.amend(o.spec, o.key, n);
  });
}

/** The admin page's view of the bucket, and agentgateway_rate_limit_checks_total. */
function seen(l: Limit, key: string, st: BucketState): void {
  policyMetrics.rateLimit(l.type, st.allowed ? "allowed" : "limited");
  const now = Date.now();
  const { max, perFill, intervalMs } = l.spec;
  // full again after the next refill and as many more as the missing tokens need
  const fullIn = st.resetMs + Math.max(0, Math.ceil((max - st.remaining) / Math.max(perFill, 1)) - 1) * intervalMs;
  observe(l.observed, key, max - st.remaining, now + st.resetMs, now + fullIn);
}

export function rateLimitHeaders(st: BucketState): Record<string, string> {
  return { "x-ratelimit-limit": String(st.limit), "x-ratelimit-remaining": String(st.remaining), "x-ratelimit-reset": String(Math.floor(st.resetMs / 1000)) };
}

function rateLimited(l: Limit, st: BucketState): HttpError {
  const retry = Math.max(1, Math.ceil(st.resetMs / 1000));
  const unit = l.type === "requests" ? "requests" : "tokens";
  return new HttpError(429, `rate limit exceeded: at most ${l.spec.max} ${unit}, ${l.spec.perFill} more every ${l.interval}${l.key ? " (per key)" : ""}; retry in ${retry}s`, {
    type: "rate_limit_exceeded",
    code: "rate_limit_exceeded",
    headers: { ...rateLimitHeaders(st), "retry-after": String(retry) },
  });
}
