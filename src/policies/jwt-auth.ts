/**
 * `jwtAuth` (agentgateway's LocalJwtConfig): a bearer JWT verified against one issuer (`issuer`,
 * `audiences`, `jwks`, `jwtValidationOptions.requiredClaims`, default ["exp"]) or several
 * (`providers`); RS256/384/512, PS256/384/512, ES256/384 and EdDSA, verified by jose with
 * agentgateway's 60 s leeway. Modes: strict, optional (default), permissive. The claims are
 * `jwt.*` in CEL; the token is removed from every upstream request (`backendAuth: passthrough`
 * puts it back on purpose). A failure is a 401 saying what is wrong with the token.
 */
import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { AuthorizationLocation } from "../config/schema/parts.ts";
import type { RequestContext } from "../server/context.ts";
import { credentialLocation, unauthorized } from "./credential.ts";
import { setJwt } from "./identity.ts";
import { compileJwks, JwksSource } from "./jwks.ts";
import { definePolicy, type PolicyCompileContext } from "./types.ts";

const ProviderFields = {
  issuer: z.string().min(1),
  audiences: z.array(z.string()).nullish(),
  jwks: JwksSource,
  jwtValidationOptions: z.strictObject({ requiredClaims: z.array(z.string()).optional() }).nullish(),
};
const Common = { mode: z.enum(["strict", "optional", "permissive"]).optional(), location: AuthorizationLocation.nullish() };

export const JwtAuthSchema = z
  .union([z.strictObject({ ...Common, providers: z.array(z.strictObject(ProviderFields)).min(1) }), z.strictObject({ ...Common, ...ProviderFields })])
  .meta({ id: "JwtAuthPolicy" });

type RawProvider = z.output<z.ZodObject<typeof ProviderFields>>;

const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];
const ENFORCED_CLAIMS = new Set(["exp", "nbf", "aud", "iss", "sub"]);
const LEEWAY_SEC = 60;

interface Provider {
  issuer: string;
  audiences: string[] | undefined;
  keys: JWTVerifyGetKey;
  required: string[];
}

function compileProvider(p: RawProvider, ctx: PolicyCompileContext, path: (string | number)[]): Provider | undefined {
  const keys = compileJwks(p.jwks, ctx, [...path, "jwks"]);
  if (!keys) return undefined;
  const audiences = p.audiences?.length ? p.audiences : undefined;
  const required = new Set((p.jwtValidationOptions?.requiredClaims ?? ["exp"]).filter((c) => ENFORCED_CLAIMS.has(c)));
  required.add("iss");
  if (audiences) required.add("aud");
  return { issuer: p.issuer, audiences, keys, required: [...required] };
}

export const jwtAuth = definePolicy({
  key: "jwtAuth",
  schema: JwtAuthSchema,
  levels: ["gateway", "route", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const list = "providers" in raw ? raw.providers.map((p, i) => compileProvider(p, ctx, [...ctx.path, "providers", i])) : [compileProvider(raw, ctx, [...ctx.path])];
    const providers = list.filter((p): p is Provider => p !== undefined);
    if (providers.length !== list.length) return undefined;
    const mode = raw.mode ?? "optional";
    const location = credentialLocation(raw.location, { name: "authorization", prefix: "Bearer " }, { sink: ctx, path: [...ctx.path, "location"] });
    if (!location) return undefined;
    return {
      key: "jwtAuth",
      async handle(reqCtx, next) {
        const token = location.extract(reqCtx);
        if (token === undefined) {
          if (mode === "strict") throw unauthorized(`a bearer token is required: send a JWT in ${location.describe}`, "missing_token");
          return await next(reqCtx);
        }
        const verified = await verifyToken(token, providers, reqCtx);
        if (typeof verified === "string") {
          if (mode === "permissive") return await next(reqCtx);
          throw unauthorized(verified, "invalid_token");
        }
        setJwt(reqCtx, { claims: verified, token });
        return await next(reqCtx);
      },
      send: (req, reqCtx) => location.strip(req, reqCtx),
    };
  },
});

/** The claims, or what is wrong with the token (never the token itself). */
async function verifyToken(token: string, providers: readonly Provider[], ctx: RequestContext): Promise<Record<string, unknown> | string> {
  let iss: unknown;
  try {
    decodeProtectedHeader(token);
    iss = decodeJwt(token).iss;
  } catch {
    return "the bearer token is not a valid JWT";
  }
  const candidates = providers.filter((p) => p.issuer === iss);
  if (candidates.length === 0) return `token issuer ${JSON.stringify(iss ?? null)} is not accepted here (expected ${providers.map((p) => JSON.stringify(p.issuer)).join(" or ")})`;
  const now = ctx.deps.wallClock();
  let problem = "";
  for (const p of candidates) {
    try {
      const { payload } = await jwtVerify(token, p.keys, {
        issuer: p.issuer,
        ...(p.audiences ? { audience: p.audiences } : {}),
        algorithms: ALGORITHMS,
        requiredClaims: p.required,
        clockTolerance: LEEWAY_SEC,
        currentDate: new Date(now),
      });
      return payload;
    } catch (err) {
      problem = describe(err, token, now);
    }
  }
  return problem;
}

function describe(err: unknown, token: string, now: number): string {
  if (err instanceof errors.JWTExpired) {
    const exp = Number(decodeJwt(token).exp);
    return `token expired ${ago(now / 1000 - exp)} ago`;
  }
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === "missing") return `token is missing the required claim '${err.claim}'`;
    if (err.claim === "nbf") return "token is not valid yet (nbf is in the future)";
    if (err.claim === "aud") return "token audience is not accepted here";
    return `token claim '${err.claim}' is not accepted: ${err.message}`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {}
    return `token is signed with a key the issuer does not publish (kid ${JSON.stringify(kid ?? null)})`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return "token signing algorithm is not accepted (RS, PS, ES256/384 and EdDSA are)";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "token signature is invalid";
  if (err instanceof errors.JWKSTimeout) return "the issuer's signing keys could not be fetched in time";
  if (err instanceof errors.JOSEError) return `token rejected: ${err.message}`;
  return "the issuer's signing keys could not be loaded";
}

function ago(sec: number): string {
  if (sec < 90) return `${Math.max(1, Math.round(sec))} seconds`;
  if (sec < 5400) return `${Math.round(sec / 60)} minutes`;
  if (sec < 172_800) return `${Math.round(sec / 3600)} hours`;
  return `${Math.round(sec / 86_400)} days`;
}
