/**
 * The config schema: the one source of truth. It validates a loaded file, types the runtime model
 * (`z.output`) and generates `schema/config.json` for editors (`bun run schema`).
 *
 * Field names and shapes follow agentgateway's own schema (see CONFIG.md). Every object is strict:
 * an unknown field fails like a typo would. agentgateway fields this gateway does not implement yet
 * are declared with `notYet()`, so using one fails the load with a message naming it instead of
 * being silently ignored.
 */
import { z } from "zod";
import { AiPolicySchema } from "../policies/ai.ts";
import { BackendAuthSchema } from "../policies/backend-auth.ts";
import { BackendTlsSchema } from "../policies/backend-tls.ts";
import { AuthorizationSchema } from "../policies/authorization.ts";
import {
  Duration,
  exactlyOne,
  FileOrInline,
  HeaderMatch,
  HeaderModifier,
  JsonRecord,
  notYet,
  notYetFields,
  ModelName,
  Port,
  RouteMatch,
  StringOrList,
  UpstreamPath,
} from "./schema/parts.ts";
import { ModelCatalogSources } from "../telemetry/cost/catalog.ts";
import { PromptGuardSchema } from "../llm/guard/schema.ts";
import { PromptCachingSchema } from "../llm/shaping/prompt-caching.ts";
import { FieldTransformsSchema } from "../llm/shaping/transformations.ts";
import { HealthSchema } from "../policies/health.ts";
import { RedisSchema } from "./compile/limits.ts";
import { LlmParams } from "./schema/llm-params.ts";
import { LlmVirtualModel } from "./schema/llm-virtual.ts";
import { FieldsAdd, FrontendTracing, Histograms, MetricsSection, TracingSection } from "./schema/operations.ts";
import { BackendPolicies, GatewayPolicies, LlmPolicies, policyFields, RoutePolicies } from "./schema/policies.ts";
import { AIProvider, LlmProviderRef } from "./schema/providers.ts";

/** A gateway's (or its listeners') inline policies: agentgateway's `LocalGatewayPolicy` fields. */
const GatewayPolicyFields = policyFields("gateway");


// ---------------------------------------------------------------------------------------------
// providers

const Model = ModelName;

export const NamedAIProvider = z.strictObject({
  name: z.string().min(1),
  provider: AIProvider,
  hostOverride: z.string().nullish(),
  pathOverride: UpstreamPath.nullish(),
  pathPrefix: UpstreamPath.nullish(),
  tokenize: z.literal(false, { error: "'tokenize' is not supported yet by this gateway" }).optional(),
  policies: BackendPolicies.nullish(),
}).meta({ id: "NamedAIProvider" });

export const AIBackend = z.union([
  NamedAIProvider,
  z.strictObject({
    groups: z.array(z.strictObject({ providers: z.array(NamedAIProvider).min(1) })).min(1),
  }),
]).meta({ id: "AIBackend" });

// ---------------------------------------------------------------------------------------------
// routes and backends

export const RouteBackend = z
  .strictObject({
    weight: z.int().min(0).optional(),
    policies: BackendPolicies.nullish(),
    host: z.string().min(1).optional(),
    backend: z.string().min(1).optional(),
    ai: AIBackend.optional(),
    ...notYetFields(["service", "internal", "dynamic", "mcp", "aws", "routeGroup", "invalid"]),
  })
  .superRefine(exactlyOne(["host", "backend", "ai"], "backend")).meta({ id: "RouteBackend" });

const routeFields = {
  name: z.string().nullish(),
  namespace: z.string().nullish(),
  ruleName: z.string().nullish(),
  hostnames: z.array(z.string()).optional(),
  matches: z.array(RouteMatch).optional(),
  policies: RoutePolicies.nullish(),
  backends: z.array(RouteBackend).optional(),
};

export const Route = z.strictObject(routeFields).meta({ id: "Route" });

export const TopLevelBackend = z
  .strictObject({
    name: z.string().min(1),
    policies: BackendPolicies.nullish(),
    host: z.string().min(1).optional(),
    ai: AIBackend.optional(),
    ...notYetFields(["mcp", "aws", "internal"]),
  })
  .superRefine(exactlyOne(["host", "ai"], "backend"));

// ---------------------------------------------------------------------------------------------
// listeners, binds, gateways

const ServerTLS = z.strictObject({
  cert: z.string().min(1),
  key: z.string().min(1),
  ...notYetFields(["root", "mode", "minTLSVersion", "maxTLSVersion", "cipherSuites", "keyExchangeGroups"]),
}).meta({ id: "ServerTLS" });

