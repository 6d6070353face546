/**
 * `backendAuth: azure`: Microsoft Entra ID access tokens for Azure OpenAI and AI Foundry (scope
 * `https://cognitiveservices.azure.com/.default`), also the Azure provider's default credentials.
 *
 * Where the token comes from:
 *   explicitConfig.clientSecret     OAuth client-credentials grant at {authority}/{tenant}/oauth2/v2.0/token
 *   explicitConfig.managedIdentity  the instance metadata service (IMDS), system- or user-assigned identity
 *   implicit (and the default)      like Azure's DefaultAzureCredential, resolved at first use:
 *                                   AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET (client secret),
 *                                   else AZURE_FEDERATED_TOKEN_FILE (workload identity, client assertion),
 *                                   else managed identity (AZURE_CLIENT_ID picks a user-assigned one)
 * Endpoints can be moved (tests, sovereign clouds) with the variables Azure's SDKs read:
 * AZURE_AUTHORITY_HOST (default https://login.microsoftonline.com) and
 * AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS, default http://169.254.169.254).
 *
 * Tokens are held in the shared credential cache (`token-cache.ts`): renewed 5 minutes before they
 * expire (half their lifetime when shorter), in the background while the old one is still valid,
 * and concurrent requests share one fetch. Failures are 401 (Entra refused the credential) or 503 (no
 * token endpoint answered); messages never carry a secret or a token.
 *
 * A request authorized here is remembered (`hasEntraToken`) so that the Azure provider keeps the
 * token as `Authorization: Bearer` instead of moving it to `api-key` as it does with API keys.
 */
import { readFileSync } from "node:fs";
import type { RawBackendAuth } from "../config/schema.ts";
import { HttpError } from "../http/errors.ts";
import type { Authorizer } from "../llm/types.ts";
import type { CloudAuthFactory } from "../policies/backend-auth.ts";
import { singleTokenCache, type Expiring } from "./token-cache.ts";

export const COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";
const DEFAULT_AUTHORITY = "https://login.microsoftonline.com";
const DEFAULT_IMDS = "http://169.254.169.254";
const FETCH_TIMEOUT_MS = 10_000;

export type AzureSource =
  | { kind: "clientSecret"; tenantId: string; clientId: string; clientSecret: string }
  | { kind: "workloadIdentity"; tenantId: string; clientId: string; tokenFile: string }
  | { kind: "managedIdentity"; clientId?: string | undefined; objectId?: string | undefined; resourceId?: string | undefined };

export interface AzureAuthOptions {
  /** where tokens come from; undefined: the implicit chain, resolved from `env` at first use */
  source?: AzureSource;
  /** environment to read (default: process.env), for tests */
  env?: Record<string, string | undefined>;
  /** clock (ms), for tests */
  now?: () => number;
}

const entraHeaders = new WeakSet<Headers>();

/** True when these upstream headers carry an Entra token put there by `backendAuth.azure`. */
export function hasEntraToken(headers: Headers): boolean {
  return entraHeaders.has(headers);
}

/** The `backendAuth.azure` factory registered in `src/auth/index.ts`. */
export const azureAuthFactory: CloudAuthFactory<NonNullable<RawBackendAuth["azure"]>> = (config) => {
  const explicit = config.explicitConfig;
  if (explicit?.clientSecret) {
    const c = explicit.clientSecret;
    return azureAuthorizer({ source: { kind: "clientSecret", tenantId: c.tenant_id, clientId: c.client_id, clientSecret: c.client_secret } });
  }
  if (explicit?.managedIdentity) {
    const id = explicit.managedIdentity.userAssignedIdentity ?? undefined;
    return azureAuthorizer({ source: { kind: "managedIdentity", clientId: id?.clientId, objectId: id?.objectId, resourceId: id?.resourceId } });
  }
  return azureAuthorizer({});
};

/** The implicit chain, as the Azure provider uses when no `backendAuth` is set. */
export function azureDefaultAuth(): Authorizer {
  return azureAuthorizer({});
}

export function azureAuthorizer(opts: AzureAuthOptions): Authorizer {
  const now = opts.now ?? Date.now;
  const token = singleTokenCache(() => fetchToken(opts, now), { now });
  return async (req) => {
    req.headers.set("authorization", `Bearer ${await token()}`);
    entraHeaders.add(req.headers);
  };
}

// ---------------------------------------------------------------------------------------------

