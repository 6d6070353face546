/**
 * The standard AWS credential chain, in the SDKs' order:
 *   1. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`
 *   2. the shared files (`~/.aws/credentials`, `~/.aws/config`) for `AWS_PROFILE` (static keys or
 *      `credential_process`)
 *   3. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, EKS IRSA) via STS
 *   4. container credentials (ECS task roles, EKS Pod Identity)
 *   5. instance credentials (EC2 instance metadata, IMDSv2)
 * (the list itself is in `aws.ts`). The first source that has credentials wins. The result is
 * held in the shared credential cache (`token-cache.ts`): temporary credentials are refreshed
 * five minutes before they expire (half their lifetime when shorter), in the background while
 * the old ones are still valid; concurrent requests share one refresh.
 */
import { homedir } from "node:os";
import type { AwsCredentials } from "./aws-sign.ts";
import { REFRESH_MARGIN_MS, singleTokenCache } from "./token-cache.ts";

export { REFRESH_MARGIN_MS };

/** Credentials as a source found them, with how long to use them. */
export interface ResolvedCredentials {
  creds: AwsCredentials;
  /** ms epoch after which they must not be used (Infinity when they do not expire) */
  expiresAt: number;
  /**
   * ms epoch after which to look for fresh ones (while still using these); default: the shared
   * cache's margin before `expiresAt`. Set by sources whose credentials never expire but may
   * change (the shared files).
   */
  refreshAt?: number;
}

/** What the sources read: injectable so tests pin the environment, files, clock and endpoints. */
export interface CredentialDeps {
  env: Record<string, string | undefined>;
  homeDir: string;
  now(): number;
  fetch(url: string, init?: RequestInit): Promise<Response>;
}

export type CredentialSource = (deps: CredentialDeps) => Promise<ResolvedCredentials | undefined>;

/** A source that was configured but failed; the message names the cause, never a secret. */
export class CredentialError extends Error {
  override name = "CredentialError";
}

export function defaultDeps(): CredentialDeps {
  return { env: process.env, homeDir: homedir(), now: Date.now, fetch: (url, init) => fetch(url, init) };
}

/** Credentials that expire at `expiresAt` (ms epoch, or undefined: never), refreshed ahead of time by the cache. */
export function expiring(creds: AwsCredentials, expiresAt: number | undefined): ResolvedCredentials {
  return { creds, expiresAt: expiresAt ?? Infinity };
}

/** Returns the current credentials of the chain, resolving or refreshing them as needed. */
export function credentialChain(sources: readonly CredentialSource[], deps: CredentialDeps = defaultDeps()): () => Promise<AwsCredentials> {
  return singleTokenCache(async () => {
    for (const source of sources) {
      const found = await source(deps);
      if (found) return { value: found.creds, expiresAt: found.expiresAt, refreshAt: found.refreshAt };
    }
    throw new CredentialError(
      "no AWS credentials found: set backendAuth.aws.accessKeyId/secretAccessKey, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
        "AWS_PROFILE (shared credentials/config files), or run with a web-identity, container or instance role",
    );
  }, { now: deps.now });
}

/** Parses an ISO-8601 expiration; undefined when absent or unreadable. */
export function parseExpiration(value: unknown): number | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
