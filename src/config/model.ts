/**
 * The runtime model: what a loaded config compiles to. Immutable once built; a reload builds a
 * new one and swaps it in, so a request sees one consistent model from start to end.
 */
import type { CelExpression } from "../cel/index.ts";
import type { UpstreamOrigin } from "../http/upstream-url.ts";
import type { HealthSettings, TargetHealth } from "../llm/failover/health.ts";
import type { WeightedTarget } from "../llm/failover/order.ts";
import type { Provider } from "../llm/types.ts";
import type { LimitTable } from "../limits/observed.ts";
import type { Chain } from "../policies/chain.ts";
import type { Policy } from "../policies/types.ts";
import type { Router } from "../routing/router.ts";
import type { Catalog } from "../telemetry/cost/catalog.ts";
import type { Secret } from "./secret.ts";
import type { NetworkAuthorization } from "./compile/network-authorization.ts";

export interface GatewayConfig {
  binds: ReadonlyMap<number, BindConfig>;
  readiness: ListenAddress | null;
  logging: { format: "text" | "json"; level: LogLevel };
  /** access-log fields removed by name (`frontendPolicies.accessLog.remove`, `config.logging.fields.remove`) */
  accessLogRemove: ReadonlySet<string>;
  /**
   * Whether anything configured reads token usage (the access log's usage fields, token limits):
   * when nothing does, an OpenAI-format stream the gateway does not change goes to the client
   * untouched (zero copy) and the gateway asks no usage of the upstream.
   */
  usageWanted: boolean;
  /** `frontendPolicies.networkAuthorization`: why a client's connection is refused (undefined: not configured) */
  networkAuthorization: NetworkAuthorization | undefined;
  /** ms of silence after which a stream gets a `: keep-alive` comment (undefined: off) */
  streamKeepAliveMs: number | undefined;
  /** list prices for cost (`config.modelCatalog`, else the bundled catalog); undefined when turned off */
  catalog: Catalog | undefined;
  /** where those prices come from (the admin page and /config_dump say it) */
  catalogSource: { kind: "config" | "bundled" | "none"; date?: string; models: number };
  /** the admin page (`config.adminAddr`, ADMIN_ADDR; default localhost:15000, loopback only); null = off */
  admin: ListenAddress | null;
  /** Prometheus metrics (`config.statsAddr`, STATS_ADDR; default [::]:15020); null = off */
  stats: ListenAddress | null;
  /** `config.metrics.remove`: metric names left out */
  metricsRemove: ReadonlySet<string>;
  /** OpenTelemetry traces (`config.tracing`, OTLP_ENDPOINT...); undefined = off */
  tracing: TracingSettings | undefined;
  /** custom fields of the access log, metrics and traces (`fields.add`); undefined when none is configured */
  telemetryFields: TelemetryFields | undefined;
  /** the config as written, before variables are expanded (the admin's /api/config, redacted there); a Secret: it may hold literal keys */
  source?: { label: string; text: Secret };
  /** request bodies the gateway buffers (LLM routes) are refused above this size with a 413 */
  maxBodyBytes: number;
  /** seconds a connection may sit idle (Bun.serve idleTimeout, at most 255) */
  idleTimeoutSec: number;
  /** what this config's rate limits and budgets last saw per key (the admin page's `/ui/limits`) */
  limitTable: LimitTable;
  /** shutdown (SIGTERM): listeners keep accepting for `minMs` after readiness starts failing; in-flight requests are cut at `maxMs` */
  termination: { minMs: number; maxMs: number };
}

export interface TracingSettings {
  /** the collector as configured (for display) */
  endpoint: string;
  /** what the exporter connects to: `http(s)://host:port` for gRPC, the full URL for HTTP */
  url: string;
  protocol: "grpc" | "http";
  headers: ReadonlyMap<string, Secret>;
  /** probability of tracing a request without `traceparent` (agentgateway's default: 0) */
  randomSampling: number;
  /** probability of continuing a client's sampled trace (default: 1) */
  clientSampling: number;
  /** span attributes left out */
  remove: ReadonlySet<string>;
  /** resource attributes added to the service's (`frontendPolicies.tracing.resources`, evaluated at load) */
  resources: Readonly<Record<string, string | number | boolean>>;
}

/** `fields.add` of each telemetry signal: evaluated once, when the exchange ends (src/telemetry/custom-fields.ts). */
export interface TelemetryFields {
  /** `config.logging.fields.add` and `frontendPolicies.accessLog.add` */
  log: readonly CustomField[];
  /** `config.metrics.fields.add`: labels of the HTTP and gen_ai metrics */
  metrics: readonly CustomField[];
  /** `config.tracing.fields.add` / `frontendPolicies.tracing.attributes`: span attributes */
  trace: readonly CustomField[];
  /** `config.logging.filter` / `frontendPolicies.accessLog.filter`: the access line is written only when true */
  logFilter: CelExpression | undefined;
  /** `frontendPolicies.tracing.filter`: a sampled exchange's span is exported only when true */
  traceFilter: CelExpression | undefined;
}

