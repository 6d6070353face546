/**
 * The standard AWS credential chain, in the SDKs' order:
 *   1. `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`
 *   2. the shared files (`~/.aws/credentials`, `~/.aws/config`) for `AWS_PROFILE` (static keys or
 *      `credential_process`)
 *   3. web identity (`AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`, EKS IRSA) via STS
 *   4. container credentials (ECS task roles, EKS Pod Identity)
 *   5. instance credentials (EC2 instance metadata, IMDSv2)
 * (the list itself is in `aws.ts`). The first source that has credentials wins. Temporary credentials are refreshed five minutes
 * before they expire, in the background while the old ones are still valid; concurrent requests
 * share one refresh.
 */
import { homedir } from "node:os";
import type { AwsCredentials } from "./aws-sign.ts";

/** Credentials as a source found them, with how long to use them. */
export interface ResolvedCredentials {
  creds: AwsCredentials;
  /** ms epoch after which they must not be used (Infinity when they do not expire) */
  expiresAt: number;
  /** ms epoch after which to look for fresh ones (while still using these) */
  refreshAt: number;
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

export const REFRESH_MARGIN_MS = 5 * 60_000;

export function defaultDeps(): CredentialDeps {
  return { env: process.env, homeDir: homedir(), now: Date.now, fetch: (url, init) => fetch(url, init) };
}

/** Credentials that expire at `expiresAt` (ms epoch, or undefined), refreshed ahead of time. */
export function expiring(creds: AwsCredentials, expiresAt: number | undefined): ResolvedCredentials {
  const end = expiresAt ?? Infinity;
  return { creds, expiresAt: end, refreshAt: end - REFRESH_MARGIN_MS };
}

/** Returns the current credentials of the chain, resolving or refreshing them as needed. */
export function credentialChain(sources: readonly CredentialSource[], deps: CredentialDeps = defaultDeps()): () => Promise<AwsCredentials> {
  let current: ResolvedCredentials | undefined;
  let inflight: Promise<AwsCredentials> | undefined;

  const resolve = async (): Promise<AwsCredentials> => {
    for (const source of sources) {
      const found = await source(deps);
      if (found) {
        current = found;
        return found.creds;
      }
    }
    throw new CredentialError(
      "no AWS credentials found: set backendAuth.aws.accessKeyId/secretAccessKey, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
        "AWS_PROFILE (shared credentials/config files), or run with a web-identity, container or instance role",
    );
  };
  const refresh = () => {
    inflight ??= resolve().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  return async () => {
    const now = deps.now();
    if (current && now < current.refreshAt) return current.creds;
    if (current && now < current.expiresAt) {
      // still valid: refresh in the background, a failure is retried on the next request
      refresh().catch(() => {});
      return current.creds;
    }
    return refresh();
  };
}

/** Parses an ISO-8601 expiration; undefined when absent or unreadable. */
export function parseExpiration(value: unknown): number | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
