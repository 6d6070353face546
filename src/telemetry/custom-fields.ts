/**
 * Custom telemetry fields (`fields.add`) and the access log's `filter`: evaluated once, when an
 * exchange ends, into the outcome record that the access log, the metrics and the tracer read.
 *
 * The CEL variables are the request's (src/cel/vars.ts) with what the end of an exchange adds:
 * `response.code`, and `llm` from the outcome (requestModel, responseModel, provider, the token
 * counts, cost). Credentials never become field values: request headers and query parameters
 * whose names say key, token, secret, password, authorization, cookie or signature read as
 * "<redacted>", `jwt.rawToken` is already redacted, and `apiKey.key` is the key's fingerprint.
 */
import { celVars, evalBool, evalValue, stringOf, withValues, type CelVars } from "../cel/index.ts";
import type { CustomField, TelemetryFields } from "../config/model.ts";
import type { RequestContext } from "../server/context.ts";
import type { CustomFieldValues, ExchangeOutcome, FieldValue } from "./outcome.ts";

const SENSITIVE = /(key|secret|token|password|passwd|authorization|credential|cookie|signature|session)/i;
const REDACTED = "<redacted>";

export function evaluateCustomFields(fields: TelemetryFields, ctx: RequestContext, r: Readonly<ExchangeOutcome>): CustomFieldValues {
  const vars = telemetryVars(ctx, r);
  const unlogged = fields.logFilter !== undefined && !evalBool(fields.logFilter, vars);
  // a span's filter and attributes only for a sampled exchange (agentgateway: the filter composes after sampling)
  const untraced = r.trace === undefined || (fields.traceFilter !== undefined && !evalBool(fields.traceFilter, vars));
  return { log: unlogged ? {} : evaluate(fields.log, vars), metrics: evaluate(fields.metrics, vars), trace: untraced ? {} : evaluate(fields.trace, vars), unlogged, untraced };
}

function evaluate(fields: readonly CustomField[], vars: CelVars): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {};
  for (const f of fields) {
    const v = fieldValue(evalValue(f.expr, vars));
    if (v !== undefined) out[f.name] = v;
  }
  return out;
}

/** CEL's value as a field holds it: integers as numbers (as strings beyond 2^53), lists and maps as JSON; null and errors: absent. */
function fieldValue(v: unknown): FieldValue | undefined {
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "bigint") return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return stringOf(v);
}

function telemetryVars(ctx: RequestContext, r: Readonly<ExchangeOutcome>): CelVars {
  const vars = celVars(ctx);
  return withValues(vars, {
    request: redactedRequest(vars.request as Record<string, unknown>, ctx),
    response: r.status === undefined ? null : { code: BigInt(r.status) },
    llm: r.protocol === "llm" ? llmVar(r) : null,
    llmRequest: null,
  });
}

function redactedRequest(request: Record<string, unknown>, ctx: RequestContext): Record<string, unknown> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers as Record<string, string>)) headers[k] = SENSITIVE.test(k) ? REDACTED : v;
  const query = redactedQuery(ctx.query);
  const pathAndQuery = query ? `${ctx.path}?${query}` : ctx.path;
  const uri = String(request.uri);
  return { ...request, headers, pathAndQuery, uri: uri.slice(0, uri.length - String(request.pathAndQuery).length) + pathAndQuery, body: null };
}

function redactedQuery(query: string): string {
  if (!query) return query;
  const params = new URLSearchParams(query);
  for (const name of new Set(params.keys())) if (SENSITIVE.test(name)) params.set(name, REDACTED);
  return params.toString();
}

/** agentgateway's `llm` variables at the end of an exchange (integers are CEL ints). */
function llmVar(r: Readonly<ExchangeOutcome>): Record<string, unknown> {
  const u = r.usage;
  const int = (n: number | undefined) => (n === undefined ? null : BigInt(Math.round(n)));
  return {
    requestModel: r.requestModel ?? null,
    responseModel: r.responseModel ?? null,
    provider: r.provider ?? null,
    inputTokens: int(u?.inputTokens),
    outputTokens: int(u?.outputTokens),
    totalTokens: u ? int(u.inputTokens + u.outputTokens) : null,
    cachedInputTokens: int(u?.cachedInputTokens),
    cacheCreationInputTokens: int(u?.cacheWriteInputTokens),
    reasoningTokens: int(u?.reasoningTokens),
    cost: r.cost?.status === "Exact" ? { total: r.cost.total, input: r.cost.input, output: r.cost.output } : null,
  };
}
