/**
 * `remoteRateLimit`: limits kept by a rate limit service shared by every replica (envoyproxy/
 * ratelimit, Limitador), over Envoy's gRPC protocol (rls.ts). Each request's `requests`
 * descriptors (entries whose values are CEL: `apiKey.key`, `jwt.sub`, `llm.requestModel`...) are
 * put to the service before the request goes on, adding 1 hit (or the `cost` expression's). A
 * `tokens` descriptor is checked first without counting and charged when the exchange ends with
 * the tokens it used (input + output, or `cost` evaluated then, with `llm.inputTokens`,
 * `llm.outputTokens`, `llm.totalTokens`), as agentgateway does. A descriptor whose entries do not
 * evaluate is left out; with none left, the service is not asked.
 *
 * Over the limit: a 429 in the client's error shape with the service's body as the message, its
 * headers, `x-ratelimit-*` of the most constrained descriptor and `retry-after`. An allowed
 * request carries the service's `request_headers_to_add` upstream (never host or framing) and its
 * answer the `response_headers_to_add` and `x-ratelimit-*`. A service that cannot answer (2 s):
 * `failClosed` (default) is a 500, `failOpen` lets the request through.
 * Not supported yet (fail the load by name): a `backend` or `service` target, `policies`.
 */
import { celField, celVars, evalBool, evalString, evalValue, prepareCel, withValues, type CelExpression, type CelVars } from "../../cel/index.ts";
import { originOf } from "../../config/compile/backends.ts";
import type { YamlPath } from "../../config/errors.ts";
import { grpcFailure } from "../../grpc/unary.ts";
import { HttpError } from "../../http/errors.ts";
import { gatewayManagedHeader } from "../../http/headers.ts";
import type { RequestContext } from "../../server/context.ts";
import { policyMetrics } from "../../telemetry/metrics/policy-metrics.ts";
import { onAnswer } from "../answer-headers.ts";
import { conditionalEntries } from "../conditional.ts";
import { definePolicy, type PolicyCompileContext } from "../types.ts";
import { shouldRateLimit, UNITS, type RlsAnswer, type RlsDescriptor } from "./rls.ts";
import { RemoteRateLimitSchema, type RawDescriptor, type RawRemoteRateLimit } from "./schema.ts";

const CALL_TIMEOUT_MS = 2000;

interface Descriptor {
  entries: readonly (readonly [string, CelExpression])[];
  cost: CelExpression | undefined;
  override: CelExpression | undefined;
}

interface Limiter {
  condition: CelExpression | undefined;
  origin: string;
  domain: string;
  failOpen: boolean;
  requests: readonly Descriptor[];
  tokens: readonly Descriptor[];
}

/** The upstream request's headers from allowing answers, per exchange. */
const upstreamHeaders = new WeakMap<RequestContext, [string, string][]>();

export const remoteRateLimit = definePolicy({
  key: "remoteRateLimit",
  schema: RemoteRateLimitSchema,
  levels: ["route", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const entries: [RawRemoteRateLimit, YamlPath][] = "conditional" in raw ? conditionalEntries(raw.conditional, ctx) : [[raw, ctx.path]];
    const compiled = entries.map(([e, path]) => compileLimiter(e, path, ctx));
    const limiters = compiled.filter((l): l is Limiter => l !== undefined);
    if (limiters.length !== entries.length) return undefined; // each failure was reported
    const exprs = limiters.flatMap((l) => [l.condition, ...[...l.requests, ...l.tokens].flatMap((d) => [...d.entries.map(([, e]) => e), d.cost, d.override])]);
    return {
      key: "remoteRateLimit",
      consumesUsage: limiters.some((l) => l.tokens.length > 0),
      async handle(reqCtx, next) {
        await prepareCel(reqCtx, exprs);
        const vars = celVars(reqCtx);
        const limiter = limiters.find((l) => !l.condition || evalBool(l.condition, vars));
        if (!limiter) return await next(reqCtx);
        const answers = await Promise.all([ask(limiter, descriptors(limiter.requests, vars, costOr(vars, undefined)), "requests"), askTokens(limiter, reqCtx, vars)]);
        const allowed = answers.filter((a): a is RlsAnswer => a !== undefined);
        const upstream = allowed.flatMap((a) => a.requestHeaders.filter(([name]) => !gatewayManagedHeader(name)));
        if (upstream.length > 0) upstreamHeaders.set(reqCtx, upstream);
        const answerHeaders: Record<string, string> = {};
        for (const a of allowed) Object.assign(answerHeaders, answeredHeaders(a));
        if (Object.keys(answerHeaders).length > 0) onAnswer(reqCtx, answerHeaders);
        return await next(reqCtx);
      },
      send(req, reqCtx) {
        for (const [name, value] of upstreamHeaders.get(reqCtx) ?? []) req.headers.set(name, value);
      },
    };
  },
});

function compileLimiter(raw: RawRemoteRateLimit, path: YamlPath, ctx: PolicyCompileContext): Limiter | undefined {
  const origin = originOf(raw.host, false);
  if (!origin) ctx.issue([...path, "host"], `invalid host ${JSON.stringify(raw.host)}: expected host:port or a URL`);
  const condition = raw.condition ? celField(ctx, raw.condition, [...path, "condition"]) : undefined;
  const compiled = raw.descriptors.map((d, i) => [d, compileDescriptor(d, [...path, "descriptors", i], ctx)] as const);
  if (!origin || (raw.condition && !condition) || compiled.some(([, d]) => !d)) return undefined;
  const of = (type: "requests" | "tokens") => compiled.filter(([r]) => (r.type ?? "requests") === type).map(([, d]) => d!);
  return { condition, origin, domain: raw.domain, failOpen: raw.failureMode?.toLowerCase() === "failopen", requests: of("requests"), tokens: of("tokens") };
}

