/**
 * Where a client credential is read from (`location`, agentgateway's AuthorizationLocation:
 * a header with an optional prefix, or a query parameter), and its removal from every upstream
 * request once validated: the client's credential never goes upstream.
 */
import type { RawAuthorizationLocation } from "../config/schema/parts.ts";
import { HttpError } from "../http/errors.ts";
import type { UpstreamRequest } from "../llm/types.ts";
import type { RequestContext } from "../server/context.ts";

export interface CredentialLocation {
  /** the credential, or undefined when the request carries none */
  extract(ctx: RequestContext): string | undefined;
  /** removes it from an upstream request */
  strip(req: UpstreamRequest): void;
  /** for messages: "the Authorization header", "the query parameter 'key'" */
  readonly describe: string;
}

export function credentialLocation(raw: RawAuthorizationLocation | null | undefined, fallback: { name: string; prefix: string }): CredentialLocation {
  if (raw?.queryParameter) {
    const name = raw.queryParameter.name;
    return {
      extract: (ctx) => new URLSearchParams(ctx.query).get(name) ?? undefined,
      strip: (req) => req.url.searchParams.delete(name),
      describe: `the query parameter '${name}'`,
    };
  }
  const name = (raw?.header?.name ?? fallback.name).toLowerCase();
  const prefix = raw?.header ? (raw.header.prefix ?? "") : fallback.prefix;
  const lowerPrefix = prefix.toLowerCase();
  return {
    extract(ctx) {
      const value = ctx.req.headers.get(name);
      if (value === null) return undefined;
      if (prefix === "") return value.trim() || undefined;
      if (!value.toLowerCase().startsWith(lowerPrefix.trimEnd())) return undefined;
      return value.slice(lowerPrefix.trimEnd().length).trim() || undefined;
    },
    strip: (req) => req.headers.delete(name),
    describe: `the ${displayHeader(name)} header${prefix ? ` ("${prefix.trim()} ...")` : ""}`,
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
