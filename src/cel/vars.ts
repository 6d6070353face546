/**
 * The CEL variables of one exchange, built lazily from its RequestContext: a variable costs
 * something only when an expression reads it. Every top-level name is bound (null when absent),
 * so `jwt == null` and `has(jwt.sub)` behave as in agentgateway.
 *
 *   request    method, uri, host, scheme, path, pathAndQuery, version, headers (lower-case names), body
 *   jwt        the verified claims; rawToken is "<redacted>"
 *   apiKey     key (its `sha256:<hex>` fingerprint, never the key) and the key's metadata fields
 *   basicAuth  username
 *   llm        requestModel, streaming (at request time)
 *   llmRequest the JSON request body
 *   source     address, port (the client's)
 *   metadata   what `transformations` stored for this exchange (`metadata.<key>`)
 *
 * `request.body`, `llmRequest` and `llm` need the body: call `prepareCel` first (it reads the
 * body once, within the size limit), then `celVars` is synchronous.
 */
import type { RequestContext } from "../server/context.ts";
import { apiKeyOf, basicAuthOf, jwtOf, type ApiKeyIdentity } from "../policies/identity.ts";
import { celData } from "./functions.ts";
import type { CelExpression } from "./index.ts";

/** The variables of one exchange (what each holds: the top of this file). */
export interface CelVars {
  readonly request: Record<string, unknown>;
  readonly response: unknown;
  readonly jwt: unknown;
  readonly apiKey: unknown;
  readonly basicAuth: unknown;
  readonly llm: unknown;
  readonly llmRequest: unknown;
  readonly source: unknown;
  readonly backend: null;
  readonly metadata: Record<string, unknown>;
}

const CACHE = "cel:vars";
const REQUEST = "cel:request";
const BODY = "cel:body";
const METADATA = "cel:metadata";

/** The exchange's metadata (CEL `metadata`): `transformations` write it, later expressions read it. */
export function metadataOf(ctx: RequestContext): Record<string, unknown> {
  let m = ctx.vars.get(METADATA) as Record<string, unknown> | undefined;
  if (!m) ctx.vars.set(METADATA, (m = {}));
  return m;
}

interface Body {
  text: string | null;
  json: Record<string, unknown> | null;
  /** `json` as CEL values (integers as int), made when an expression first reads it */
  cel?: unknown;
}

/** Reads what `exprs` need of the request before they are evaluated synchronously. */
export async function prepareCel(ctx: RequestContext, exprs: readonly (CelExpression | undefined)[]): Promise<void> {
  if (ctx.vars.has(BODY) || !exprs.some((e) => e?.needsBody)) return;
  const body: Body = { text: null, json: null };
  if (ctx.method !== "GET" && ctx.method !== "HEAD" && ctx.req.body !== null) {
    try {
      body.text = new TextDecoder().decode(await ctx.bytes());
      body.json = await ctx.json();
    } catch {
      // not JSON (or over the limit): llmRequest stays null, the LLM layer answers the error
    }
  }
  ctx.vars.set(BODY, body);
}

/** `apiKey` in CEL, made once per configured key (the identity is the config's; expressions never change values). */
const apiKeyVars = new WeakMap<ApiKeyIdentity, Readonly<Record<string, unknown>>>();

function apiKeyVar(id: ApiKeyIdentity): Readonly<Record<string, unknown>> {
  let v = apiKeyVars.get(id);
  if (!v) {
    const meta = id.metadata !== null && typeof id.metadata === "object" && !Array.isArray(id.metadata) ? id.metadata : {};
    apiKeyVars.set(id, (v = Object.freeze({ ...meta, metadata: id.metadata ?? null, key: id.fingerprint })));
  }
  return v;
}

/** The variables for `ctx`, one object per exchange (identity read at each access: it may be set later). */
export function celVars(ctx: RequestContext): CelVars {
  const cached = ctx.vars.get(CACHE) as CelVars | undefined;
  if (cached) return cached;
  const vars = new ExchangeVars(ctx);
  ctx.vars.set(CACHE, vars);
  return vars;
}

