/**
 * `backendAuth`: credentials the gateway adds to upstream requests.
 *   key          a static secret, by default as `Authorization: Bearer <key>`
 *   passthrough  the client's own bearer token, moved to the configured location
 *   gcp/aws/azure  cloud credentials (OAuth tokens, SigV4), from `src/auth/`
 * A backend policy: set on a route it applies to every backend below it, the most specific wins.
 */
import { z } from "zod";
import { cloudAuth } from "../auth/index.ts";
import type { YamlPath } from "../config/errors.ts";
import { AuthorizationLocation, exactlyOne, FileOrInline, notYet, notYetFields, type RawAuthorizationLocation } from "../config/schema/parts.ts";
import type { Secret } from "../config/secret.ts";
import type { Authorizer, UpstreamRequest } from "../llm/types.ts";
import { setCookie } from "./credential.ts";
import { definePolicy, type Policy, type PolicyCompileContext } from "./types.ts";

const GcpAuth = z.strictObject({
  type: z.enum(["accessToken", "idToken"]).nullish(),
  audience: z.string().nullish(),
  credential: FileOrInline.nullish(),
}).meta({ id: "GcpAuth" });

const AwsAuth = z.strictObject({
  accessKeyId: z.string().optional(),
  secretAccessKey: z.string().optional(),
  sessionToken: z.string().nullish(),
  region: z.string().nullish(),
  serviceName: z.string().nullish(),
  assumeRole: notYet("assumeRole"),
}).meta({ id: "AwsAuth" });

const AzureAuth = z
  .strictObject({
    explicitConfig: z
      .strictObject({
        clientSecret: z
          .strictObject({ tenant_id: z.string(), client_id: z.string(), client_secret: z.string() })
          .optional(),
        managedIdentity: z
          .strictObject({
            userAssignedIdentity: z
              .strictObject({
                clientId: z.string().optional(),
                objectId: z.string().optional(),
                resourceId: z.string().optional(),
              })
              .nullish(),
          })
          .optional(),
        workloadIdentity: notYet("workloadIdentity"),
      })
      .superRefine(exactlyOne(["clientSecret", "managedIdentity"], "explicitConfig"))
      .optional(),
    developerImplicit: notYet("developerImplicit"),
    implicit: z.strictObject({}).optional(),
  })
  .superRefine(exactlyOne(["explicitConfig", "implicit"], "azure")).meta({ id: "AzureAuth" });

const BackendAuthObject = z
  .strictObject({
    key: z
      .union([
        z.string(),
        z.strictObject({ file: z.string() }),
        z.strictObject({ value: FileOrInline, location: AuthorizationLocation.nullish() }),
      ])
      .optional(),
    passthrough: z.strictObject({ location: AuthorizationLocation.nullish() }).optional(),
    gcp: GcpAuth.optional(),
    aws: AwsAuth.optional(),
    azure: AzureAuth.optional(),
    ...notYetFields(["credentials", "jwtSign", "oauthTokenExchange", "crossAppAccess", "copilot"]),
  })
  .superRefine(exactlyOne(["key", "passthrough", "gcp", "aws", "azure"], "backendAuth"));

/**
 * agentgateway's unit variant `backendAuth: copilot` (GitHub Copilot's token exchange) is a bare
 * string: declared so the load fails naming it, not with "expected object".
 */
const CopilotAuth = z
  .literal("copilot")
  .superRefine((_value, ctx) => ctx.addIssue({ code: "custom", message: "'copilot' is not supported yet by this gateway" }))
  .meta({ description: "Not supported yet by this gateway (agentgateway backendAuth 'copilot')." });

export const BackendAuthSchema = z.union([BackendAuthObject, CopilotAuth]).meta({ id: "BackendAuth" });

export type RawBackendAuth = z.output<typeof BackendAuthObject>;

export type CloudAuthFactory<C> = (config: C, ctx: PolicyCompileContext, path: YamlPath) => Authorizer | undefined;

export interface CloudAuthFactories {
  gcp?: CloudAuthFactory<NonNullable<RawBackendAuth["gcp"]>>;
  aws?: CloudAuthFactory<NonNullable<RawBackendAuth["aws"]>>;
  azure?: CloudAuthFactory<NonNullable<RawBackendAuth["azure"]>>;
}

export const backendAuth = definePolicy({
  key: "backendAuth",
  schema: BackendAuthSchema,
  levels: ["route", "backend"],
  atRoute: "backend",
  compile: (raw, ctx) => compileBackendAuth(raw, ctx, [...ctx.path]),
});

/** The policy of a compiled authorizer (also used for providers' default credentials). */
export function authPolicy(authorize: Authorizer, replacesClientAuth: boolean, secrets: readonly Secret[] = []): Policy {
  return {
    key: "backendAuth",
    send: (req, ctx) => authorize(req, { clientHeaders: ctx.req.headers, signal: ctx.signal, bodyLimit: ctx.bufferLimit }),
    replacesClientAuth,
    secrets,
  };
}

export function compileBackendAuth(raw: RawBackendAuth | "copilot", ctx: PolicyCompileContext, path: YamlPath): Policy | undefined {
  if (raw === "copilot") return undefined; // never valid: the schema refuses it by name
  const placed = typeof raw.key === "object" && "value" in raw.key ? { at: "key", location: raw.key.location } : { at: "passthrough", location: raw.passthrough?.location };
  if (placed.location?.expression !== undefined) {
    ctx.issue([...path, placed.at, "location", "expression"], "an expression reads a credential but cannot place one upstream: use a header, a queryParameter or a cookie");
    return undefined;
  }
  if (raw.key !== undefined) {
    const k = raw.key;
    const [value, location] = typeof k === "string" || "file" in k ? [k, undefined] : [k.value, k.location ?? undefined];
    const secret = ctx.secret(value, [...path, "key"]);
    if (!secret) return undefined;
    return authPolicy(placeCredential(() => secret.reveal(), location), true, [secret]);
  }
  if (raw.passthrough !== undefined) {
    const location = raw.passthrough.location ?? undefined;
    return authPolicy((req, auth) => {
      const token = bearerToken(auth.clientHeaders.get("authorization"));
      if (token === undefined) return;
      if (location) req.headers.delete("authorization");
      placeCredential(() => token, location)(req, auth);
    }, false);
  }
  const authorize =
    raw.gcp !== undefined
      ? cloud(cloudAuth.gcp, raw.gcp, "gcp", ctx, path)
      : raw.aws !== undefined
        ? cloud(cloudAuth.aws, raw.aws, "aws", ctx, path)
        : raw.azure !== undefined
          ? cloud(cloudAuth.azure, raw.azure, "azure", ctx, path)
          : undefined;
  return authorize ? authPolicy(authorize, true) : undefined;
}

function cloud<C>(factory: CloudAuthFactory<C> | undefined, config: C, kind: string, ctx: PolicyCompileContext, path: YamlPath): Authorizer | undefined {
  if (!factory) {
    ctx.issue([...path, kind], `'backendAuth.${kind}' is not supported yet by this gateway`);
    return undefined;
  }
  return factory(config, ctx, [...path, kind]);
}

function placeCredential(value: () => string, location: RawAuthorizationLocation | undefined): Authorizer {
  if (location?.queryParameter) {
    const name = location.queryParameter.name;
    return (req: UpstreamRequest) => {
      req.url.searchParams.set(name, value());
    };
  }
  if (location?.cookie) {
    const name = location.cookie.name;
    return (req: UpstreamRequest) => setCookie(req.headers, name, value());
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
