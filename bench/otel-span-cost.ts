/**
 * What one trace span costs: an OpenTelemetry SDK span (Tracer.startSpan, attributes, end) and a
 * plain `ReadableSpan` record, both into the official BatchSpanProcessor, with and without the
 * official OTLP protobuf encoding; then the gateway's own span record and protobuf writer
 * (src/telemetry/tracing/otlp-encode.ts), which the gateway uses instead (the official path's
 * cost kept a fully traced gateway at 0.66-0.77x of an untraced one in bench/operations.ts).
 *
 *   bun bench/otel-span-cost.ts
 */
import { context, SpanKind, trace, TraceFlags, type SpanContext } from "@opentelemetry/api";
import { ProtobufTraceSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace";
import { encodeExport, type SpanRecord } from "../src/telemetry/tracing/otlp-encode.ts";

const N = 200_000;
let encode = false;
const exporter: SpanExporter = {
  export(spans, done) {
    if (encode) ProtobufTraceSerializer.serializeRequest(spans);
    done({ code: 0 });
  },
  shutdown: async () => {},
};
const resource = resourceFromAttributes({ "service.name": "agentgateway" });
const processor = new BatchSpanProcessor({ exporter, maxQueueSize: 100_000, maxExportBatchSize: 512, scheduledDelayMillis: 100 });
const provider = new TracerProvider({ resource, spanProcessors: [processor] });
const tracer = provider.getTracer("agentgateway");
const parent: SpanContext = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: TraceFlags.SAMPLED, isRemote: true };
const attrs = (i: number) => ({
  gateway: "default/default", listener: "llm", route: "internal/llm:request", "http.method": "POST", "http.path": "/v1/chat/completions",
  "http.status": 200, protocol: "llm", "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o-mini",
  "gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.usage.input_tokens": 12, "gen_ai.usage.output_tokens": i % 100, duration: "12ms",
});
const hr = (ms: number): [number, number] => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
const hex = (n: number) => Buffer.from(crypto.getRandomValues(new Uint8Array(n))).toString("hex");

async function timed(one: (i: number) => void): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    one(i);
    if (i % 5000 === 0) await Bun.sleep(0);
  }
  await processor.forceFlush();
  return ((performance.now() - t0) * 1000) / N;
}

const sdkSpan = (i: number) => {
  const span = tracer.startSpan("POST /v1/chat/completions", { kind: SpanKind.SERVER }, trace.setSpanContext(context.active(), parent));
  span.setAttributes(attrs(i));
  span.end();
};
const recordSpan = (i: number) => {
  const own: SpanContext = { traceId: parent.traceId, spanId: hex(8), traceFlags: TraceFlags.SAMPLED };
  const end = performance.timeOrigin + performance.now();
  const span: ReadableSpan = {
    name: "POST /v1/chat/completions", kind: SpanKind.SERVER, spanContext: () => own, parentSpanContext: parent, startTime: hr(end - 12), endTime: hr(end),
    duration: hr(12), status: { code: 0 }, attributes: attrs(i), links: [], events: [], ended: true, resource, instrumentationScope: { name: "agentgateway" },
    droppedAttributesCount: 0, droppedEventsCount: 0, droppedLinksCount: 0,
  };
  processor.onEnd(span);
};

for (const withEncoding of [false, true]) {
  encode = withEncoding;
  for (let round = 0; round < 3; round++) {
    const sdk = await timed(sdkSpan);
    const rec = await timed(recordSpan);
    console.log(`${withEncoding ? "with protobuf encoding" : "span only             "}  SDK span ${sdk.toFixed(2)} µs   record ${rec.toFixed(2)} µs`);
  }
}
await provider.shutdown();

// the gateway's path: a span record per exchange, encoded 512 at a time
for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  let batch: SpanRecord[] = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const end = performance.timeOrigin + performance.now();
    batch.push({ traceId: parent.traceId, spanId: hex(8), parentSpanId: parent.spanId, flags: 1, name: "POST /v1/chat/completions", kind: 2, startMs: end - 12, endMs: end, attributes: attrs(i), status: { code: 0 } });
    if (batch.length === 512) {
      bytes += encodeExport(batch, { "service.name": "agentgateway" }, { name: "agentgateway", version: "0" }).length;
      batch = [];
    }
  }
  console.log(`gateway record + its protobuf writer ${(((performance.now() - t0) * 1000) / N).toFixed(2)} µs a span (${(bytes / (N - batch.length)).toFixed(0)} bytes)`);
}
