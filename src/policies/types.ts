/**
 * Policies are modules: each file under `src/policies/` exports a `PolicyModule` (its config
 * field, its zod schema, where agentgateway allows it, and a compile step), and `registry.ts`
 * lists them. Compiling turns the options into closures once (Hono's middleware shape); what a
 * compiled `Policy` does is given by the hooks it sets:
 *
 *   handle   around the whole exchange (gateway and route level): before `next()` it may answer
 *            early (an auth failure) or narrow the context (a deadline); after it, change the answer
 *   prepare  the LLM request body about to be sent (a copy of the client's), before translation
 *   hubRequest  the chat request in the hub shape, per provider (prompts, cache markers, guards)
 *   send     each upstream request after translation: headers, credentials, signatures
 *   present  the answer's headers before they go to the client (with its status)
 *   presentBody  a replacement for the body of a complete (not streamed) answer
 *
 * plus what a policy tells the upstream connection (TLS, whose credential is sent).
 */
import type { z } from "zod";
import type { YamlPath } from "../config/errors.ts";
import type { FetchTls, ProviderTarget } from "../config/model.ts";
import type { Secret } from "../config/secret.ts";
import type { RawFileOrInline } from "../config/schema/parts.ts";
import type { HealthSettings } from "../llm/failover/health.ts";
import type { GuardSet } from "../llm/guard/types.ts";
import type { RouteType, UpstreamRequest } from "../llm/types.ts";
import type { LimitTable } from "../limits/observed.ts";
import type { LimitStore } from "../limits/store.ts";
import type { RequestContext } from "../server/context.ts";
import type { RetrySettings } from "./retry.ts";

/** What follows a middleware: the rest of the chain, then the backend (made once per chain, not per request). */
export type Next = (ctx: RequestContext) => Promise<Response>;

export type Middleware = (ctx: RequestContext, next: Next) => Promise<Response>;

/** The body of an LLM request on its way upstream: a copy of the client's, changed only through `set`. */
export interface BodyDraft {
  readonly body: Readonly<Record<string, unknown>>;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  /** true once anything was set or deleted (an unchanged body goes upstream as the client's bytes) */
  readonly changed: boolean;
}

export interface Policy {
  /** the config field it came from, for logs and errors */
  readonly key: string;
  readonly handle?: Middleware;
  readonly prepare?: (draft: BodyDraft, ctx: RequestContext) => void;
  /**
   * The chat request in the hub shape (OpenAI chat completions), after every `prepare` hook and
   * before translation, for the provider it is about to go to: prompt enrichment, cache markers,
   * request guards (which may call out, hence async; they refuse by throwing).
   */
  readonly hubRequest?: (draft: BodyDraft, ctx: RequestContext, target: ProviderTarget) => void | Promise<void>;
  /**
   * The chat request's body as it goes to the provider, after translation and before any signer
   * sees it (`ai.finalTransformations`).
   */
  readonly upstreamBody?: (body: string | Uint8Array, ctx: RequestContext) => string;
  readonly send?: (req: UpstreamRequest, ctx: RequestContext) => void | Promise<void>;
  readonly present?: (headers: Headers, ctx: RequestContext, status: number) => void;
  /**
   * A new body for a complete answer (never a stream: its bytes are already on their way), after
   * every `present` hook of the same list; undefined keeps the body. `transformations`' `response.body`.
   */
  readonly presentBody?: (headers: Headers, ctx: RequestContext, status: number) => string | Uint8Array | undefined;
  /** backendTLS: options for the upstream connection */
  readonly tls?: FetchTls;
  /** the gateway sends its own credential: the client's `authorization` / `x-api-key` / `api-key` are dropped */
  readonly replacesClientAuth?: boolean;
  /** static credentials it sends upstream, scrubbed from upstream error messages */
  readonly secrets?: readonly Secret[];
  /** it reads the token usage of answers (token limits, budgets): streams are then tapped for it */
  readonly consumesUsage?: boolean;
  /** `urlRewrite` (route): the path the rest of the exchange sees, from the client's and the prefix the route matched */
  readonly rewritePath?: (path: string, matchedPrefix: string | undefined) => string;
  /** `policies.ai.routes`: path suffix -> route type, longest first, and the type for other paths */
  readonly routes?: { table: readonly (readonly [string, RouteType])[]; fallback: RouteType };
  /** `retry` (route): when an upstream answer is tried again (src/llm/failover/) */
  readonly retry?: RetrySettings;
  /** `health` (backend): when a provider counts as unhealthy and how long it is evicted */
  readonly health?: HealthSettings;
  /** `ai.promptGuard`: the response guards chat answers go through (request guards are `hubRequest`) */
  readonly guards?: GuardSet;
}

/** Where agentgateway allows a policy (`LocalGatewayPolicy`, `FilterOrPolicy`, `LocalBackendPolicies`, `LocalLLMPolicy`). */
export type PolicyLevel = "gateway" | "route" | "backend" | "llm";

export interface PolicyCompileContext {
  /** where the policy sits in the config */
  readonly path: YamlPath;
  issue(path: YamlPath, message: string): void;
  /** an inline or `{file}` secret; reports and returns undefined when unreadable */
  secret(raw: RawFileOrInline, path: YamlPath): Secret | undefined;
  /** a file next to the config; reports and returns undefined when unreadable */
  readFile(file: string, path: YamlPath): string | undefined;
  /** the absolute path of a file the config names (relative to the config's directory) */
  resolveFile(file: string): string;
  /** the AWS region of the provider the policy serves (SigV4 when the policy names none) */
  readonly region?: string | undefined;
  /** where rate-limit buckets and budgets live (`config.redis`, else this process) */
  readonly limits: LimitStore;
  /** where limits and budgets record what each key last saw (the admin page) */
  readonly limitTable: LimitTable;
  /** compiled as a backend policy: only `prepare`, `send` and `present` run there, never `handle` */
  readonly atBackend?: boolean;
  /** the environment the config was loaded with (guard services' endpoint overrides) */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
}

export interface PolicyModule<Raw = unknown> {
  /** the config field (`requestHeaderModifier`, `backendAuth`, ...) */
  readonly key: string;
  readonly schema: z.ZodType<Raw>;
  readonly levels: readonly PolicyLevel[];
  /**
   * At route level, a `filter` runs once for the exchange; a `backend` policy configures every
   * backend below the route instead (agentgateway's precedence: route < backend < provider, the
   * most specific setting winning, or `merge` when the module says how).
   */
  readonly atRoute: "filter" | "backend";
  /** combines an outer (less specific) and an inner setting; default: the inner one wins */
  merge?(outer: Raw, inner: Raw): Raw;
  compile(raw: Raw, ctx: PolicyCompileContext): Policy | undefined;
}

/** Declares a module; keeps its raw type for `compile` and erases it for the registry. */
export function definePolicy<Raw>(module: PolicyModule<Raw>): PolicyModule<unknown> {
  return {
    key: module.key,
    schema: module.schema,
    levels: module.levels,
    atRoute: module.atRoute,
    // the registry hands over values the module's own schema validated at load; parsing them
    // again (config load only) keeps the types honest without a cast
    ...(module.merge ? { merge: (outer: unknown, inner: unknown) => module.merge!(module.schema.parse(outer), module.schema.parse(inner)) } : {}),
    compile: (raw, ctx) => module.compile(module.schema.parse(raw), ctx),
  };
}
