/**
 * The span attributes of an exchange: agentgateway's keys (the access log's, with the OpenTelemetry
 * GenAI semantic conventions v1.40.0 for the LLM part). Built from the outcome record, which never
 * holds a prompt, a completion or a credential; `config.tracing.fields.add` adds the custom fields
 * evaluated into the record (one of the same name replaces the built-in), `fields.remove` drops keys
 * by name. The attributes go straight to the encoder, keys made once (no object per span).
 */
import { reason } from "../metrics/gateway-metrics.ts";
import type { ExchangeOutcome } from "../outcome.ts";
import { attributeKey as key, encodeAttributes, type AttributeValue, type CopyAttributes, type EmitAttribute } from "./otlp-encode.ts";
import { usdString as usd } from "../cost/cost.ts";

const K = {
  gateway: key("gateway"),
  listener: key("listener"),
  route: key("route"),
  endpoint: key("endpoint"),
  method: key("http.method"),
  path: key("http.path"),
  status: key("http.status"),
  traceId: key("trace.id", "once"),
  spanId: key("span.id", "once"),
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
  costTotal: key("agw.ai.usage.cost.total", "usd"),
  costInput: key("agw.ai.usage.cost.input", "usd"),
  costOutput: key("agw.ai.usage.cost.output", "usd"),
  costCacheRead: key("agw.ai.usage.cost.cache_read", "usd"),
  costCacheWrite: key("agw.ai.usage.cost.cache_write", "usd"),
  costReasoning: key("agw.ai.usage.cost.reasoning", "usd"),
  retry: key("retry.attempt"),
  reason: key("reason"),
  duration: key("duration"),
  scheme: key("url.scheme"),
};

/** The attributes as an object (tests, and anything that wants to look at them). */
export function spanAttributes(r: Readonly<ExchangeOutcome>, remove: ReadonlySet<string>): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  emitSpanAttributes(r, remove, (k, v) => {
    if (v !== undefined) out[k.name] = k.usd && typeof v === "number" ? usd(v) : v;
  });
  return out;
}

/**
 * Each attribute of the span of `r`, passed to `emit` (the encoder writes them as they come).
 * With `copy` and nothing removed or added, the attributes every exchange of a route, provider
 * and model repeats come as one block encoded once (`routeBlock`).
 */
export function emitSpanAttributes(r: Readonly<ExchangeOutcome>, remove: ReadonlySet<string>, emit: EmitAttribute, copy?: CopyAttributes): void {
  const custom = r.custom?.trace;
  const plain = custom === undefined && remove.size === 0;
  // the common case (no custom field, nothing removed) emits without a check per attribute
  const put: EmitAttribute = plain ? emit : filtered(emit, remove, custom);
  if (plain && copy !== undefined) copy(routeBlock(r));
  else emitRouteAttributes(r, put);
  put(K.traceId, r.trace?.traceId);
  put(K.spanId, r.trace?.spanId);
  if (r.protocol === "llm") emitLlmAttributes(r, put);
  if (r.attempts > 1) put(K.retry, r.attempts - 1);
  const why = reason(r);
  if (why !== "Upstream") put(K.reason, why);
  if (r.durationMs !== undefined) put(K.duration, `${Math.round(r.durationMs)}ms`);
  put(K.scheme, "http");
  if (custom) for (const name in custom) if (!remove.has(name)) emit(key(name), custom[name]);
}

/**
 * `emit` without the removed keys and those a custom field replaces. (A function of its own: a
 * closure made in emitSpanAttributes would give every span a scope object, made or not.)
 */
function filtered(emit: EmitAttribute, remove: ReadonlySet<string>, custom: Record<string, unknown> | undefined): EmitAttribute {
  return (k, v) => void (remove.has(k.name) || (custom !== undefined && k.name in custom) || emit(k, v));
}

/** The attributes that name where an exchange went: the same for every exchange of a route, provider and model. */
function emitRouteAttributes(r: Readonly<ExchangeOutcome>, put: EmitAttribute): void {
  put(K.gateway, "default/default");
  put(K.listener, r.listener);
  put(K.route, r.route);
  put(K.endpoint, r.endpoint);
  put(K.method, r.method);
  put(K.path, r.path);
  put(K.status, r.status);
  put(K.protocol, r.protocol);
  if (r.protocol !== "llm") return;
  put(K.operation, r.operation === "embeddings" ? "embeddings" : "chat");
  put(K.provider, r.provider);
  put(K.requestModel, r.requestModel);
  put(K.responseModel, r.responseModel);
}

/** The route attributes of a recent exchange and their encoding. */
interface RouteBlock {
  readonly from: Pick<ExchangeOutcome, "listener" | "route" | "endpoint" | "method" | "path" | "status" | "protocol" | "operation" | "provider" | "requestModel" | "responseModel">;
  readonly bytes: Uint8Array;
}

/**
 * The route attributes of the last few distinct routes, most recent first. Comparing eleven
 * values (mostly the same string objects) and copying one block cost a third of writing them
 * one by one, a third of a span. A client choosing a new model or path each time only misses.
 */
const routeBlocks: RouteBlock[] = [];
const ROUTE_BLOCKS = 8;

function routeBlock(r: Readonly<ExchangeOutcome>): Uint8Array {
  for (let i = 0; i < routeBlocks.length; i++) {
    const b = routeBlocks[i]!;
    const f = b.from;
    if (f.status === r.status && f.route === r.route && f.path === r.path && f.requestModel === r.requestModel && f.responseModel === r.responseModel && f.provider === r.provider && f.endpoint === r.endpoint && f.listener === r.listener && f.method === r.method && f.protocol === r.protocol && f.operation === r.operation) {
      if (i > 0) {
        routeBlocks.copyWithin(1, 0, i);
        routeBlocks[0] = b;
      }
      return b.bytes;
    }
  }
  return newRouteBlock(r);
}

/** A route block not seen lately, encoded and kept (apart from routeBlock: its closure would give every span a scope object). */
function newRouteBlock(r: Readonly<ExchangeOutcome>): Uint8Array {
  const { listener, route, endpoint, method, path, status, protocol, operation, provider, requestModel, responseModel } = r;
  const b: RouteBlock = { from: { listener, route, endpoint, method, path, status, protocol, operation, provider, requestModel, responseModel }, bytes: encodeAttributes((emit) => emitRouteAttributes(r, emit)) };
  routeBlocks.unshift(b);
  if (routeBlocks.length > ROUTE_BLOCKS) routeBlocks.length = ROUTE_BLOCKS;
  return b.bytes;
}

function emitLlmAttributes(r: Readonly<ExchangeOutcome>, put: EmitAttribute): void {
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
    // amounts: the encoder writes them as agentgateway's decimal strings (`usd` keys)
    put(K.costTotal, c.total);
    put(K.costInput, c.input);
    put(K.costOutput, c.output);
    put(K.costCacheRead, c.cacheRead);
    put(K.costCacheWrite, c.cacheWrite);
    put(K.costReasoning, c.reasoning);
  }
}
