/**
 * Where a client credential is read from (`location`, agentgateway's AuthorizationLocation:
 * a header with an optional prefix, a query parameter, a cookie, or a CEL expression), and its
 * removal from every upstream request once validated: the client's credential never goes upstream.
 */
import { celField, celVars, evalString, type IssueSink } from "../cel/index.ts";
import type { YamlPath } from "../config/errors.ts";
import type { RawAuthorizationLocation } from "../config/schema/parts.ts";
import { HttpError } from "../http/errors.ts";
import type { UpstreamRequest } from "../llm/types.ts";
import type { RequestContext } from "../server/context.ts";

export interface CredentialLocation {
  /** the credential, or undefined when the request carries none */
  extract(ctx: RequestContext): string | undefined;
  /** removes it from an upstream request */
  strip(req: UpstreamRequest, ctx: RequestContext): void;
  /** for messages: "the Authorization header", "the query parameter 'key'" */
  readonly describe: string;
}

/**
 * The location as configured (`fallback`: the policy's default header), or undefined when its
 * expression does not compile (reported at `path`).
 */
export function credentialLocation(raw: RawAuthorizationLocation | null | undefined, fallback: { name: string; prefix: string }, at: { sink: IssueSink; path: YamlPath }): CredentialLocation | undefined {
  if (raw?.queryParameter) {
    const name = raw.queryParameter.name;
    return {
      extract: (ctx) => new URLSearchParams(ctx.query).get(name) ?? undefined,
      strip: (req) => req.url.searchParams.delete(name),
      describe: `the query parameter '${name}'`,
    };
  }
  if (raw?.cookie) return cookieLocation(raw.cookie.name);
  if (raw?.expression !== undefined) return expressionLocation(raw.expression, at);
  const name = (raw?.header?.name ?? fallback.name).toLowerCase();
  const prefix = raw?.header ? (raw.header.prefix ?? "") : fallback.prefix;
  // the scheme as configured (`Bearer`), matched case-insensitively; the exact spelling first, with no copy
  const scheme = prefix.trimEnd();
  const lowerScheme = scheme.toLowerCase();
  return {
    extract(ctx) {
      const value = ctx.req.headers.get(name);
      if (value === null) return undefined;
      if (prefix === "") return value.trim() || undefined;
      if (!value.startsWith(scheme) && value.slice(0, scheme.length).toLowerCase() !== lowerScheme) return undefined;
      return value.slice(scheme.length).trim() || undefined;
    },
    strip: (req) => req.headers.delete(name),
    describe: `the ${displayHeader(name)} header${prefix ? ` ("${prefix.trim()} ...")` : ""}`,
  };
}

/** A cookie: read from the Cookie header; only that cookie is removed upstream, the others stay. */
function cookieLocation(name: string): CredentialLocation {
  return {
    extract: (ctx) => cookiesOf(ctx.req.headers.get("cookie")).find(([k]) => k === name)?.[1] || undefined,
    strip: (req) => setCookie(req.headers, name, undefined),
    describe: `the cookie '${name}'`,
  };
}

/** The Cookie header with cookie `name` set to `value` (undefined: removed; no cookie left: no header); the others stay. */
export function setCookie(headers: Headers, name: string, value: string | undefined): void {
  const cookies = cookiesOf(headers.get("cookie")).filter(([k]) => k !== name);
  if (value !== undefined) cookies.push([name, value]);
  if (cookies.length === 0) headers.delete("cookie");
  else headers.set("cookie", cookies.map(([k, v]) => `${k}=${v}`).join("; "));
}

/** `name=value` pairs of a Cookie header (RFC 6265 section 5.4: separated by "; "). */
function cookiesOf(header: string | null): [string, string][] {
  if (!header) return [];
  const out: [string, string][] = [];
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) out.push([part.slice(0, eq).trim(), part.slice(eq + 1).trim()]);
  }
  return out;
}

/**
 * A CEL expression (agentgateway: extract only). It may say where the credential is but not how
 * to remove it, so every header, cookie and query parameter holding the credential is removed
 * upstream: the client's credential never reaches the provider, wherever the expression read it.
 */
function expressionLocation(source: string, at: { sink: IssueSink; path: YamlPath }): CredentialLocation | undefined {
  const path = [...at.path, "expression"];
  const expr = celField(at.sink, source, path);
  if (!expr) return undefined;
  if (expr.needsBody) {
    at.sink.issue(path, "a credential expression cannot read the request body ('request.body', 'llmRequest', 'llm.*'): read a header, a cookie or the query");
    return undefined;
  }
  const extract = (ctx: RequestContext) => evalString(expr, celVars(ctx)) || undefined;
  return {
    extract,
    strip(req, ctx) {
      const credential = extract(ctx);
      if (credential === undefined) return;
      const holding: string[] = [];
      req.headers.forEach((v, k) => {
        if (v.includes(credential)) holding.push(k);
      });
      for (const k of holding) req.headers.delete(k);
      for (const [k, v] of [...req.url.searchParams]) if (v.includes(credential)) req.url.searchParams.delete(k, v);
    },
    describe: "the location the gateway's credential expression reads",
  };
}

function displayHeader(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
}

/** A 401 in the OpenAI shape (type authentication_error), never carrying the credential. */
export function unauthorized(message: string, code: string, headers?: Record<string, string>): HttpError {
  return new HttpError(401, message, { type: "authentication_error", code, ...(headers ? { headers } : {}) });
}

/** A 403 in the OpenAI shape (type permission_error). */
export function forbidden(message: string, code: string): HttpError {
  return new HttpError(403, message, { type: "permission_error", code });
}

/** agentgateway's modes: strict (a valid credential is required), optional (validated when present), permissive (never refused). */
export type AuthMode = "strict" | "optional" | "permissive";