/**
 * A class: its getters live on the prototype (an object literal of getters made 8 closures and
 * their accessor records for every request that evaluates an expression). Copies with values
 * bound over them (`withValues`) inherit from it, so its state lives in the exchange's `vars`, not
 * in fields a copy would write its own of. Properties other than the variables are out of reach
 * of expressions: they are type-checked against the declared variables at load.
 */
class ExchangeVars implements CelVars {
  readonly response = null;
  readonly backend = null;

  constructor(private readonly exchange: RequestContext) {}

  get request(): Record<string, unknown> {
    const ctx = this.exchange;
    let request = ctx.vars.get(REQUEST) as Record<string, unknown> | undefined;
    if (!request) ctx.vars.set(REQUEST, (request = requestVar(ctx)));
    return request;
  }

  get jwt(): unknown {
    const id = jwtOf(this.exchange);
    return id ? { ...id.claims, rawToken: "<redacted>" } : null;
  }

  get apiKey(): unknown {
    const id = apiKeyOf(this.exchange);
    return id ? apiKeyVar(id) : null;
  }

  get basicAuth(): unknown {
    const id = basicAuthOf(this.exchange);
    return id ? { username: id.username } : null;
  }

  get llm(): unknown {
    const json = bodyOf(this.exchange)?.json;
    if (!json) return null;
    return { requestModel: typeof json.model === "string" ? json.model : null, streaming: json.stream === true };
  }

  get llmRequest(): unknown {
    const b = bodyOf(this.exchange);
    if (!b?.json) return null;
    return (b.cel ??= celData(b.json));
  }

  get source(): unknown {
    const s = this.exchange.source();
    return s ? { address: s.address, port: BigInt(s.port) } : null;
  }

  get metadata(): Record<string, unknown> {
    return metadataOf(this.exchange);
  }
}

function bodyOf(ctx: RequestContext): Body | undefined {
  return ctx.vars.get(BODY) as Body | undefined;
}

/**
 * `vars` with the upstream's answer bound as `response` (`code`, `headers` with lower-case
 * names): retry conditions and unhealthy expressions read it. The other variables stay lazy.
 */
export function withResponse<V extends object>(vars: V, code: number, headers: Headers | undefined): V {
  const h: Record<string, string> = {};
  headers?.forEach((v, k) => {
    h[k] = v;
  });
  return withValues(vars, { response: { code: BigInt(code), headers: h } });
}

/**
 * `vars` with the LLM request as it is now (`llmRequest`, `llm.requestModel`, `llm.streaming`):
 * body transformations read the body they are changing, not the client's.
 */
export function withLlmRequest<V extends object>(vars: V, body: Readonly<Record<string, unknown>>): V {
  const llm = { requestModel: typeof body.model === "string" ? body.model : null, streaming: body.stream === true };
  return withValues(vars, { llmRequest: celData(body), llm });
}

/** `vars` with `values` bound over them; the other variables stay lazy (read through `vars`, its prototype). */
export function withValues<V extends object>(vars: V, values: Partial<Record<keyof CelVars, unknown>>): V {
  const out = Object.create(vars) as V;
  for (const k in values) Object.defineProperty(out, k, { value: values[k as keyof CelVars], enumerable: true });
  return out;
}

function requestVar(ctx: RequestContext): Record<string, unknown> {
  const headers: Record<string, string> = {};
  ctx.req.headers.forEach((v, k) => {
    headers[k] = v;
  });
  const url = new URL(ctx.req.url);
  const pathAndQuery = ctx.query ? `${ctx.path}?${ctx.query}` : ctx.path;
  return {
    method: ctx.method,
    uri: `${url.protocol}//${url.host}${pathAndQuery}`,
    host: ctx.req.headers.get("host") ?? url.host,
    scheme: url.protocol.replace(":", ""),
    path: ctx.path,
    pathAndQuery,
    version: "HTTP/1.1",
    headers,
    get body() {
      return bodyOf(ctx)?.text ?? null;
    },
  };
}
