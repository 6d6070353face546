/**
 * `backendAuth`: credentials the gateway adds to upstream requests.
 *   key          a static secret, by default as `Authorization: Bearer <key>`
 *   passthrough  the client's own bearer token, moved to the configured location
 *   gcp/aws/azure  cloud credentials (OAuth tokens, SigV4), from `src/auth/`
 */
import type { RawBackendAuth, RawFileOrInline } from "../config/schema.ts";
import type { Secret } from "../config/secret.ts";
import type { Authorizer, UpstreamRequest } from "../llm/types.ts";
import { cloudAuth } from "../auth/index.ts";

export interface AuthCompileContext {
  /** resolves an inline or `{file}` secret; reports and returns undefined when unreadable */
  secret(raw: RawFileOrInline, path: readonly (string | number)[]): Secret | undefined;
  issue(path: readonly (string | number)[], message: string): void;
  /** the AWS region of the provider, for SigV4 when the auth config names none */
  region?: string | undefined;
}

export type CloudAuthFactory<C> = (config: C, ctx: AuthCompileContext, path: readonly (string | number)[]) => Authorizer | undefined;

type Location = { header?: { name: string; prefix?: string | null | undefined } | undefined; queryParameter?: { name: string } | undefined };

export interface CloudAuthFactories {
  gcp?: CloudAuthFactory<NonNullable<RawBackendAuth["gcp"]>>;
  aws?: CloudAuthFactory<NonNullable<RawBackendAuth["aws"]>>;
  azure?: CloudAuthFactory<NonNullable<RawBackendAuth["azure"]>>;
}

export interface CompiledAuth {
  authorize: Authorizer;
  /** true when the gateway supplies its own credential: the client's never goes upstream */
  replacesClientAuth: boolean;
  /** the static secrets it sends, so upstream messages that echo one can be scrubbed */
  secrets: Secret[];
}

export function compileBackendAuth(
  raw: RawBackendAuth,
  ctx: AuthCompileContext,
  path: readonly (string | number)[],
): CompiledAuth | undefined {
  if (raw.key !== undefined) {
    const inline = typeof raw.key === "string" || "file" in raw.key;
    const value = inline ? (raw.key as RawFileOrInline) : (raw.key as { value: RawFileOrInline }).value;
    const location = inline ? undefined : ((raw.key as { location?: Location | null }).location ?? undefined);
    const secret = ctx.secret(value, [...path, "key"]);
    if (!secret) return undefined;
    return { authorize: placeCredential(() => secret.reveal(), location), replacesClientAuth: true, secrets: [secret] };
  }
  if (raw.passthrough !== undefined) {
    const location = raw.passthrough.location ?? undefined;
    return {
      replacesClientAuth: false,
      secrets: [],
      authorize: (req, { clientHeaders }) => {
        const token = bearerToken(clientHeaders.get("authorization"));
        if (token === undefined) return;
        if (location) req.headers.delete("authorization");
        placeCredential(() => token, location)(req, { clientHeaders, signal: AbortSignal.abort() });
      },
    };
  }
  for (const kind of ["gcp", "aws", "azure"] as const) {
    const config = raw[kind];
    if (config === undefined) continue;
    const factory = (cloudAuth as CloudAuthFactories)[kind] as CloudAuthFactory<typeof config> | undefined;
    if (!factory) {
      ctx.issue([...path, kind], `'backendAuth.${kind}' is not supported yet by this gateway`);
      return undefined;
    }
    const authorize = factory(config, ctx, [...path, kind]);
    return authorize ? { authorize, replacesClientAuth: true, secrets: [] } : undefined;
  }
  return undefined;
}

function placeCredential(value: () => string, location: Location | undefined): Authorizer {
  if (location?.queryParameter) {
    const name = location.queryParameter.name;
    return (req: UpstreamRequest) => {
      req.url.searchParams.set(name, value());
    };
  }
  const name = location?.header?.name ?? "authorization";
  const prefix = location?.header ? (location.header.prefix ?? "") : "Bearer ";
  return (req: UpstreamRequest) => {
    req.headers.set(name, prefix + value());
  };
}

export function bearerToken(header: string | null): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  return m ? m[1]!.trim() : header.trim();
}
