/**
 * `config.metrics`, `config.tracing` and `config.histograms`: agentgateway's shapes (RawMetrics,
 * RawTracing). Their CEL-valued parts (`fields.add`, sampling expressions) are declared as not
 * supported yet, so a config using them fails with a message naming the field.
 */
import { z } from "zod";
import { notYetFields } from "./parts.ts";

export const MetricsSection = z
  .strictObject({
    /** metric names to leave out (`requests`, `agentgateway_requests_total`, `gen_ai_client_cost`...) */
    remove: z.array(z.string().min(1)).nullish(),
    fields: z.strictObject({ ...notYetFields(["add"]) }).nullish(),
  })
  .meta({ id: "MetricsConfig", description: "Prometheus metrics on the stats address: `remove` leaves metrics out by name." });

/** `true`, `false`, or a ratio 0..1 (agentgateway also takes a CEL expression: not supported yet). */
const Sampling = z
  .union([
    z.boolean(),
    z.number().min(0).max(1),
    z.string().regex(/^(true|false|0(\.\d+)?|1(\.0+)?)$/, { error: "CEL sampling expressions are not supported yet: use true, false or a ratio such as 0.1" }),
  ])
  .meta({ id: "Sampling" });

export const TracingSection = z
  .strictObject({
    /** collector endpoint: `http://host:4317`, `https://...`, `grpc://host:4317` or `host:port` (OTLP_ENDPOINT overrides) */
    otlpEndpoint: z.string().min(1).nullish(),
    headers: z.record(z.string(), z.string()).nullish(),
    otlpProtocol: z.enum(["grpc", "http"]).nullish(),
    /** the HTTP path (default /v1/traces) when the endpoint has none */
    path: z.string().startsWith("/").nullish(),
    /** requests without a `traceparent`: trace none (default), all, or this ratio */
    randomSampling: Sampling.nullish(),
    /** requests with a sampled `traceparent`: continue all (default), none, or this ratio */
    clientSampling: Sampling.nullish(),
    fields: z.strictObject({ remove: z.array(z.string()).nullish(), ...notYetFields(["add"]) }).nullish(),
  })
  .meta({ id: "TracingConfig", description: "OpenTelemetry traces over OTLP (gRPC by default, or HTTP/protobuf)." });

export const Histograms = z
  .literal("classic", { error: "only 'classic' histograms are supported (native histograms need the protobuf exposition)" })
  .meta({ id: "Histograms" });
