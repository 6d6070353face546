/**
 * One outcome record per exchange: what was asked, who answered, how it ended. The request
 * handling fills it through a few lifecycle events (matched, attempt, answered, failed) and
 * finishes it exactly once, when the answer (or its stream) is complete; subscribers (the access
 * log; metrics, token limits, budgets and traces next) see the finished record. Prompts,
 * completions and credentials are never part of it.
 */
import type { Usage } from "../llm/types.ts";
import type { Catalog } from "./cost/catalog.ts";
import { costOf, type Cost } from "./cost/cost.ts";
import type { TraceContext } from "./tracing/traceparent.ts";

/** What kind of failure ended the exchange (for logs and metrics; the status says the rest). */
export type ErrorKind =
  | "client" // the request was refused (bad input, unknown route, method, size)
  | "policy" // a policy refused it (auth, limits)
  | "upstream_status" // the provider answered with an error status
  | "upstream_unreachable" // no connection, or reset before the answer
  | "timeout"
  | "stream" // the answer broke after it started
  | "client_closed" // the client went away
  | "gateway"; // the gateway itself failed

export interface ExchangeOutcome {
  readonly start: number;
  readonly bind: number;
  readonly method: string;
  path: string;
  listener?: string;
  route?: string;
  protocol?: "llm" | "http";
  /** gen_ai.operation.name: chat, embeddings, models... */
  operation?: string;
  /** the provider (telemetry name) and endpoint of the last attempt */
  provider?: string;
  endpoint?: string;
  /** upstream calls made (retries and failover included) */
  attempts: number;
  /** attempts that failed before the answer, in order: who (endpoint) and the status (none: no answer) */
  failedAttempts?: { endpoint: string; status: number | undefined }[];
  /** retries made under a `retry` policy (failover to another provider is not a retry) */
  retries?: number;
  /** what each prompt guard decided, in order (metrics: agentgateway_guardrail_checks_total) */
  guardrails?: { phase: "request" | "response"; kind: string; action: "allow" | "mask" | "reject" | "failOpen" }[];
  requestModel?: string;
  responseModel?: string;
  usage?: Usage;
  status?: number;
  /** ms from the start of the exchange to the first byte of a streamed answer */
  firstByteMs?: number;
  /** ms from the start to the end of the answer (set when finished) */
  durationMs?: number;
  error?: string;
  errorKind?: ErrorKind;
  /** what the answer cost (set when finished, from the usage and the model catalog) */
  cost?: Cost;
  /** the exchange's trace, when it is traced (ids only: W3C trace context) */
  trace?: TraceContext;
  /** the configured custom fields (`fields.add`) of each signal, evaluated at finish */
  custom?: CustomFieldValues;
}

/** A custom field's value: CEL's result as a log, a label or an attribute can hold it. */
export type FieldValue = string | number | boolean;

export interface CustomFieldValues {
  log: Readonly<Record<string, FieldValue>>;
  /** by label name; a label whose expression failed is absent */
  metrics: Readonly<Record<string, FieldValue>>;
  trace: Readonly<Record<string, FieldValue>>;
  /** the access log's filter was false: no access line for this exchange */
  unlogged?: boolean;
  /** not sampled, or the traces' filter was false: no span for this exchange */
  untraced?: boolean;
}

export type OutcomeListener = (outcome: Readonly<ExchangeOutcome>) => void;

