/**
 * The official OTLP trace exporters for `config.tracing`: gRPC (`otlpProtocol: grpc`, the
 * default, `@opentelemetry/exporter-trace-otlp-grpc`) or HTTP with protobuf bodies (`http`,
 * `@opentelemetry/exporter-trace-otlp-proto`), with the configured headers. Loaded only when a
 * span is first exported.
 */
import { credentials, Metadata } from "@grpc/grpc-js";
import { OTLPTraceExporter as GrpcExporter } from "@opentelemetry/exporter-trace-otlp-grpc";
import { OTLPTraceExporter as ProtoExporter } from "@opentelemetry/exporter-trace-otlp-proto";
import type { SpanExporter } from "@opentelemetry/sdk-trace";
import type { TracingSettings } from "../../config/model.ts";

export function otlpExporter(settings: TracingSettings): SpanExporter {
  const headers = Object.fromEntries([...settings.headers].map(([k, v]) => [k, v.reveal()]));
  if (settings.protocol === "http") return new ProtoExporter({ url: settings.url, headers, timeoutMillis: 10_000 });
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  const tls = settings.url.startsWith("https:");
  return new GrpcExporter({ url: settings.url, metadata, credentials: tls ? credentials.createSsl() : credentials.createInsecure(), timeoutMillis: 10_000 });
}
