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
import { apiKeyOf, basicAuthOf, jwtOf } from "../policies/identity.ts";
import { celData } from "./functions.ts";
import type { CelExpression } from "./index.ts";

export type CelVars = Readonly<Record<string, unknown>>;

const CACHE = "cel:vars";
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

/** The variables for `ctx`, one object per exchange (identity read at each access: it may be set later). */
export function celVars(ctx: RequestContext): CelVars {
  const cached = ctx.vars.get(CACHE) as CelVars | undefined;
  if (cached) return cached;
  let request: Record<string, unknown> | undefined;
  const body = () => ctx.vars.get(BODY) as Body | undefined;
  const vars = {
    get request() {
      return (request ??= requestVar(ctx, body));
    },
    response: null,
    get jwt() {
      const id = jwtOf(ctx);
      return id ? { ...id.claims, rawToken: "<redacted>" } : null;
    },
    get apiKey() {
      const id = apiKeyOf(ctx);
      if (!id) return null;
      const meta = id.metadata !== null && typeof id.metadata === "object" && !Array.isArray(id.metadata) ? id.metadata : {};
      return { ...meta, metadata: id.metadata ?? null, key: id.fingerprint };
    },
    get basicAuth() {
      const id = basicAuthOf(ctx);
      return id ? { username: id.username } : null;
    },
    get llm() {
      const json = body()?.json;
      if (!json) return null;
      return { requestModel: typeof json.model === "string" ? json.model : null, streaming: json.stream === true };
    },
    get llmRequest() {
      const b = body();
      if (!b?.json) return null;
      return (b.cel ??= celData(b.json));
    },
    get source() {
      const s = ctx.source();
      return s ? { address: s.address, port: BigInt(s.port) } : null;
    },
    backend: null,
    get metadata() {
      return metadataOf(ctx);
    },
  };
  ctx.vars.set(CACHE, vars);
  return vars;
}

/**
 * `vars` with the upstream's answer bound as `response` (`code`, `headers` with lower-case
 * names): retry conditions and unhealthy expressions read it. The other variables stay lazy.
 */
export function withResponse(vars: CelVars, code: number, headers: Headers | undefined): CelVars {
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
export function withLlmRequest(vars: CelVars, body: Readonly<Record<string, unknown>>): CelVars {
  const llm = { requestModel: typeof body.model === "string" ? body.model : null, streaming: body.stream === true };
  return withValues(vars, { llmRequest: celData(body), llm });
}

/** A copy of `vars` (its getters stay lazy) with `values` bound over them. */
export function withValues(vars: CelVars, values: Record<string, unknown>): CelVars {
  const out = Object.defineProperties({}, Object.getOwnPropertyDescriptors(vars));
  for (const [k, value] of Object.entries(values)) Object.defineProperty(out, k, { value, enumerable: true });
  return out;
}

function requestVar(ctx: RequestContext, body: () => Body | undefined): Record<string, unknown> {
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
      return body()?.text ?? null;
    },
  };
}
