/**
 * `backendAuth: gcp`: Google Cloud OAuth tokens (Vertex AI, and the Vertex adapter's default).
 *
 * Where the credential comes from, first found wins:
 *   1. `backendAuth.gcp.credential`: a key file's JSON, inline or `{file: path}`;
 *   2. the file named by `GOOGLE_APPLICATION_CREDENTIALS`;
 *   3. gcloud's application-default file (`gcloud auth application-default login`);
 *   4. the metadata server, when running on Google Cloud (`GCE_METADATA_HOST` overrides its address).
 * A `service_account` key is signed into an RS256 JWT with WebCrypto and exchanged at the key's
 * `token_uri` (`GOOGLE_OAUTH_TOKEN_URI` overrides it); an `authorized_user` file uses its refresh
 * token. Tokens are held in the shared credential cache (`token-cache.ts`), one per credential and
 * token kind: renewed 5 minutes before they expire (half their lifetime when shorter), in the
 * background while the old one is still valid, and concurrent requests share one fetch. Failures
 * are 401 (the credential was refused or is unusable) or 503 (no credential could be reached),
 * and their messages never carry a key, a token or a signature.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { RawBackendAuth } from "../config/schema.ts";
import { HttpError } from "../http/errors.ts";
import type { Authorizer } from "../llm/types.ts";
import type { CloudAuthFactory } from "../policies/backend-auth.ts";
import { TokenCache } from "./token-cache.ts";

export const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const DEFAULT_TOKEN_URI = "https://oauth2.googleapis.com/token";
const DEFAULT_METADATA_HOST = "metadata.google.internal";
const JWT_LIFETIME_SEC = 3600;
const FETCH_TIMEOUT_MS = 10_000;

export type GcpCredential =
  | { kind: "service_account"; clientEmail: string; privateKey: string; keyId: string | undefined; tokenUri: string; quotaProject: string | undefined }
  | { kind: "authorized_user"; clientId: string; clientSecret: string; refreshToken: string; tokenUri: string; quotaProject: string | undefined }
  | { kind: "metadata"; host: string };

export interface GcpAuthOptions {
  /** `accessToken` (default) for Google APIs, `idToken` for services behind IAP / Cloud Run */
  type?: "accessToken" | "idToken";
  /** idToken audience; default: the upstream's origin */
  audience?: string;
  /** an explicit credential; default: application default credentials, resolved at first use */
  credential?: GcpCredential;
  /** environment to read (default: process.env), for tests */
  env?: Record<string, string | undefined>;
  /** clock (ms), for tests */
  now?: () => number;
}

interface Token {
  value: string;
  /** ms since epoch */
  expiresAt: number;
  quotaProject: string | undefined;
}

/** Shared by every authorizer with the same credential and token kind: one token, one fetch. */
const tokens = new TokenCache<Token>();

/** The `backendAuth.gcp` factory registered in `src/auth/index.ts`. */
export const gcpAuthFactory: CloudAuthFactory<NonNullable<RawBackendAuth["gcp"]>> = (config, ctx, path) => {
  let credential: GcpCredential | undefined;
  if (config.credential !== undefined && config.credential !== null) {
    const secret = ctx.secret(config.credential, [...path, "credential"]);
    if (!secret) return undefined;
    const parsed = parseCredential(secret.reveal(), undefined);
    if (typeof parsed === "string") {
      ctx.issue([...path, "credential"], `not a usable Google credential: ${parsed}`);
      return undefined;
    }
    credential = parsed;
  }
  return gcpAuthorizer({ type: config.type ?? "accessToken", audience: config.audience ?? undefined, credential });
};

/** Application default credentials, as the Vertex provider uses when no `backendAuth` is set. */
export function gcpDefaultAuth(): Authorizer {
  return gcpAuthorizer({});
}

export function gcpAuthorizer(opts: GcpAuthOptions): Authorizer {
  const kind = opts.type ?? "accessToken";
  return async (req) => {
    const audience = kind === "idToken" ? (opts.audience ?? req.url.origin) : undefined;
    const token = await gcpToken(opts, audience);
    req.headers.set("authorization", `Bearer ${token.value}`);
    if (token.quotaProject) req.headers.set("x-goog-user-project", token.quotaProject);
  };
}

/** A valid token for these options: cached, or fetched once for all concurrent callers. */
export async function gcpToken(opts: GcpAuthOptions, audience?: string): Promise<Token> {
  const env = opts.env ?? process.env;
  const now = opts.now ?? Date.now;
  const fetchFresh = async () => {
    const token = await fetchToken(opts.credential ?? resolveDefaultCredential(env), env, audience, now);
    return { value: token, expiresAt: token.expiresAt };
  };
  // the cache is shared by every authorizer, so the clock goes with the call (the options' own)
  return await tokens.get(cacheKey(opts.credential, env, audience), fetchFresh, now);
}