export interface CustomField {
  name: string;
  expr: CelExpression;
}

export type LogLevel = "error" | "warn" | "info" | "debug" | "trace";

export interface ListenAddress {
  hostname: string;
  port: number;
}

export interface ServerTls {
  cert: string;
  key: string;
  serverName: string | undefined;
}

export interface BindConfig {
  port: number;
  /** TLS certificates by listener (SNI); empty for plain HTTP */
  tls: ServerTls[];
  listeners: ListenerConfig[];
}

export interface ListenerConfig {
  name: string;
  /** lower-case hostname pattern ("*.example.com" allowed), undefined = any host */
  hostname: string | undefined;
  router: Router;
  /** the listener's own policies (gateway level), around every route's */
  chain: Chain;
}

export interface RouteConfig {
  /** name for logs: `name` or `listener/route-index` */
  key: string;
  /** the route's filters (exchange-level policies), in registry order */
  policies: readonly Policy[];
  /** their `handle` hooks, composed once */
  chain: Chain;
  /** a filter of this route reads answers' token usage */
  consumesUsage: boolean;
  /** `urlRewrite`'s path rewrite, given the path and the prefix the route matched it by */
  rewritePath?: ((path: string, matchedPrefix: string | undefined) => string) | undefined;
  backends: WeightedBackend[];
  totalWeight: number;
}

export interface WeightedBackend {
  weight: number;
  backend: Backend;
}

export type Backend = HostBackend | AiBackend | LlmBackend;

export interface FetchTls {
  ca?: string;
  cert?: string;
  key?: string;
  serverName?: string;
  rejectUnauthorized?: boolean;
  checkServerIdentity?: () => undefined;
}

/** What every upstream an exchange can call shares: where it is and the policies of its backend. */
export interface UpstreamTarget {
  /** for logs: the backend or provider name */
  name: string;
  origin: UpstreamOrigin;
  /** backend-level policies (the route's backend policies merged in), in registry order */
  policies: readonly Policy[];
  /** derived from `policies` once: TLS options, whether the client's credential is dropped, secrets to scrub */
  tls: FetchTls | undefined;
  stripClientAuth: boolean;
  secrets: readonly Secret[];
  /** a policy of this backend reads answers' token usage */
  consumesUsage: boolean;
}

/** A plain HTTP upstream (`host:` backends), proxied as is. */
export interface HostBackend extends UpstreamTarget {
  kind: "host";
}

/** An `ai` backend: one provider, or priority groups of providers. */
export interface AiBackend {
  kind: "ai";
  name: string;
  groups: ProviderTarget[][];
}

/** The `llm:` short form: the client's model picks the provider. */
export interface LlmBackend {
  kind: "llm";
  name: string;
  models: LlmModelEntry[];
  /** `llm.virtualModels` by exact name (looked up before `models`) */
  virtualModels: ReadonlyMap<string, VirtualModel>;
}

export interface VirtualRoute {
  when: CelExpression | undefined;
  /** priority groups of weighted targets (weighted: one group; failover: one per priority) */
  groups: WeightedTarget[][];
}

/** A model name served from other configured models (`llm.virtualModels`). */
export interface VirtualModel {
  name: string;
  /**
   * Where it routes: weighted and failover have one route without a condition; conditional one
   * per target, the first whose `when` is true (or that has none) taken.
   */
  routes: readonly VirtualRoute[];
  /** how it is listed in /v1/models */
  listing: LlmModelEntry;
}

export interface LlmModelEntry {
  /** the configured name, possibly with `*` */
  name: string;
  matches(model: string): boolean;
  /** extra header conditions (any entry may match); empty = none */
  headerMatches: ((headers: Headers) => boolean)[];
  visibility: "public" | "internal";
  target: ProviderTarget;
}

/** One upstream LLM provider, fully resolved. */
export interface ProviderTarget extends UpstreamTarget {
  /** the provider, bound to its settings and base path */
  provider: Provider;
  /** the provider's pinned model (replaces the client's on chat-family requests) */
  model: string | undefined;
  /** the base path native paths are built on (`pathPrefix` applied) */
  basePath: string;
  pathOverride: string | undefined;
  /** a passthrough route's upstream path for the client's normalised path */
  passthroughPath(clientPath: string): string;
  /** `policies.ai.routes`, when configured */
  routes: Policy["routes"];
  /** `llm:` models: how the catch-all route type is handled */
  passthrough: "detect" | "opaque" | undefined;
  /** learnt from its answers (shared by every request and candidate list it is in) */
  health: TargetHealth;
  /** its `health` policy, when configured */
  healthPolicy: HealthSettings | undefined;
}
