/**
 * `fields.add` of the access log (`config.logging.fields.add`, `frontendPolicies.accessLog.add`),
 * the metrics (`config.metrics.fields.add`) and the traces (`config.tracing.fields.add` or
 * `frontendPolicies.tracing.attributes`): each a field name -> CEL expression, compiled once here
 * and evaluated when an exchange ends; and the filters of the access log and of the traces (a
 * line, a span, is written only when it is true).
 *
 * Deliberate difference from agentgateway: an expression that reads the request body
 * (`request.body`, `llmRequest`) is refused, so prompts never reach logs, metrics or traces; the
 * `llm.*` variables (models, provider, tokens, cost) carry what telemetry needs of an LLM call.
 */
import { celField, type CelExpression } from "../../cel/index.ts";
import type { YamlPath } from "../errors.ts";
import type { CustomField, TelemetryFields } from "../model.ts";
import type { RawConfig } from "../schema.ts";
import type { CompileContext } from "./context.ts";

/** The labels every HTTP or gen_ai metric already has: a custom label may not take their names. */
const METRIC_LABELS = new Set([
  "backend", "protocol", "method", "status", "reason", "bind", "gateway", "listener", "route", "route_rule",
  "gen_ai_operation_name", "gen_ai_system", "gen_ai_request_model", "gen_ai_response_model", "gen_ai_token_type", "le",
]);
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function compileTelemetryFields(ctx: CompileContext, raw: RawConfig): TelemetryFields | undefined {
  const cfg = raw.config ?? {};
  const log = [
    ...fields(ctx, cfg.logging?.fields?.add, ["config", "logging", "fields", "add"]),
    ...fields(ctx, raw.frontendPolicies?.accessLog?.add, ["frontendPolicies", "accessLog", "add"]),
  ];
  const metrics = fields(ctx, cfg.metrics?.fields?.add, ["config", "metrics", "fields", "add"]).filter((f) => {
    const path = ["config", "metrics", "fields", "add", f.name];
    if (!LABEL_NAME.test(f.name) || f.name.startsWith("__")) ctx.issue(path, `'${f.name}' is not a Prometheus label name: use letters, digits and '_', not starting with a digit or '__'`, "key");
    else if (METRIC_LABELS.has(f.name)) ctx.issue(path, `'${f.name}' is already a label of agentgateway's metrics: pick another name`, "key");
    else return true;
    return false;
  });
  const frontendTracing = raw.frontendPolicies?.tracing ?? undefined;
  const trace = frontendTracing
    ? fields(ctx, frontendTracing.attributes, ["frontendPolicies", "tracing", "attributes"])
    : fields(ctx, cfg.tracing?.fields?.add, ["config", "tracing", "fields", "add"]);
  const traceFilter = frontendTracing?.filter ? telemetryExpression(ctx, frontendTracing.filter, ["frontendPolicies", "tracing", "filter"]) : undefined;
  const policyFilter = raw.frontendPolicies?.accessLog?.filter ?? undefined;
  const configFilter = cfg.logging?.filter ?? undefined;
  const filterAt = policyFilter ? ["frontendPolicies", "accessLog", "filter"] : ["config", "logging", "filter"];
  if (policyFilter && configFilter) ctx.issue(filterAt, "the access log has two filters (config.logging.filter and frontendPolicies.accessLog.filter): keep one");
  const filterSource = policyFilter ?? configFilter;
  const logFilter = filterSource === undefined ? undefined : telemetryExpression(ctx, filterSource, filterAt);
  return log.length + metrics.length + trace.length === 0 && !logFilter && !traceFilter ? undefined : { log, metrics, trace, logFilter, traceFilter };
}

function fields(ctx: CompileContext, add: Readonly<Record<string, string>> | null | undefined, at: YamlPath): CustomField[] {
  const out: CustomField[] = [];
  for (const [name, source] of Object.entries(add ?? {})) {
    const expr = telemetryExpression(ctx, source, [...at, name]);
    if (expr) out.push({ name, expr });
  }
  return out;
}

/** A CEL expression of telemetry: compiled, and refused when it reads the request body. */
function telemetryExpression(ctx: CompileContext, source: string, path: YamlPath): CelExpression | undefined {
  const expr = celField(ctx, source, path);
  if (expr?.readsBody) {
    ctx.issue(path, `telemetry expressions cannot read the request body ('request.body', 'llmRequest'): prompts stay out of logs, metrics and traces; 'llm.*' has the models, tokens and cost`);
    return undefined;
  }
  return expr;
}