function compileDescriptor(raw: RawDescriptor, path: YamlPath, ctx: PolicyCompileContext): Descriptor | undefined {
  const entries = raw.entries.map((e, i) => [e.key, celField(ctx, e.value, [...path, "entries", i, "value"])] as const);
  const cost = raw.cost ? celField(ctx, raw.cost, [...path, "cost"]) : undefined;
  const override = raw.limitOverride ? celField(ctx, raw.limitOverride, [...path, "limitOverride"]) : undefined;
  if (entries.some(([, e]) => !e) || (raw.cost && !cost) || (raw.limitOverride && !override)) return undefined;
  return { entries: entries.map(([k, e]) => [k, e!] as const), cost, override };
}

/**
 * The descriptors as sent, each with `hits(d)` (undefined: the service's default of 1; null:
 * left out). A descriptor with an entry that does not evaluate or an override that is not
 * `{unit, requestsPerUnit}` is left out too (agentgateway).
 */
function descriptors(list: readonly Descriptor[], vars: CelVars, hits: (d: Descriptor) => number | undefined | null): RlsDescriptor[] {
  return list.flatMap((d) => {
    const entries: [string, string][] = [];
    for (const [key, expr] of d.entries) {
      const value = evalString(expr, vars);
      if (value === undefined) return [];
      entries.push([key, value]);
    }
    const n = hits(d);
    const override = d.override ? limitOverride(evalValue(d.override, vars)) : undefined;
    if (n === null || (d.override && !override)) return [];
    return [{ entries, hits: n, override }];
  });
}

/** `d.cost` evaluated as a whole number (null when it is not one), else `otherwise`. */
const costOr = (vars: CelVars, otherwise: number | undefined) => (d: Descriptor) => (d.cost ? (wholeNumber(evalValue(d.cost, vars)) ?? null) : otherwise);

function wholeNumber(v: unknown): number | undefined {
  const n = typeof v === "bigint" ? Number(v) : v;
  return typeof n === "number" && Number.isInteger(n) && n >= 0 ? n : undefined;
}

function limitOverride(v: unknown): RlsDescriptor["override"] {
  const get = (k: string) => (v instanceof Map ? v.get(k) : v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined);
  const unit = UNITS[String(get("unit")).toLowerCase()];
  const requestsPerUnit = wholeNumber(get("requestsPerUnit"));
  return unit !== undefined && requestsPerUnit !== undefined ? { unit, requestsPerUnit } : undefined;
}

/** Asks the service; a refusal is thrown, an answer that allows returned (undefined: not asked, or failing open). */
async function ask(l: Limiter, sent: RlsDescriptor[], kind: "requests" | "tokens"): Promise<RlsAnswer | undefined> {
  if (sent.length === 0) return undefined;
  let answer: RlsAnswer;
  try {
    answer = await shouldRateLimit(l.origin, l.domain, sent, CALL_TIMEOUT_MS);
  } catch (err) {
    if (l.failOpen) return undefined;
    throw new HttpError(500, `rate limit service unavailable: ${grpcFailure(err)}`, { code: "rate_limit_service_unavailable" });
  }
  policyMetrics.rateLimit(kind, answer.over ? "limited" : "allowed");
  if (answer.over) throw overLimit(l, answer);
  return answer;
}

/** Token descriptors: checked now without counting, charged with the exchange's usage when it ends. */
async function askTokens(l: Limiter, ctx: RequestContext, vars: CelVars): Promise<RlsAnswer | undefined> {
  if (l.tokens.length === 0) return undefined;
  const answer = await ask(l, descriptors(l.tokens, vars, () => 0), "tokens");
  ctx.outcome.onFinish((rec) => {
    const u = rec.usage;
    if (!u) return;
    const total = u.inputTokens + u.outputTokens;
    const after = withValues(celVars(ctx), { llm: { requestModel: rec.requestModel ?? null, inputTokens: BigInt(u.inputTokens), outputTokens: BigInt(u.outputTokens), totalTokens: BigInt(total) } });
    const charged = descriptors(l.tokens, after, costOr(after, total)).filter((d) => (d.hits ?? 0) > 0);
    if (charged.length > 0) void shouldRateLimit(l.origin, l.domain, charged, CALL_TIMEOUT_MS).catch(() => {});
  });
  return answer;
}

function limitHeaders(a: RlsAnswer): Record<string, string> {
  const s = a.status;
  return s ? { "x-ratelimit-limit": String(s.limit), "x-ratelimit-remaining": String(s.remaining), "x-ratelimit-reset": String(s.resetSeconds) } : {};
}

/** The service's response headers (not framing ones) and `x-ratelimit-*`. */
function answeredHeaders(a: RlsAnswer): Record<string, string> {
  return { ...Object.fromEntries(a.responseHeaders.filter(([name]) => !gatewayManagedHeader(name))), ...limitHeaders(a) };
}

function overLimit(l: Limiter, a: RlsAnswer): HttpError {
  const body = a.body.trim();
  const headers = answeredHeaders(a);
  if (a.status && a.status.resetSeconds > 0) headers["retry-after"] = String(a.status.resetSeconds);
  return new HttpError(429, body ? `rate limit exceeded: ${body}` : `rate limit exceeded (rate limit service, domain ${l.domain})`, { type: "rate_limit_exceeded", code: "rate_limit_exceeded", headers });
}