const ListenerProtocol = z.enum(["HTTP", "HTTPS"], {
  error: "expected HTTP or HTTPS (TCP, TLS and HBONE listeners are not supported yet)",
}).meta({ id: "ListenerProtocol" });

export const Listener = z.strictObject({
  name: z.string().nullish(),
  namespace: z.string().nullish(),
  hostname: z.string().nullish(),
  protocol: ListenerProtocol.optional(),
  tls: ServerTLS.nullish(),
  routes: z.array(Route).nullish(),
  tcpRoutes: notYet("tcpRoutes"),
  policies: GatewayPolicies.nullish(),
}).meta({ id: "Listener" });

export const Bind = z.strictObject({
  port: Port,
  listeners: z.array(Listener),
  tunnelProtocol: z.literal("direct", { error: "only tunnelProtocol 'direct' is supported" }).optional(),
  mode: z.literal("standard", { error: "only mode 'standard' is supported" }).optional(),
}).meta({ id: "Bind" });

const GatewayListener = z.strictObject({
  name: z.string().nullish(),
  hostname: z.string().nullish(),
  protocol: ListenerProtocol.optional(),
  tls: ServerTLS.nullish(),
  ...GatewayPolicyFields,
});

export const Gateway = z.strictObject({
  port: Port,
  protocol: ListenerProtocol.nullish(),
  tls: ServerTLS.nullish(),
  listeners: z.array(GatewayListener).optional(),
  ...GatewayPolicyFields,
}).meta({ id: "Gateway" });

export const AttachedRoute = z.strictObject({ gateways: StringOrList.optional(), ...routeFields });

// ---------------------------------------------------------------------------------------------
// llm: the short form


const LlmModelDefaults = {
  defaults: JsonRecord.nullish(),
  overrides: JsonRecord.nullish(),
  /** body fields computed by CEL (the ai policy's `transformations`) */
  transformation: FieldTransformsSchema.nullish(),
  requestHeaders: HeaderModifier.nullish(),
  responseHeaders: HeaderModifier.nullish(),
  backendTLS: BackendTlsSchema.nullish(),
  tls: BackendTlsSchema.nullish(),
  auth: BackendAuthSchema.nullish(),
  health: HealthSchema.nullish(),
  promptCaching: PromptCachingSchema.nullish(),
};

export const LlmModel = z.strictObject({
  name: z
    .string()
    .min(1)
    .refine((n) => n.split("*").length <= 2 && (!n.includes("*") || n.startsWith("*") || n.endsWith("*")), {
      error: "a model name may contain one '*', only at its start or end",
    }),
  id: z.string().min(1).nullish(),
  visibility: z.enum(["public", "internal"]).optional(),
  provider: LlmProviderRef,
  params: LlmParams.nullish(),
  passthrough: z.enum(["detect", "opaque"]).nullish(),
  matches: z.array(z.strictObject({ headers: z.array(HeaderMatch).optional() })).nullish(),
  ...LlmModelDefaults,
  /** model-level rules: checked before the call to this model's provider (403 when they deny) */
  authorization: AuthorizationSchema.nullish(),
  /** the same on the body as it goes to the provider (the ai policy's `finalTransformations`) */
  finalTransformation: FieldTransformsSchema.nullish(),
  ...notYetFields(["backendTunnel"]),
  guardrails: PromptGuardSchema.nullish(),
}).meta({ id: "LlmModel" });

export const LlmProvider = z.strictObject({
  name: z.string().min(1),
  provider: LlmProviderRef,
  params: LlmParams.nullish(),
  defaults: z
    .strictObject({
      ...LlmModelDefaults,
      ...notYetFields(["backendTunnel"]),
    })
    .nullish(),
});

export const Llm = z.strictObject({
  gateways: StringOrList.nullish(),
  port: Port.nullish(),
  tls: notYet("tls"),
  providers: z.array(LlmProvider).optional(),
  models: z.array(LlmModel),
  virtualModels: z.array(LlmVirtualModel).nullish(),
  policies: LlmPolicies.nullish(),
});

// ---------------------------------------------------------------------------------------------
// root

const Address = z
  .string()
  .regex(/^(off|unix:.+|\[[0-9a-fA-F:.]*\]:\d+|[^:\s]+:\d+|:\d+)$/, {
    error: 'expected "ip:port", "localhost:port", "[::]:port" or "off"',
  }).meta({ id: "Address" });

