/**
 * OpenTelemetry traces: one SERVER span per exchange, built from its finished outcome record,
 * batched and exported over OTLP (gRPC, agentgateway's default, or HTTP/protobuf).
 *
 * The ids are chosen when the request arrives (so the provider's `traceparent` names the
 * gateway's span); the attributes are known when the exchange ends. The official OpenTelemetry
 * JS packages were measured and not used on this path (bench/otel-span-cost.ts): an SDK span
 * costs 2.9-4.7 µs and the official protobuf encoding 3-5 µs a span, which kept a fully traced
 * gateway at 0.66-0.77x of an untraced one; the span record here and its direct encoding
 * (otlp-encode.ts) cost about 3 µs together.
 */
import type { TracingSettings } from "../../config/model.ts";
import type { Logger } from "../log.ts";
import type { ExchangeOutcome, OutcomeListener } from "../outcome.ts";
import { emitSpanAttributes } from "./attributes.ts";
import { otlpTransport, type Transport } from "./exporter.ts";
import { SpanBatch, type SpanRecord } from "./otlp-encode.ts";
import { startTrace, type TraceContext } from "./traceparent.ts";

export interface Tracer {
  /** per request: the trace to record, from the client's `traceparent` and the sampling settings */
  start(headers: Headers): TraceContext | undefined;
  /** records the span of every traced exchange */
  readonly listener: OutcomeListener;
  /** exports what is queued and stops */
  shutdown(): Promise<void>;
}

export interface TracerOptions {
  logger: Logger;
  version: string;
  random?: () => number;
  /** tests: another transport */
  transport?: Transport;
}

const BATCH = 512;
/**
 * Spans are written 32 at a time, not as each exchange ends: one span cost 5.4-5.8 µs written
 * between requests (its code and data cold again) against 2 µs in a loop, and writing them
 * together measured 3-7 µs of CPU less a traced request (A/B, openai-json, 50 connections,
 * batches of 4 to 64 alike). The records wait at most until the next batch or the timer's flush.
 */
const ENCODE_EVERY = 32;
const MAX_QUEUE = 8192;
const MAX_IN_FLIGHT = 4;
const FLUSH_MS = 1000;

export function createTracer(settings: TracingSettings, opts: TracerOptions): Tracer {
  const random = opts.random ?? Math.random;
  const sampling = { random: settings.randomSampling, client: settings.clientSampling };
  const resource = { "service.name": process.env.OTEL_SERVICE_NAME || "agentgateway", "service.version": opts.version, ...settings.resources };
  const scope = { name: "agentgateway", version: opts.version };
  const send = opts.transport ?? otlpTransport(settings);
  let batch = new SpanBatch();
  /** encoded export requests waiting for a free slot */
  const ready: { body: Uint8Array; spans: number }[] = [];
  const inFlight = new Set<Promise<void>>();
  let dropped = 0;
  let lastWarn = 0;

  const warn = (message: string, fields: Record<string, unknown>) => {
    if (Date.now() - lastWarn < 60_000) return;
    lastWarn = Date.now();
    opts.logger.warn(message, { endpoint: settings.endpoint, ...fields });
  };

  const seal = () => {
    encodePending();
    if (batch.count === 0) return;
    ready.push({ spans: batch.count, body: batch.take(resource, scope) });
  };
  const flush = () => {
    seal();
    while (ready.length > 0 && inFlight.size < MAX_IN_FLIGHT) {
      const { body, spans } = ready.shift()!;
      const p = send(body).catch((err: unknown) => warn("trace export failed", { spans, error: String((err as Error)?.message ?? err) }));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  };
  const timer = setInterval(flush, FLUSH_MS);
  timer.unref?.();

  /** finished exchanges whose spans are not written yet */
  const pending: { r: ExchangeOutcome; t: TraceContext; endMs: number }[] = [];
  // one span record, filled in for each exchange in turn (no record, closure or status object a span)
  let exchange: ExchangeOutcome | undefined;
  const span: SpanRecord = { traceId: "", spanId: "", parentSpanId: undefined, flags: 0, name: "", kind: 2, startMs: 0, endMs: 0, attributes: (emit, copy) => emitSpanAttributes(exchange!, settings.remove, emit, copy), status: OK };
  const encodePending = () => {
    for (const { r, t, endMs } of pending) {
      exchange = r;
      span.traceId = t.traceId;
      span.spanId = t.spanId;
      span.parentSpanId = t.parentSpanId;
      span.flags = t.flags;
      span.name = spanName(r.method, r.path);
      span.startMs = endMs - (r.durationMs ?? 0);
      span.endMs = endMs;
      span.status = r.errorKind ? { code: 2, message: r.error ?? r.errorKind } : OK;
      batch.add(span);
    }
    exchange = undefined;
    pending.length = 0;
  };

  const listener: OutcomeListener = (r) => {
    const t = r.trace;
    if (t === undefined || r.custom?.untraced) return;
    if (ready.length * BATCH + batch.count + pending.length >= MAX_QUEUE) {
      dropped++;
      warn("trace export is behind: spans dropped", { dropped });
      return;
    }
    pending.push({ r, t, endMs: performance.timeOrigin + performance.now() });
    if (pending.length >= ENCODE_EVERY) {
      encodePending();
      if (batch.count >= BATCH) flush();
    }
  };

  return {
    start: (headers) => startTrace(headers.get("traceparent"), sampling, random),
    listener,
    async shutdown() {
      clearInterval(timer);
      while (pending.length > 0 || batch.count > 0 || ready.length > 0 || inFlight.size > 0) {
        flush();
        await Promise.race([Promise.all(inFlight), Bun.sleep(TIMEOUT_GRACE_MS)]);
        if (inFlight.size > 0) break;
      }
    },
  };
}

const TIMEOUT_GRACE_MS = 5000;
const OK = { code: 0 };

/** `POST /v1/chat/completions`: the span's name, the last one made again while method and path repeat */
function spanName(method: string, path: string): string {
  if (method !== lastMethod || path !== lastPath) {
    lastMethod = method;
    lastPath = path;
    lastName = `${method} ${path || "unknown"}`;
  }
  return lastName;
}
let lastMethod: string | undefined;
let lastPath: string | undefined;
let lastName = "";
