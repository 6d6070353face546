/**
 * `config.metrics`, `config.tracing` and `config.histograms`: agentgateway's shapes (RawMetrics,
 * RawTracing). `fields.add` maps a field (a metric label, a span attribute) to a CEL expression
 * evaluated when the exchange ends (src/telemetry/custom-fields.ts); CEL sampling expressions
 * are not supported yet, and a config using one fails with a message saying so.
 */
import { z } from "zod";
import { HeaderMap, notYetFields } from "./parts.ts";

/** `fields.add`: field name -> CEL expression (agentgateway's RawMetricFields / RawLoggingFields `add`). */
export const FieldsAdd = z.record(z.string().min(1), z.string().min(1)).meta({ id: "FieldsAdd", description: "Field name to a CEL expression evaluated when the exchange ends." });

export const MetricsSection = z
  .strictObject({
    /** metric names to leave out (`requests`, `agentgateway_requests_total`, `gen_ai_client_cost`...) */
    remove: z.array(z.string().min(1)).nullish(),
    /** labels added to the HTTP and gen_ai metrics: label name -> CEL */
    fields: z.strictObject({ add: FieldsAdd.nullish() }).nullish(),
  })
  .meta({ id: "MetricsConfig", description: "Prometheus metrics on the stats address: `remove` leaves metrics out by name; `fields.add` adds labels computed by CEL." });

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
    headers: HeaderMap.nullish(),
    otlpProtocol: z.enum(["grpc", "http"]).nullish(),
    /** the HTTP path (default /v1/traces) when the endpoint has none */
    path: z.string().startsWith("/").nullish(),
    /** requests without a `traceparent`: trace none (default), all, or this ratio */
    randomSampling: Sampling.nullish(),
    /** requests with a sampled `traceparent`: continue all (default), none, or this ratio */
    clientSampling: Sampling.nullish(),
    fields: z.strictObject({ remove: z.array(z.string()).nullish(), add: FieldsAdd.nullish() }).nullish(),
  })
  .meta({ id: "TracingConfig", description: "OpenTelemetry traces over OTLP (gRPC by default, or HTTP/protobuf)." });

/**
 * `frontendPolicies.tracing` (agentgateway's TracingConfig, which replaces the deprecated
 * `config.tracing`): the collector by `host`, span `attributes` and `resources` by CEL, `remove`,
 * the sampling settings and a keep-`filter`. The collector's own backend policies and a
 * collector named as a backend or service are not supported yet.
 */
export const FrontendTracing = z
  .strictObject({
    /** the collector: `host:port` (or a URL: http://, https://, grpc://) */
    host: z.string().min(1),
    /** span attributes added: attribute name -> CEL, evaluated when the exchange ends */
    attributes: FieldsAdd.nullish(),
    /** resource attributes (`service.name`...): name -> CEL, evaluated once when the config loads */
    resources: FieldsAdd.nullish(),
    /** span attributes left out */
    remove: z.array(z.string()).nullish(),
    randomSampling: Sampling.nullish(),
    clientSampling: Sampling.nullish(),
    /** CEL; only spans for which it is true are exported (evaluated for sampled requests; an error drops the span) */
    filter: z.string().min(1).nullish(),
    path: z.string().startsWith("/").nullish(),
    /** OTLP protocol (default grpc) */
    protocol: z.enum(["grpc", "http"]).nullish(),
    ...notYetFields(["backend", "service", "policies"]),
  })
  .meta({ id: "FrontendTracingPolicy", description: "OpenTelemetry traces for every request of the gateway (agentgateway's frontendPolicies.tracing)." });

export const Histograms = z
  .literal("classic", { error: "only 'classic' histograms are supported (native histograms need the protobuf exposition)" })
  .meta({ id: "Histograms" });
