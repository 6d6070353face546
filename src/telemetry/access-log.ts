/**
 * The access log: one line per exchange, written from its finished outcome record. Field names
 * follow agentgateway's; prompts, completions and credentials are never part of it.
 */
import type { FieldSink, Logger } from "./log.ts";
import type { ExchangeOutcome, OutcomeListener } from "./outcome.ts";
import { usdString as usd } from "./cost/cost.ts";

/** The fields that carry token usage (what makes the gateway read a stream's usage for the log). */
export const USAGE_FIELDS = [
  "gen_ai.usage.input_tokens",
  "gen_ai.usage.cache_read.input_tokens",
  "gen_ai.usage.cache_creation.input_tokens",
  "gen_ai.usage.output_tokens",
  "gen_ai.usage.reasoning_tokens",
] as const;

/** The access log as an outcome listener; `remove` names fields never written. */
export function accessLog(logger: Logger, remove: () => ReadonlySet<string>): OutcomeListener {
  // made once: the line's fields are written from the record when the batch is written
  const write = (out: FieldSink, r: Readonly<ExchangeOutcome>) => {
    const removed = remove();
    accessLogFields(removed.size > 0 ? new Without(out, removed) : out, r);
  };
  return (r) => {
    if (r.custom?.unlogged) return;
    const level = r.status !== undefined && r.status >= 500 ? "warn" : "info";
    if (!r.custom) return logger.write(level, "request", r, write);
    // custom fields (`fields.add`) may replace a field in its place: an object of the fields, then
    // theirs, then the removed ones (undefined, not deleted: a delete makes it a slower dictionary)
    const fields = new Collected();
    accessLogFields(fields, r);
    Object.assign(fields.values, r.custom.log);
    for (const name of remove()) fields.values[name] = undefined;
    logger.line(level, "request", fields.values);
  };
}

/** The access line's fields, in order, from a finished record. */
export function accessLogFields(out: FieldSink, r: Readonly<ExchangeOutcome>): void {
  out.field("bind", r.bind);
  out.field("listener", r.listener);
  out.field("route", r.route);
  out.field("endpoint", r.endpoint);
  out.field("http.method", r.method);
  out.field("http.path", r.path);
  out.field("http.status", r.status);
  out.field("protocol", r.protocol);
  out.field("gen_ai.operation.name", r.operation);
  out.field("gen_ai.provider.name", r.provider);
  out.field("gen_ai.request.model", r.requestModel);
  out.field("gen_ai.response.model", r.responseModel);
  const u = r.usage;
  if (u) {
    out.field("gen_ai.usage.input_tokens", u.inputTokens);
    out.field("gen_ai.usage.cache_read.input_tokens", u.cachedInputTokens);
    out.field("gen_ai.usage.cache_creation.input_tokens", u.cacheWriteInputTokens);
    out.field("gen_ai.usage.output_tokens", u.outputTokens);
    out.field("gen_ai.usage.reasoning_tokens", u.reasoningTokens);
  }
  if (r.cost?.status === "Exact") out.field("agw.ai.usage.cost.total", usd(r.cost.total));
  out.amount("agw.ai.time_to_first_token", r.firstByteMs, "ms");
  if (r.attempts > 1) out.field("retry.attempt", r.attempts - 1);
  out.field("error", r.error);
  out.field("reason", r.errorKind);
  out.amount("duration", r.durationMs, "ms");
}

/** The fields except the removed ones (`logging.fields.remove`). */
class Without implements FieldSink {
  constructor(
    private readonly out: FieldSink,
    private readonly removed: ReadonlySet<string>,
  ) {}

  field(name: string, value: unknown): void {
    if (!this.removed.has(name)) this.out.field(name, value);
  }

  amount(name: string, n: number | undefined, unit: string): void {
    if (!this.removed.has(name)) this.out.amount(name, n, unit);
  }
}

/** The fields as an object (a line with custom fields). */
class Collected implements FieldSink {
  readonly values: Record<string, unknown> = {};

  field(name: string, value: unknown): void {
    if (value !== undefined) this.values[name] = value;
  }

  amount(name: string, n: number | undefined, unit: string): void {
    if (n !== undefined) this.values[name] = `${Math.round(n)}${unit}`;
  }
}
