/**
 * The signing keys of one JWT issuer (`jwks`): inline JSON, a file (re-read when it changes), or
 * a URL (fetched on first use, cached for 10 minutes, fetched again at once when a token names a
 * key id the cached set lacks, at most once a second: key rotation needs no restart). Built on
 * jose's key-set functions.
 */
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import type { YamlPath } from "../config/errors.ts";
import { watchedFile } from "./file-source.ts";
import type { PolicyCompileContext } from "./types.ts";

export const JwksSource = z.union([z.string(), z.strictObject({ file: z.string() }), z.strictObject({ url: z.url({ protocol: /^https?$/ }) })], {
  error: "expected the JWKS as inline JSON, {file: path} or {url: https://...}",
});

/** How long fetched keys are kept, and how soon an unknown key id may cause another fetch. */
export const REMOTE_JWKS = { cacheMaxAgeMs: 10 * 60_000, cooldownMs: 1000, timeoutMs: 5000 };

function parseJwks(text: string): JSONWebKeySet | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  const keys = (json as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return "expected a JSON Web Key Set: an object with a 'keys' array";
  return json as JSONWebKeySet;
}

export function compileJwks(source: z.output<typeof JwksSource>, ctx: PolicyCompileContext, path: YamlPath): JWTVerifyGetKey | undefined {
  if (typeof source === "object" && "url" in source) {
    return createRemoteJWKSet(new URL(source.url), { cacheMaxAge: REMOTE_JWKS.cacheMaxAgeMs, cooldownDuration: REMOTE_JWKS.cooldownMs, timeoutDuration: REMOTE_JWKS.timeoutMs });
  }
  const text = typeof source === "string" ? source : ctx.readFile(source.file, [...path, "file"]);
  if (text === undefined) return undefined;
  const parsed = parseJwks(text);
  if (typeof parsed === "string") {
    ctx.issue(path, `invalid JWKS: ${parsed}`);
    return undefined;
  }
  let set: JWTVerifyGetKey;
  try {
    set = createLocalJWKSet(parsed);
  } catch (err) {
    ctx.issue(path, `invalid JWKS: ${(err as Error).message}`);
    return undefined;
  }
  if (typeof source === "string") return set;
  const file = watchedFile(ctx.resolveFile(source.file), set, (t) => {
    const next = parseJwks(t);
    try {
      return typeof next === "string" ? undefined : createLocalJWKSet(next);
    } catch {
      return undefined;
    }
  });
  return (header, token) => file.current()(header, token);
}