export interface OutcomeRecorder {
  readonly record: Readonly<ExchangeOutcome>;
  /** the normalised request path (the raw one is never recorded: it may hold anything) */
  path(path: string): void;
  matched(listener: string, route: string): void;
  /** an upstream call to `provider` at `endpoint` starts */
  attempt(provider: string, endpoint: string, protocol: "llm" | "http"): void;
  /** the current attempt failed and the exchange moves on (or gives up): failover and retries */
  attemptFailed(endpoint: string, status: number | undefined): void;
  /** the next attempt is a retry (`retry` policy) */
  retried(): void;
  /** a prompt guard decided */
  guarded(phase: "request" | "response", kind: string, action: "allow" | "mask" | "reject" | "failOpen"): void;
  /** the LLM operation and the model the client asked for */
  requested(operation: string | undefined, model: string | undefined): void;
  /** the answer's status is known (for streams: before the stream ends) */
  answered(status: number, details?: { usage?: Usage | undefined; responseModel?: string | undefined; firstByteMs?: number | undefined }): void;
  failed(status: number, kind: ErrorKind, message: string): void;
  /** the exchange is traced under these ids (upstream calls carry them in `traceparent`) */
  traced(trace: TraceContext | undefined): void;
  /** the custom fields, evaluated by a listener of this exchange (before the shared listeners see the record) */
  customFields(values: CustomFieldValues): void;
  /** listeners of this one exchange (a token limit charging its usage), called at finish */
  onFinish(listener: OutcomeListener): void;
  /** the exchange is over: notifies every listener, once */
  finish(): void;
}

export function recordOutcome(
  base: { start: number; bind: number; method: string; path: string },
  listeners: readonly OutcomeListener[],
  now: () => number,
  catalog: Catalog | undefined,
): OutcomeRecorder {
  return new Recorder({ start: base.start, bind: base.bind, method: base.method, path: base.path, attempts: 0 }, listeners, now, catalog);
}

/** A class so that its 14 methods are not 14 closures made for every request (see src/server/context.ts). */
class Recorder implements OutcomeRecorder {
  private local: OutcomeListener[] | undefined = undefined;
  private finished = false;

  constructor(
    readonly record: ExchangeOutcome,
    private readonly listeners: readonly OutcomeListener[],
    private readonly now: () => number,
    private readonly catalog: Catalog | undefined,
  ) {}

  path(path: string): void {
    this.record.path = path;
  }

  matched(listener: string, route: string): void {
    this.record.listener = listener;
    this.record.route = route;
  }

  attempt(provider: string, endpoint: string, protocol: "llm" | "http"): void {
    const record = this.record;
    record.attempts++;
    record.provider = provider;
    record.endpoint = endpoint;
    record.protocol = protocol;
  }

  attemptFailed(endpoint: string, status: number | undefined): void {
    (this.record.failedAttempts ??= []).push({ endpoint, status });
  }

  retried(): void {
    this.record.retries = (this.record.retries ?? 0) + 1;
  }

  guarded(phase: "request" | "response", kind: string, action: "allow" | "mask" | "reject" | "failOpen"): void {
    (this.record.guardrails ??= []).push({ phase, kind, action });
  }

  requested(operation: string | undefined, model: string | undefined): void {
    if (operation !== undefined) this.record.operation = operation;
    if (model !== undefined) this.record.requestModel = model;
  }

  answered(status: number, details?: { usage?: Usage | undefined; responseModel?: string | undefined; firstByteMs?: number | undefined }): void {
    const record = this.record;
    record.status = status;
    if (details?.usage) record.usage = details.usage;
    if (details?.responseModel) record.responseModel = details.responseModel;
    if (details?.firstByteMs !== undefined) record.firstByteMs = details.firstByteMs;
  }

  failed(status: number, kind: ErrorKind, message: string): void {
    const record = this.record;
    record.status = status;
    record.errorKind = kind;
    record.error = message.slice(0, 200);
  }

  traced(trace: TraceContext | undefined): void {
    if (trace) this.record.trace = trace;
  }

  customFields(values: CustomFieldValues): void {
    this.record.custom = values;
  }

  onFinish(listener: OutcomeListener): void {
    (this.local ??= []).push(listener);
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const record = this.record;
    record.durationMs = this.now() - record.start;
    if (record.usage && record.provider) record.cost = costOf(this.catalog, record.provider, record.responseModel, record.requestModel, record.usage);
    if (this.local) for (const l of this.local) l(record);
    for (const l of this.listeners) l(record);
  }
}