/** Forgets cached tokens (tests). */
export function clearGcpTokenCache(): void {
  tokens.clear();
}

function cacheKey(credential: GcpCredential | undefined, env: Record<string, string | undefined>, audience: string | undefined): string {
  const kind = audience === undefined ? "access" : `id:${audience}`;
  if (!credential) return `adc|${env.GOOGLE_APPLICATION_CREDENTIALS ?? ""}|${env.GCE_METADATA_HOST ?? ""}|${kind}`;
  switch (credential.kind) {
    case "service_account":
      return `sa|${credential.clientEmail}|${credential.keyId ?? ""}|${credential.tokenUri}|${kind}`;
    case "authorized_user":
      return `user|${credential.clientId}|${Bun.hash(credential.refreshToken).toString(36)}|${credential.tokenUri}|${kind}`;
    case "metadata":
      return `metadata|${credential.host}|${kind}`;
  }
}

// ---------------------------------------------------------------------------------------------
// finding a credential

/**
 * Parses a Google credential file. Returns a reason (never quoting the content) when unusable.
 * `tokenUriOverride` (`GOOGLE_OAUTH_TOKEN_URI`) wins over the file's `token_uri`.
 */
export function parseCredential(text: string, tokenUriOverride: string | undefined): GcpCredential | string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text);
  } catch {
    return "not JSON (expected a service-account key or an authorized_user file)";
  }
  if (!o || typeof o !== "object") return "not a JSON object";
  const str = (k: string) => (typeof o[k] === "string" && o[k] !== "" ? (o[k] as string) : undefined);
  const quotaProject = str("quota_project_id");
  switch (o.type) {
    case "service_account": {
      const clientEmail = str("client_email");
      const privateKey = str("private_key");
      if (!clientEmail || !privateKey) return "a service_account key needs 'client_email' and 'private_key'";
      if (!privateKey.includes("PRIVATE KEY")) return "'private_key' is not a PEM private key";
      return { kind: "service_account", clientEmail, privateKey, keyId: str("private_key_id"), tokenUri: tokenUriOverride ?? str("token_uri") ?? DEFAULT_TOKEN_URI, quotaProject };
    }
    case "authorized_user": {
      const clientId = str("client_id");
      const clientSecret = str("client_secret");
      const refreshToken = str("refresh_token");
      if (!clientId || !clientSecret || !refreshToken) return "an authorized_user file needs 'client_id', 'client_secret' and 'refresh_token'";
      return { kind: "authorized_user", clientId, clientSecret, refreshToken, tokenUri: tokenUriOverride ?? str("token_uri") ?? DEFAULT_TOKEN_URI, quotaProject };
    }
    case undefined:
      return "it has no 'type' (expected service_account or authorized_user)";
    default:
      return `credential type '${String(o.type)}' is not supported yet (supported: service_account, authorized_user)`;
  }
}

/** Application default credentials: the env-named file, gcloud's file, else the metadata server. */
function resolveDefaultCredential(env: Record<string, string | undefined>): GcpCredential {
  const named = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (named) return credentialFromFile(named, "GOOGLE_APPLICATION_CREDENTIALS", env);
  const configDir = env.CLOUDSDK_CONFIG ?? join(env.HOME ?? homedir(), ".config", "gcloud");
  const wellKnown = join(configDir, "application_default_credentials.json");
  if (existsSync(wellKnown)) return credentialFromFile(wellKnown, "gcloud's application default credentials", env);
  return { kind: "metadata", host: env.GCE_METADATA_HOST ?? env.GCE_METADATA_IP ?? DEFAULT_METADATA_HOST };
}

function credentialFromFile(path: string, what: string, env: Record<string, string | undefined>): GcpCredential {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    throw authError(401, `${what} file ${path} cannot be read`);
  }
  const parsed = parseCredential(text, env.GOOGLE_OAUTH_TOKEN_URI);
  if (typeof parsed === "string") throw authError(401, `${what} file ${path} is not a usable Google credential: ${parsed}`);
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// getting a token

