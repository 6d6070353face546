/**
 * Credentials fetched over HTTP: STS web identity (EKS IRSA), container endpoints (ECS task
 * roles, EKS Pod Identity) and EC2 instance metadata (IMDSv2 only: the session-token handshake
 * guards against SSRF, so IMDSv1 is not tried). Endpoints follow the SDKs' override variables
 * (`AWS_ENDPOINT_URL_STS`, `AWS_CONTAINER_CREDENTIALS_FULL_URI`, `AWS_EC2_METADATA_SERVICE_ENDPOINT`),
 * which is also how tests point them at local fakes.
 */
import { readFileSync } from "node:fs";
import { CredentialError, expiring, parseExpiration, type CredentialDeps, type ResolvedCredentials } from "./aws-credentials.ts";

const ECS_HOST = "http://169.254.170.2";
const IMDS_HOST = "http://169.254.169.254";
const IMDS_TOKEN_TTL_SECONDS = "21600";
/** metadata endpoints answer in milliseconds; off EC2 the address does not answer at all */
const METADATA_TIMEOUT_MS = 1000;
const REMOTE_TIMEOUT_MS = 5000;

interface AwsCredentialJson {
  AccessKeyId?: unknown;
  SecretAccessKey?: unknown;
  Token?: unknown;
  SessionToken?: unknown;
  Expiration?: unknown;
}

function fromJson(json: AwsCredentialJson, where: string): ResolvedCredentials {
  if (typeof json.AccessKeyId !== "string" || typeof json.SecretAccessKey !== "string") {
    throw new CredentialError(`${where} answered without AccessKeyId/SecretAccessKey`);
  }
  const token = typeof json.Token === "string" ? json.Token : typeof json.SessionToken === "string" ? json.SessionToken : undefined;
  return expiring({ accessKeyId: json.AccessKeyId, secretAccessKey: json.SecretAccessKey, sessionToken: token }, parseExpiration(json.Expiration));
}

// ---------------------------------------------------------------------------------------------
// web identity (AssumeRoleWithWebIdentity needs no signature: the token is the proof)

export async function fromWebIdentity(deps: CredentialDeps): Promise<ResolvedCredentials | undefined> {
  const { env } = deps;
  const tokenFile = env.AWS_WEB_IDENTITY_TOKEN_FILE;
  const roleArn = env.AWS_ROLE_ARN;
  if (!tokenFile || !roleArn) return undefined;
  let token: string;
  try {
    token = readFileSync(tokenFile, "utf8").trim();
  } catch {
    throw new CredentialError(`cannot read the web identity token file ${tokenFile}`);
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  const endpoint = env.AWS_ENDPOINT_URL_STS || (region ? `https://sts.${region}.amazonaws.com` : "https://sts.amazonaws.com");
  const form = new URLSearchParams({
    Action: "AssumeRoleWithWebIdentity",
    Version: "2011-06-15",
    RoleArn: roleArn,
    RoleSessionName: env.AWS_ROLE_SESSION_NAME || `agentgateway-${deps.now()}`,
    WebIdentityToken: token,
  });
  const res = await request(deps, endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() }, REMOTE_TIMEOUT_MS, "STS");
  const xml = await res.text();
  if (!res.ok) {
    const code = xmlField(xml, "Code") ?? `HTTP ${res.status}`;
    throw new CredentialError(`STS AssumeRoleWithWebIdentity for ${roleArn} failed: ${code}${xmlField(xml, "Message") ? `: ${xmlField(xml, "Message")}` : ""}`);
  }
  return fromJson(
    {
      AccessKeyId: xmlField(xml, "AccessKeyId"),
      SecretAccessKey: xmlField(xml, "SecretAccessKey"),
      SessionToken: xmlField(xml, "SessionToken"),
      Expiration: xmlField(xml, "Expiration"),
    },
    "STS AssumeRoleWithWebIdentity",
  );
}

function xmlField(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return m ? m[1]!.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, "&") : undefined;
}

// ---------------------------------------------------------------------------------------------
// container credentials (ECS, EKS Pod Identity)

