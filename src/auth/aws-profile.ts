/**
 * Credentials from the process environment and from the shared AWS files
 * (`~/.aws/credentials`, `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE` / `AWS_CONFIG_FILE`)
 * for the profile `AWS_PROFILE` (default `default`): static keys or a `credential_process`.
 * Profiles that need the SDK's other machinery (`role_arn`, `sso_*`) are reported, not guessed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CredentialError, expiring, parseExpiration, type CredentialDeps, type ResolvedCredentials } from "./aws-credentials.ts";

/** Shared-file credentials are re-read this often, so `aws configure` or a rotated file is picked up. */
const FILE_RECHECK_MS = 5 * 60_000;
const PROCESS_TIMEOUT_MS = 30_000;

export async function fromEnv({ env }: CredentialDeps): Promise<ResolvedCredentials | undefined> {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) return undefined;
  return expiring({ accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined }, undefined);
}

export async function fromSharedFiles(deps: CredentialDeps): Promise<ResolvedCredentials | undefined> {
  const { env, homeDir } = deps;
  const explicit = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE;
  const name = explicit || "default";
  const credentialsFile = env.AWS_SHARED_CREDENTIALS_FILE || join(homeDir, ".aws", "credentials");
  const configFile = env.AWS_CONFIG_FILE || join(homeDir, ".aws", "config");
  const fromCredentials = parseIni(readIfPresent(credentialsFile))[name];
  const config = parseIni(readIfPresent(configFile));
  const fromConfig = config[`profile ${name}`] ?? (name === "default" ? config.default : undefined);
  if (!fromCredentials && !fromConfig) {
    if (explicit) throw new CredentialError(`AWS profile '${name}' was not found in ${credentialsFile} or ${configFile}`);
    return undefined;
  }
  // the credentials file wins over the config file, key by key (as in the AWS CLI)
  const profile = { ...fromConfig, ...fromCredentials };
  const accessKeyId = profile.aws_access_key_id;
  const secretAccessKey = profile.aws_secret_access_key;
  if (accessKeyId && secretAccessKey) {
    const now = deps.now();
    return { creds: { accessKeyId, secretAccessKey, sessionToken: profile.aws_session_token || undefined }, expiresAt: Infinity, refreshAt: now + FILE_RECHECK_MS };
  }
  if (profile.credential_process) return await fromProcess(profile.credential_process, name);
  const needs = ["role_arn", "sso_session", "sso_start_url", "web_identity_token_file"].filter((k) => profile[k]);
  if (needs.length > 0 || explicit) {
    throw new CredentialError(
      `AWS profile '${name}' has no static keys or credential_process` +
        (needs.length > 0 ? ` (it uses ${needs.join(", ")}, which this gateway does not resolve yet: export the credentials or use credential_process)` : ""),
    );
  }
  return undefined;
}

/** Runs a profile's `credential_process` (through the shell, as the AWS SDK for JavaScript does). */
async function fromProcess(command: string, profile: string): Promise<ResolvedCredentials> {
  const proc = Bun.spawn(["sh", "-c", command], { stdout: "pipe", stderr: "ignore", stdin: "ignore", timeout: PROCESS_TIMEOUT_MS });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new CredentialError(`credential_process of AWS profile '${profile}' exited with status ${code}`);
  let parsed: { Version?: unknown; AccessKeyId?: unknown; SecretAccessKey?: unknown; SessionToken?: unknown; Expiration?: unknown };
  try {
    parsed = JSON.parse(out);
  } catch {
    // never echo the output: it holds secrets
    throw new CredentialError(`credential_process of AWS profile '${profile}' did not print JSON`);
  }
  if (parsed.Version !== 1 || typeof parsed.AccessKeyId !== "string" || typeof parsed.SecretAccessKey !== "string") {
    throw new CredentialError(`credential_process of AWS profile '${profile}' printed no Version 1 AccessKeyId/SecretAccessKey`);
  }
  const sessionToken = typeof parsed.SessionToken === "string" ? parsed.SessionToken : undefined;
  return expiring({ accessKeyId: parsed.AccessKeyId, secretAccessKey: parsed.SecretAccessKey, sessionToken }, parseExpiration(parsed.Expiration));
}

function readIfPresent(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * The AWS flavour of INI: `[section]` (config sections are `[profile name]`), `key = value`,
 * `#`/`;` comments. Indented lines are sub-settings of the key above (e.g. `s3 =` blocks) and
 * are skipped.
 */
export function parseIni(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s/.test(raw) && current && raw.trim() !== "") continue;
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      const name = section[1]!.replace(/\s+/g, " ");
      current = sections[name] ??= {};
      continue;
    }
    const eq = line.indexOf("=");
    if (eq === -1 || !current) continue;
    current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return sections;
}