async function fetchToken(credential: GcpCredential, env: Record<string, string | undefined>, audience: string | undefined, now: () => number): Promise<Token> {
  switch (credential.kind) {
    case "service_account": {
      const tokenUri = env.GOOGLE_OAUTH_TOKEN_URI ?? credential.tokenUri;
      const assertion = await signServiceAccountJwt(credential, tokenUri, audience, now);
      const form = new URLSearchParams({ grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer", assertion });
      return await exchange(tokenUri, form, audience, now, credential.quotaProject, "service-account key");
    }
    case "authorized_user": {
      if (audience !== undefined) throw authError(401, "idToken needs a service_account key or the metadata server; authorized_user credentials cannot mint ID tokens here");
      const form = new URLSearchParams({
        grant_type: "refresh_token",
        client_id: credential.clientId,
        client_secret: credential.clientSecret,
        refresh_token: credential.refreshToken,
      });
      return await exchange(env.GOOGLE_OAUTH_TOKEN_URI ?? credential.tokenUri, form, undefined, now, credential.quotaProject, "authorized_user credential");
    }
    case "metadata":
      return await fromMetadataServer(credential.host, audience, now);
  }
}

/** The signed JWT a service account presents at the token endpoint (RFC 7523). */
export async function signServiceAccountJwt(
  sa: Extract<GcpCredential, { kind: "service_account" }>,
  tokenUri: string,
  audience: string | undefined,
  now: () => number,
): Promise<string> {
  const iat = Math.floor(now() / 1000);
  const header: Record<string, string> = { alg: "RS256", typ: "JWT" };
  if (sa.keyId) header.kid = sa.keyId;
  const claims: Record<string, string | number> = { iss: sa.clientEmail, aud: tokenUri, iat, exp: iat + JWT_LIFETIME_SEC };
  if (audience === undefined) claims.scope = CLOUD_PLATFORM_SCOPE;
  else claims.target_audience = audience;
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const key = await signingKey(sa.privateKey);
  const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, new TextEncoder().encode(input));
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

const keys = new Map<string, Promise<CryptoKey>>();

function signingKey(pem: string): Promise<CryptoKey> {
  let key = keys.get(pem);
  if (!key) {
    const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, "").replace(/\s+/g, ""), "base64");
    key = crypto.subtle.importKey("pkcs8", der, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["sign"]).catch(() => {
      keys.delete(pem);
      throw authError(401, "the service-account 'private_key' is not a valid PKCS#8 RSA key");
    });
    keys.set(pem, key);
  }
  return key;
}

async function exchange(tokenUri: string, form: URLSearchParams, audience: string | undefined, now: () => number, quotaProject: string | undefined, what: string): Promise<Token> {
  const where = safeOrigin(tokenUri);
  let res: Response;
  try {
    res = await fetch(tokenUri, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: form.toString(),
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
  } catch {
    throw authError(503, `Google token endpoint ${where} is unreachable`);
  }
  const text = await res.text().catch(() => "");
  const body = tryJson(text);
  if (!res.ok) {
    const reason = [str(body?.error), str(body?.error_description)].filter(Boolean).join(": ");
    const status = res.status >= 500 ? 503 : 401;
    throw authError(status, `Google token endpoint ${where} refused the ${what} (HTTP ${res.status}${reason ? `, ${reason}` : ""})`);
  }
  const value = audience === undefined ? str(body?.access_token) : str(body?.id_token);
  if (!value) throw authError(503, `Google token endpoint ${where} answered without ${audience === undefined ? "an access_token" : "an id_token"}`);
  return { value, expiresAt: expiryOf(value, body?.expires_in, audience, now), quotaProject };
}

async function fromMetadataServer(host: string, audience: string | undefined, now: () => number): Promise<Token> {
  const base = `http://${host}/computeMetadata/v1/instance/service-accounts/default`;
  const url = audience === undefined ? `${base}/token` : `${base}/identity?audience=${encodeURIComponent(audience)}&format=full`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { "metadata-flavor": "Google" }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch {
    throw authError(
      503,
      `no Google Cloud credentials found: set backendAuth.gcp.credential or GOOGLE_APPLICATION_CREDENTIALS to a service-account key file (the metadata server ${host} is unreachable)`,
    );
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) throw authError(503, `the Google Cloud metadata server ${host} answered HTTP ${res.status} for a token (is a service account attached?)`);
  if (audience !== undefined) {
    const value = text.trim();
    if (!value) throw authError(503, `the Google Cloud metadata server ${host} answered without an ID token`);
    return { value, expiresAt: expiryOf(value, undefined, audience, now), quotaProject: undefined };
  }
  const body = tryJson(text);
  const value = str(body?.access_token);
  if (!value) throw authError(503, `the Google Cloud metadata server ${host} answered without an access_token`);
  return { value, expiresAt: expiryOf(value, body?.expires_in, undefined, now), quotaProject: undefined };
}

/** Expiry from `expires_in`, else (ID tokens) the JWT's own `exp`, else an hour. */
function expiryOf(token: string, expiresIn: unknown, audience: string | undefined, now: () => number): number {
  if (typeof expiresIn === "number" && Number.isFinite(expiresIn)) return now() + expiresIn * 1000;
  if (audience !== undefined) {
    const exp = (tryJson(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: unknown } | undefined)?.exp;
    if (typeof exp === "number") return exp * 1000;
  }
  return now() + JWT_LIFETIME_SEC * 1000;
}

// ---------------------------------------------------------------------------------------------

function authError(status: 401 | 503, message: string): HttpError {
  return new HttpError(status, `gcp backend auth: ${message}`, { code: status === 401 ? "backend_auth_failed" : "backend_auth_unavailable" });
}

function base64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid token_uri)";
  }
}

function tryJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" ? v : undefined;
  } catch {
    return undefined;
  }
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}