/** `frontendPolicies.accessLog`: which fields the access log writes (`remove` drops them by name). */
const AccessLog = z
  .strictObject({ remove: z.array(z.string()).nullish(), add: FieldsAdd.nullish(), filter: z.string().min(1).nullish(), ...notYetFields(["otlp", "database"]) })
  .meta({ id: "AccessLogPolicy" });

export const RawConfigSection = z.strictObject({
  readinessAddr: Address.nullish(),
  adminAddr: Address.nullish(),
  statsAddr: Address.nullish(),
  metrics: MetricsSection.nullish(),
  tracing: TracingSection.nullish(),
  histograms: Histograms.nullish(),
  redis: RedisSchema.nullish(),
  modelCatalog: ModelCatalogSources.nullish(),
  /** Our extension: a `: keep-alive` comment after this much silence in a stream ("off" disables; default 15s). */
  streamKeepAlive: z.union([z.literal("off"), Duration]).nullish(),
  /** On SIGTERM: the longest in-flight requests may run before they are cut (default 30s). */
  connectionTerminationDeadline: Duration.nullish(),
  /** On SIGTERM: how long the listeners keep accepting after readiness starts failing, so load balancers notice first (default 0). */
  connectionMinTerminationDeadline: Duration.nullish(),
  logging: z
    .strictObject({
      format: z.enum(["text", "json"]).nullish(),
      level: z.enum(["error", "warn", "info", "debug", "trace"]).nullish(),
      fields: z.strictObject({ remove: z.array(z.string()).nullish(), add: FieldsAdd.nullish() }).nullish(),
      /** CEL: the access line of an exchange is written only when this is true */
      filter: z.string().min(1).nullish(),
      ...notYetFields(["database"]),
    })
    .nullish(),
  ...notYetFields([
    "enableIpv6",
    "dns",
    "localXdsPath",
    "database",
    "storage",
    "caAddress",
    "caAuthToken",
    "xdsAddress",
    "xdsAuthToken",
    "spiffe",
    "namespace",
    "gateway",
    "trustDomain",
    "additionalTrustDomains",
    "skipValidateTrustDomain",
    "serviceAccount",
    "clusterId",
    "network",
    "standardAttributes",
    "session",
    "mcp",
    "sensitiveHeaders",
    "customFunctions",
    "workerThreads",
    "backend",
    "hbone",
  ]),
});

export const FrontendPolicies = z.strictObject({
  http: z
    .strictObject({
      maxBufferSize: z.int().min(1).nullish(),
      http1IdleTimeout: Duration.nullish(),
      ...notYetFields([
        "http1MaxHeaders",
        "http1HeaderCase",
        "http2WindowSize",
        "http2ConnectionWindowSize",
        "http2FrameSize",
        "http2MaxHeaderSize",
        "http2KeepaliveInterval",
        "http2KeepaliveTimeout",
        "maxConnectionDuration",
      ]),
    })
    .nullish(),
  ...notYetFields([
    "tls",
    "tcp",
    "networkExtAuthz",
    "proxy",
    "proxyProtocol",
    "connect",
    "logging",
  ]),
  accessLog: AccessLog.nullish(),
  tracing: FrontendTracing.nullish(),
  /** CEL rules over the client's connection (`source.address`, `source.port`) */
  networkAuthorization: AuthorizationSchema.nullish(),
});

export const ConfigSchema = z
  .strictObject({
    config: RawConfigSection.nullish(),
    binds: z.array(Bind).nullish(),
    frontendPolicies: FrontendPolicies.nullish(),
    backends: z.array(TopLevelBackend).nullish(),
    gateways: z.record(z.string(), Gateway).nullish(),
    routes: z.array(AttachedRoute).nullish(),
    llm: Llm.nullish(),
    ...notYetFields(["policies", "workloads", "services", "routeGroups", "tcpRoutes", "mcp", "ui"]),
  })
  .meta({
    title: "agentgateway (Bun edition) config",
    description:
      "agentgateway's configuration format, as far as this gateway implements it. Fields marked " +
      "'Not supported yet' are rejected at load time.",
  });

export type RawConfig = z.output<typeof ConfigSchema>;
export type RawRoute = z.output<typeof Route>;
export type RawRouteBackend = z.output<typeof RouteBackend>;
export type RawNamedAIProvider = z.output<typeof NamedAIProvider>;
export type RawLlm = z.output<typeof Llm>;
export type RawLlmModel = z.output<typeof LlmModel>;
export type RawLlmProvider = z.output<typeof LlmProvider>;
export type { RawBackendAuth } from "../policies/backend-auth.ts";
export type { RawFileOrInline, RawHeaderModifier, RawRouteMatch, RouteTypeName } from "./schema/parts.ts";
