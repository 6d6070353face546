/**
 * The runtime model: what a loaded config compiles to. Immutable once built; a reload builds a
 * new one and swaps it in, so a request sees one consistent model from start to end.
 */
import type { Authorizer, ProviderAdapter, RouteType } from "../llm/types.ts";
import type { Router } from "../routing/router.ts";
import type { Secret } from "./secret.ts";
import type { UpstreamOrigin } from "../http/upstream-url.ts";

export interface GatewayConfig {
  binds: ReadonlyMap<number, BindConfig>;
  readiness: ListenAddress | null;
  logging: { format: "text" | "json"; level: LogLevel };
  /** request bodies the gateway buffers (LLM routes) are refused above this size with a 413 */
  maxBodyBytes: number;
  /** seconds a connection may sit idle (Bun.serve idleTimeout, at most 255) */
  idleTimeoutSec: number;
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
}

export interface HeaderOps {
  add: [string, string][];
  set: [string, string][];
  remove: string[];
}

export interface RouteConfig {
  /** name for logs: `name` or `listener/route-index` */
  key: string;
  policies: RoutePolicy;
  backends: WeightedBackend[];
  totalWeight: number;
}

export interface RoutePolicy {
  requestHeaders: HeaderOps | undefined;
  responseHeaders: HeaderOps | undefined;
  /** whole exchange, headers and body */
  requestTimeoutMs: number | undefined;
  /** each upstream call */
  backendTimeoutMs: number | undefined;
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

/** A plain HTTP upstream (`host:` backends), proxied as is. */
export interface HostBackend {
  kind: "host";
  name: string;
  origin: UpstreamOrigin;
  tls: FetchTls | undefined;
  auth: Authorizer | undefined;
  requestHeaders: HeaderOps | undefined;
  responseHeaders: HeaderOps | undefined;
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
}

export interface LlmModelEntry {
  /** the configured name, possibly with one leading or trailing `*` */
  name: string;
  matches(model: string): boolean;
  /** extra header conditions (any entry may match); empty = none */
  headerMatches: ((headers: Headers) => boolean)[];
  visibility: "public" | "internal";
  target: ProviderTarget;
}

export interface AiPolicyConfig {
  /** path suffix -> route type, longest first; undefined = the default table */
  routes: [string, RouteType][] | undefined;
  /** with an explicit table: the `"*"` entry, else `completions` (agentgateway's rule) */
  routesFallback: RouteType;
  defaults: Record<string, unknown> | undefined;
  overrides: Record<string, unknown> | undefined;
  /** exact aliases first, then wildcard patterns longest first */
  modelAliases: [string, string][] | undefined;
}

/** One upstream LLM provider, fully resolved. */
export interface ProviderTarget {
  name: string;
  adapter: ProviderAdapter<never>;
  /** provider-specific settings, interpreted only by `adapter` */
  spec: unknown;
  /** the provider's pinned model (replaces the client's on chat-family requests) */
  model: string | undefined;
  /** `gen_ai.provider.name` */
  telemetryName: string;
  /** the configured host (hostOverride / baseUrl) or the provider's default */
  origin: UpstreamOrigin;
  /** the base path native paths are built on (`pathPrefix` applied) */
  basePath: string;
  pathOverride: string | undefined;
  /** a passthrough route's upstream path for the client's normalised path */
  passthroughPath(clientPath: string): string;
  tls: FetchTls | undefined;
  auth: Authorizer | undefined;
  /** a backend key is configured: the client's own Authorization never goes upstream */
  stripClientAuth: boolean;
  /** static credentials sent upstream: scrubbed from upstream error messages before they go anywhere */
  secrets: Secret[];
  ai: AiPolicyConfig;
  requestHeaders: HeaderOps | undefined;
  responseHeaders: HeaderOps | undefined;
  /** `llm:` models: how the catch-all route type is handled */
  passthrough: "detect" | "opaque" | undefined;
}
