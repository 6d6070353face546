/**
 * The span attributes of an exchange: agentgateway's keys (the access log's, with the OpenTelemetry
 * GenAI semantic conventions v1.40.0 for the LLM part). Built from the outcome record, which never
 * holds a prompt, a completion or a credential; `config.tracing.fields.add` adds the custom fields
 * evaluated into the record (one of the same name replaces the built-in), `fields.remove` drops keys
 * by name. The attributes go straight to the encoder, keys made once (no object per span).
 */
import { reason } from "../metrics/gateway-metrics.ts";
import type { ExchangeOutcome } from "../outcome.ts";
import { attributeKey as key, type AttributeValue, type EmitAttribute } from "./otlp-encode.ts";
import { usdString as usd } from "../cost/cost.ts";

const K = {
  gateway: key("gateway"),
  listener: key("listener"),
  route: key("route"),
  endpoint: key("endpoint"),
  method: key("http.method"),
  path: key("http.path"),
  status: key("http.status"),
  traceId: key("trace.id"),
  spanId: key("span.id"),
  protocol: key("protocol"),
  operation: key("gen_ai.operation.name"),
  provider: key("gen_ai.provider.name"),
  requestModel: key("gen_ai.request.model"),
  responseModel: key("gen_ai.response.model"),
  inputTokens: key("gen_ai.usage.input_tokens"),
  outputTokens: key("gen_ai.usage.output_tokens"),
  cacheRead: key("gen_ai.usage.cache_read.input_tokens"),
  cacheCreation: key("gen_ai.usage.cache_creation.input_tokens"),
  reasoningTokens: key("gen_ai.usage.reasoning_tokens"),
  ttft: key("agw.ai.time_to_first_token"),
  tpot: key("agw.ai.time_per_output_token"),
  costTotal: key("agw.ai.usage.cost.total"),
  costInput: key("agw.ai.usage.cost.input"),
  costOutput: key("agw.ai.usage.cost.output"),
  costCacheRead: key("agw.ai.usage.cost.cache_read"),
  costCacheWrite: key("agw.ai.usage.cost.cache_write"),
  costReasoning: key("agw.ai.usage.cost.reasoning"),
  retry: key("retry.attempt"),
  reason: key("reason"),
  duration: key("duration"),
  scheme: key("url.scheme"),
};

/** The attributes as an object (tests, and anything that wants to look at them). */
export function spanAttributes(r: Readonly<ExchangeOutcome>, remove: ReadonlySet<string>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  emitSpanAttributes(r, remove, (k, v) => {
    if (v !== undefined) out[k.name] = v;
  });
  return out;
}

/** Each attribute of the span of `r`, passed to `emit` (the encoder writes them as they come). */
export function emitSpanAttributes(r: Readonly<ExchangeOutcome>, remove: ReadonlySet<string>, emit: EmitAttribute): void {
  const custom = r.custom?.trace;
  // the common case (no custom field, nothing removed) emits without a check per attribute
  const put: EmitAttribute =
    custom === undefined && remove.size === 0 ? emit : (k, v) => void (remove.has(k.name) || (custom !== undefined && k.name in custom) || emit(k, v));
  put(K.gateway, "default/default");
  put(K.listener, r.listener);
  put(K.route, r.route);
  put(K.endpoint, r.endpoint);
  put(K.method, r.method);
  put(K.path, r.path);
  put(K.status, r.status);
  put(K.traceId, r.trace?.traceId);
  put(K.spanId, r.trace?.spanId);
  put(K.protocol, r.protocol);
  if (r.protocol === "llm") emitLlmAttributes(r, put);
  if (r.attempts > 1) put(K.retry, r.attempts - 1);
  const why = reason(r);
  if (why !== "Upstream") put(K.reason, why);
  if (r.durationMs !== undefined) put(K.duration, `${Math.round(r.durationMs)}ms`);
  put(K.scheme, "http");
  if (custom) for (const name in custom) if (!remove.has(name)) emit(key(name), custom[name]);
}

function emitLlmAttributes(r: Readonly<ExchangeOutcome>, put: EmitAttribute): void {
  put(K.operation, r.operation === "embeddings" ? "embeddings" : "chat");
  put(K.provider, r.provider);
  put(K.requestModel, r.requestModel);
  put(K.responseModel, r.responseModel);
  const u = r.usage;
  if (u) {
    put(K.inputTokens, u.inputTokens);
    put(K.outputTokens, u.outputTokens);
    put(K.cacheRead, u.cachedInputTokens);
    put(K.cacheCreation, u.cacheWriteInputTokens);
    put(K.reasoningTokens, u.reasoningTokens);
  }
  if (r.firstByteMs !== undefined) {
    put(K.ttft, r.firstByteMs / 1000);
    if (u && u.outputTokens > 0 && r.durationMs !== undefined) put(K.tpot, (r.durationMs - r.firstByteMs) / 1000 / u.outputTokens);
  }
  const c = r.cost;
  if (c?.status === "Exact") {
    put(K.costTotal, usd(c.total));
    put(K.costInput, usd(c.input));
    put(K.costOutput, usd(c.output));
    put(K.costCacheRead, usd(c.cacheRead));
    put(K.costCacheWrite, usd(c.cacheWrite));
    put(K.costReasoning, usd(c.reasoning));
  }
}
