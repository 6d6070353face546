/**
 * Who is calling: what the authentication policies learnt, kept in `ctx.vars` for the policies
 * after them (authorization rules, rate-limit and budget keys, model access) and for CEL
 * (`apiKey.*`, `jwt.*`, `basicAuth.*`, see src/cel/vars.ts). One key per kind of credential:
 *
 *   ctx.vars.get("apiKey")     ApiKeyIdentity     set by `apiKey`
 *   ctx.vars.get("jwt")        JwtIdentity        set by `jwtAuth`
 *   ctx.vars.get("basicAuth")  BasicAuthIdentity  set by `basicAuth`
 *
 * Read and write them through the functions below. The secret itself (an API key, a token, a
 * password) is never kept here: an API key is known by its SHA-256 fingerprint.
 */
import type { ModelMatcher } from "../llm/model-pattern.ts";
import type { RequestContext } from "../server/context.ts";

export const IDENTITY_KEYS = { apiKey: "apiKey", jwt: "jwt", basicAuth: "basicAuth" } as const;

export interface ApiKeyIdentity {
  /** `sha256:<hex>` of the key (what `apiKey.key` is in CEL, and the per-key bucket name) */
  readonly fingerprint: string;
  /** the key's configured `metadata` (an object's fields are also `apiKey.<field>` in CEL) */
  readonly metadata: unknown;
  /** `allowedModels`, when configured: the models this key may use */
  readonly allowedModels?: readonly string[];
  readonly allowsModel?: ModelMatcher;
}

export interface JwtIdentity {
  /** the verified claims */
  readonly claims: Readonly<Record<string, unknown>>;
  /** the validated token, for `backendAuth: passthrough` (never logged) */
  readonly token: string;
}

export interface BasicAuthIdentity {
  readonly username: string;
}

export function setApiKey(ctx: RequestContext, id: ApiKeyIdentity): void {
  ctx.vars.set(IDENTITY_KEYS.apiKey, id);
}
export function apiKeyOf(ctx: RequestContext): ApiKeyIdentity | undefined {
  return ctx.vars.get(IDENTITY_KEYS.apiKey) as ApiKeyIdentity | undefined;
}

export function setJwt(ctx: RequestContext, id: JwtIdentity): void {
  ctx.vars.set(IDENTITY_KEYS.jwt, id);
}
export function jwtOf(ctx: RequestContext): JwtIdentity | undefined {
  return ctx.vars.get(IDENTITY_KEYS.jwt) as JwtIdentity | undefined;
}

export function setBasicAuth(ctx: RequestContext, id: BasicAuthIdentity): void {
  ctx.vars.set(IDENTITY_KEYS.basicAuth, id);
}
export function basicAuthOf(ctx: RequestContext): BasicAuthIdentity | undefined {
  return ctx.vars.get(IDENTITY_KEYS.basicAuth) as BasicAuthIdentity | undefined;
}

/** Whether the caller's API key (if any) may use `model`. */
export function modelAllowed(ctx: RequestContext, model: string): boolean {
  const id = apiKeyOf(ctx);
  return !id?.allowsModel || id.allowsModel(model);
}
