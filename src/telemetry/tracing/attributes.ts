/**
 * The span attributes of an exchange: agentgateway's keys (the access log's, with the OpenTelemetry
 * GenAI semantic conventions v1.40.0 for the LLM part). Built from the outcome record, which never
 * holds a prompt, a completion or a credential; `config.tracing.fields.add` adds the custom fields
 * evaluated into the record, `fields.remove` drops keys by name.
 */
import { reason } from "../metrics/gateway-metrics.ts";
import type { ExchangeOutcome } from "../outcome.ts";
import type { AttributeValue } from "./otlp-encode.ts";
import { usdString as usd } from "../cost/cost.ts";

/** The attributes as an object (tests, and anything that wants to look at them). */
export function spanAttributes(r: Readonly<ExchangeOutcome>, remove: ReadonlySet<string>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  emitSpanAttributes(r, remove, (k, v) => (out[k] = v));
  return out;
}

/** Each attribute of the span of `r`, in order, passed to `emit` (the encoder writes them as they come). */
export function emitSpanAttributes(r: Readonly<ExchangeOutcome>, remove: ReadonlySet<string>, emit: (key: string, value: AttributeValue) => void): void {
  const a: Record<string, AttributeValue | undefined> = {
    gateway: "default/default",
    listener: r.listener,
    route: r.route,
    endpoint: r.endpoint,
    "http.method": r.method,
    "http.path": r.path,
    "http.status": r.status,
    "trace.id": r.trace?.traceId,
    "span.id": r.trace?.spanId,
    protocol: r.protocol,
  };
  if (r.protocol === "llm") {
    a["gen_ai.operation.name"] = r.operation === "embeddings" ? "embeddings" : "chat";
    a["gen_ai.provider.name"] = r.provider;
    a["gen_ai.request.model"] = r.requestModel;
    a["gen_ai.response.model"] = r.responseModel;
    const u = r.usage;
    if (u) {
      a["gen_ai.usage.input_tokens"] = u.inputTokens;
      a["gen_ai.usage.output_tokens"] = u.outputTokens;
      a["gen_ai.usage.cache_read.input_tokens"] = u.cachedInputTokens;
      a["gen_ai.usage.cache_creation.input_tokens"] = u.cacheWriteInputTokens;
      a["gen_ai.usage.reasoning_tokens"] = u.reasoningTokens;
    }
    if (r.firstByteMs !== undefined) {
      a["agw.ai.time_to_first_token"] = r.firstByteMs / 1000;
      if (u && u.outputTokens > 0 && r.durationMs !== undefined) a["agw.ai.time_per_output_token"] = (r.durationMs - r.firstByteMs) / 1000 / u.outputTokens;
    }
    const c = r.cost;
    if (c?.status === "Exact") {
      a["agw.ai.usage.cost.total"] = usd(c.total);
      a["agw.ai.usage.cost.input"] = usd(c.input);
      a["agw.ai.usage.cost.output"] = usd(c.output);
      a["agw.ai.usage.cost.cache_read"] = usd(c.cacheRead);
      a["agw.ai.usage.cost.cache_write"] = usd(c.cacheWrite);
      a["agw.ai.usage.cost.reasoning"] = usd(c.reasoning);
    }
  }
  if (r.attempts > 1) a["retry.attempt"] = r.attempts - 1;
  const why = reason(r);
  if (why !== "Upstream") a.reason = why;
  if (r.durationMs !== undefined) a.duration = `${Math.round(r.durationMs)}ms`;
  a["url.scheme"] = "http";
  if (r.custom) Object.assign(a, r.custom.trace);
  for (const k in a) {
    const v = a[k];
    if (v !== undefined && !remove.has(k)) emit(k, v);
  }
}
