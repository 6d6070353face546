/**
 * `backendAuth.aws`: SigV4-signed upstream requests.
 *   {accessKeyId, secretAccessKey, sessionToken?, region?, serviceName?}  explicit credentials
 *   {region?, serviceName?}                                               the default credential chain
 * The region defaults to the provider's (Bedrock's, or `params.awsRegion` of an llm: model such as
 * Claude Platform on AWS), then `AWS_REGION` / `AWS_DEFAULT_REGION`; the service to `bedrock`. The Bedrock adapter's implicit auth is the default chain.
 */
import type { RawBackendAuth } from "../config/schema.ts";
import { bodyTooLarge, readWithin } from "../http/body.ts";
import { HttpError } from "../http/errors.ts";
import type { CloudAuthFactory } from "../policies/backend-auth.ts";
import type { Authorizer, UpstreamRequest } from "../llm/types.ts";
import { CredentialError, credentialChain, type CredentialSource } from "./aws-credentials.ts";
import { fromEnv, fromSharedFiles } from "./aws-profile.ts";
import { fromContainer, fromInstanceMetadata, fromWebIdentity } from "./aws-remote.ts";
import { signingKeyCache, signRequest, type AwsCredentials, type BufferedRequest, type SigningKeyCache } from "./aws-sign.ts";

export const DEFAULT_SERVICE = "bedrock";

/** The SDKs' order (see aws-credentials.ts). */
export const DEFAULT_SOURCES: readonly CredentialSource[] = [fromEnv, fromSharedFiles, fromWebIdentity, fromContainer, fromInstanceMetadata];

export const awsAuth: CloudAuthFactory<NonNullable<RawBackendAuth["aws"]>> = (config, ctx, path) => {
  const env = ctx.env ?? process.env;
  const region = config.region || ctx.region || env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) {
    ctx.issue([...path, "region"], "backendAuth.aws needs a region: set 'region' (a bedrock provider, or params.awsRegion in the llm: form, supplies its own), or AWS_REGION");
    return undefined;
  }
  const service = config.serviceName || DEFAULT_SERVICE;
  const { accessKeyId, secretAccessKey } = config;
  if (accessKeyId !== undefined || secretAccessKey !== undefined) {
    if (!accessKeyId || !secretAccessKey) {
      ctx.issue(path, "backendAuth.aws needs both accessKeyId and secretAccessKey (or neither, to use the default credential chain)");
      return undefined;
    }
    const creds: AwsCredentials = { accessKeyId, secretAccessKey, sessionToken: config.sessionToken || undefined };
    return sigV4Authorizer(() => creds, region, service);
  }
  return sigV4Authorizer(credentialChain(DEFAULT_SOURCES), region, service);
};

/** The implicit auth of a Bedrock provider without `backendAuth` or a host override. */
export function defaultChainAuthorizer(region: string, service = DEFAULT_SERVICE): Authorizer {
  return sigV4Authorizer(credentialChain(DEFAULT_SOURCES), region, service);
}

export function sigV4Authorizer(credentials: () => AwsCredentials | Promise<AwsCredentials>, region: string, service: string): Authorizer {
  const cache = signingKeyCache();
  return (req, ctx) => {
    let creds: AwsCredentials | Promise<AwsCredentials>;
    try {
      creds = credentials();
    } catch (err) {
      throw credentialsUnavailable(err);
    }
    // explicit keys sign a drafted body at once; the credential chain's answer, or a body the
    // client streams (passthrough routes), has to be waited for
    if (creds instanceof Promise || req.body instanceof ReadableStream) return signLater(creds, req, ctx.bodyLimit, region, service, cache);
    signRequest(req as BufferedRequest, creds, region, service, cache);
  };
}

async function signLater(pending: AwsCredentials | Promise<AwsCredentials>, req: UpstreamRequest, bodyLimit: number, region: string, service: string, cache: SigningKeyCache): Promise<void> {
  let creds: AwsCredentials;
  try {
    creds = await pending;
  } catch (err) {
    throw credentialsUnavailable(err);
  }
  signRequest(await buffered(req, bodyLimit), creds, region, service, cache);
}

/**
 * The signature covers the body's hash, so a streamed body is read whole first: within the
 * gateway's buffer limit, as every body it reads (an endless upload must not grow it without bound).
 */
async function buffered(req: UpstreamRequest, bodyLimit: number): Promise<BufferedRequest> {
  if (req.body instanceof ReadableStream) {
    const bytes = await readWithin(req.body, bodyLimit);
    if (bytes === undefined) throw bodyTooLarge(bodyLimit);
    req.body = bytes;
  }
  return req as BufferedRequest;
}

function credentialsUnavailable(err: unknown): HttpError {
  const message = err instanceof CredentialError ? err.message : "resolving AWS credentials failed";
  return new HttpError(503, message, { code: "aws_credentials_unavailable" });
}