export async function fromContainer(deps: CredentialDeps): Promise<ResolvedCredentials | undefined> {
  const { env } = deps;
  const relative = env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI;
  const full = env.AWS_CONTAINER_CREDENTIALS_FULL_URI;
  if (!relative && !full) return undefined;
  const url = relative ? `${ECS_HOST}${relative}` : full!;
  if (!relative && !allowedContainerEndpoint(url)) {
    throw new CredentialError("AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http on a loopback or the ECS/EKS link-local address");
  }
  const headers: Record<string, string> = {};
  const tokenFile = env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
  if (tokenFile) {
    try {
      headers.authorization = readFileSync(tokenFile, "utf8").trim();
    } catch {
      throw new CredentialError(`cannot read the container authorization token file ${tokenFile}`);
    }
  } else if (env.AWS_CONTAINER_AUTHORIZATION_TOKEN) {
    headers.authorization = env.AWS_CONTAINER_AUTHORIZATION_TOKEN;
  }
  const res = await request(deps, url, { headers }, REMOTE_TIMEOUT_MS, "the container credentials endpoint");
  if (!res.ok) throw new CredentialError(`the container credentials endpoint answered HTTP ${res.status}`);
  return fromJson(await readJson(res, "the container credentials endpoint"), "the container credentials endpoint");
}

/** The SDKs' rule: a full URI is https, or http to a loopback or the container link-local hosts. */
function allowedContainerEndpoint(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol === "https:") return true;
  if (url.protocol !== "http:") return false;
  const host = url.hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\./.test(host) || host === "169.254.170.2" || host === "169.254.170.23" || host === "fd00:ec2::23";
}

// ---------------------------------------------------------------------------------------------
// EC2 instance metadata (IMDSv2)

export async function fromInstanceMetadata(deps: CredentialDeps): Promise<ResolvedCredentials | undefined> {
  const { env } = deps;
  if ((env.AWS_EC2_METADATA_DISABLED ?? "").toLowerCase() === "true") return undefined;
  const base = (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || IMDS_HOST).replace(/\/+$/, "");
  let tokenRes: Response;
  try {
    tokenRes = await request(deps, `${base}/latest/api/token`, { method: "PUT", headers: { "x-aws-ec2-metadata-token-ttl-seconds": IMDS_TOKEN_TTL_SECONDS } }, METADATA_TIMEOUT_MS, "instance metadata");
  } catch {
    return undefined; // not on EC2 (or metadata blocked): the chain ends without credentials
  }
  if (!tokenRes.ok) throw new CredentialError(`instance metadata refused a session token (HTTP ${tokenRes.status}); IMDSv2 is required`);
  const token = (await tokenRes.text()).trim();
  const auth = { "x-aws-ec2-metadata-token": token };
  const listing = await request(deps, `${base}/latest/meta-data/iam/security-credentials/`, { headers: auth }, METADATA_TIMEOUT_MS, "instance metadata");
  if (listing.status === 404) return undefined; // an instance without a role
  if (!listing.ok) throw new CredentialError(`instance metadata answered HTTP ${listing.status} for the role name`);
  const role = (await listing.text()).split("\n")[0]!.trim();
  if (role === "") return undefined;
  const res = await request(deps, `${base}/latest/meta-data/iam/security-credentials/${encodeURIComponent(role)}`, { headers: auth }, METADATA_TIMEOUT_MS, "instance metadata");
  if (!res.ok) throw new CredentialError(`instance metadata answered HTTP ${res.status} for the credentials of role ${role}`);
  const json = (await readJson(res, "instance metadata")) as AwsCredentialJson & { Code?: unknown };
  if (json.Code !== undefined && json.Code !== "Success") throw new CredentialError(`instance metadata credentials for role ${role}: ${String(json.Code)}`);
  return fromJson(json, "instance metadata");
}

// ---------------------------------------------------------------------------------------------

async function request(deps: CredentialDeps, url: string, init: RequestInit, timeoutMs: number, what: string): Promise<Response> {
  try {
    return await deps.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
  } catch (err) {
    const reason = (err as Error)?.name === "TimeoutError" ? "timed out" : "unreachable";
    throw new CredentialError(`${what} ${reason} (${new URL(url).origin})`);
  }
}

async function readJson(res: Response, what: string): Promise<AwsCredentialJson> {
  try {
    return (await res.json()) as AwsCredentialJson;
  } catch {
    throw new CredentialError(`${what} did not answer JSON`);
  }
}
