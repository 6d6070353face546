/**
 * SigV4 signing of an upstream request, in place, with `aws4fetch`'s signer (it signs without
 * fetching). The signature covers the final URL (host included: in tests that is the emulator's
 * `127.0.0.1:port`), the method, the body and the signed headers, so it runs after everything else
 * has shaped the request.
 */
import { AwsV4Signer } from "aws4fetch";
import type { UpstreamRequest } from "../llm/types.ts";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Headers the gateway sets itself: a client's own values must never reach the upstream. */
const SIGNING_HEADERS = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"];

/**
 * A signing-key cache holding one key. The derived key depends on the secret, the day, the region
 * and the service, so it changes once a day (or when credentials rotate): one entry saves the
 * four HMACs per request, and memory stays bounded however often credentials rotate.
 */
export type SigningKeyCache = Map<string, ArrayBuffer>;

export function signingKeyCache(): SigningKeyCache {
  let key: string | undefined;
  let value: ArrayBuffer | undefined;
  const cache = {
    get: (k: string) => (k === key ? value : undefined),
    set(k: string, v: ArrayBuffer) {
      key = k;
      value = v;
      return cache;
    },
  };
  return cache as unknown as SigningKeyCache;
}

export async function signRequest(
  req: UpstreamRequest,
  creds: AwsCredentials,
  region: string,
  service: string,
  cache: SigningKeyCache,
): Promise<void> {
  for (const name of SIGNING_HEADERS) req.headers.delete(name);
  if (req.body instanceof ReadableStream) {
    // a streamed body (passthrough routes) must be hashed: buffer it once
    req.body = new Uint8Array(await new Response(req.body).arrayBuffer());
  }
  // Signed: host and any x-amz-* header. Other headers (user agents, SDK telemetry) may be
  // changed by fetch or a proxy on the way and need no integrity protection.
  const signed = new Headers();
  for (const [name, value] of req.headers) if (name.startsWith("x-amz-")) signed.set(name, value);
  const signer = new AwsV4Signer({
    method: req.method,
    url: req.url.toString(),
    headers: signed,
    body: req.body ?? undefined,
    accessKeyId: creds.accessKeyId,
    secretAccessKey: creds.secretAccessKey,
    sessionToken: creds.sessionToken,
    service,
    region,
    cache,
  });
  const out = await signer.sign();
  for (const name of SIGNING_HEADERS) {
    const value = out.headers.get(name);
    if (value !== null) req.headers.set(name, value);
  }
}