function resolveSource(env: Record<string, string | undefined>): AzureSource {
  const tenantId = env.AZURE_TENANT_ID;
  const clientId = env.AZURE_CLIENT_ID;
  if (tenantId && clientId && env.AZURE_CLIENT_SECRET) return { kind: "clientSecret", tenantId, clientId, clientSecret: env.AZURE_CLIENT_SECRET };
  if (tenantId && clientId && env.AZURE_FEDERATED_TOKEN_FILE) return { kind: "workloadIdentity", tenantId, clientId, tokenFile: env.AZURE_FEDERATED_TOKEN_FILE };
  return { kind: "managedIdentity", clientId: clientId || undefined };
}

async function fetchToken(opts: AzureAuthOptions, now: () => number): Promise<Expiring<string>> {
  const env = opts.env ?? process.env;
  const source = opts.source ?? resolveSource(env);
  const started = now();
  const granted = source.kind === "managedIdentity" ? await imdsToken(source, env) : await entraToken(source, env);
  // counted from before the request, so the time the grant took is not counted as validity
  return { value: granted.accessToken, expiresAt: started + granted.expiresInSec * 1000 };
}

interface Granted {
  accessToken: string;
  expiresInSec: number;
}

/** Client credentials (secret, or a federated workload identity token as the client assertion). */
async function entraToken(source: Extract<AzureSource, { kind: "clientSecret" | "workloadIdentity" }>, env: Record<string, string | undefined>): Promise<Granted> {
  const authority = (env.AZURE_AUTHORITY_HOST || DEFAULT_AUTHORITY).replace(/\/+$/, "");
  const form = new URLSearchParams({ grant_type: "client_credentials", client_id: source.clientId, scope: COGNITIVE_SERVICES_SCOPE });
  if (source.kind === "clientSecret") form.set("client_secret", source.clientSecret);
  else {
    let assertion: string;
    try {
      assertion = readFileSync(source.tokenFile, "utf8").trim();
    } catch {
      throw new HttpError(503, "Azure workload identity: the federated token file (AZURE_FEDERATED_TOKEN_FILE) cannot be read", { code: "backend_auth_failed" });
    }
    form.set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    form.set("client_assertion", assertion);
  }
  const url = `${authority}/${encodeURIComponent(source.tenantId)}/oauth2/v2.0/token`;
  const res = await tokenFetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
  return await grantOf(res, "Microsoft Entra ID");
}

/** Managed identity through the instance metadata service. */
async function imdsToken(source: Extract<AzureSource, { kind: "managedIdentity" }>, env: Record<string, string | undefined>): Promise<Granted> {
  const host = (env.AZURE_POD_IDENTITY_AUTHORITY_HOST || DEFAULT_IMDS).replace(/\/+$/, "");
  const url = new URL(`${host}/metadata/identity/oauth2/token`);
  url.searchParams.set("api-version", "2018-02-01");
  url.searchParams.set("resource", COGNITIVE_SERVICES_SCOPE.replace(/\/\.default$/, ""));
  if (source.clientId) url.searchParams.set("client_id", source.clientId);
  if (source.objectId) url.searchParams.set("object_id", source.objectId);
  if (source.resourceId) url.searchParams.set("msi_res_id", source.resourceId);
  const res = await tokenFetch(url.toString(), { headers: { metadata: "true" } });
  return await grantOf(res, "Azure managed identity (IMDS)");
}

async function tokenFetch(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  } catch {
    throw new HttpError(503, `could not reach the Azure token endpoint at ${new URL(url).host}`, { code: "backend_auth_failed" });
  }
}

async function grantOf(res: Response, who: string): Promise<Granted> {
  const body = (await res.json().catch(() => undefined)) as
    | { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown }
    | undefined;
  const expiresIn = Number(body?.expires_in);
  if (res.ok && typeof body?.access_token === "string" && Number.isFinite(expiresIn)) {
    return { accessToken: body.access_token, expiresInSec: expiresIn };
  }
  // Entra's descriptions name the failure (AADSTS code, app id), never the secret
  const reason = typeof body?.error_description === "string" ? body.error_description.split(/\r?\n/)[0]!.slice(0, 300) : typeof body?.error === "string" ? body.error : `HTTP ${res.status}`;
  const status = res.status >= 500 ? 503 : 401;
  throw new HttpError(status, `${who} did not grant the gateway a token: ${reason}`, { code: "backend_auth_failed" });
}
