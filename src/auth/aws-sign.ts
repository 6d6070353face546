/**
 * SigV4 signing of an upstream request, in place
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html). The signature
 * covers the final URL (host included: in tests that is the emulator's `127.0.0.1:port`), the
 * method, the body and the signed headers, so it runs after everything else has shaped the request.
 *
 * Written on Bun's synchronous `CryptoHasher` rather than aws4fetch's WebCrypto signer: the
 * WebCrypto calls are asynchronous (four thread hops per request) and cost ~80 µs a request
 * against ~6 µs here, a third of the gateway's CPU on a fast Bedrock stream. The tests check every
 * signature with AWS's own `@smithy/signature-v4`.
 */
import type { UpstreamRequest } from "../llm/types.ts";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** Headers the gateway sets itself: a client's own values must never reach the upstream. */
const SIGNING_HEADERS = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"];

/**
 * The derived signing key, cached. It depends on the secret, the day, the region and the
 * service, so it changes once a day (or when credentials rotate): one entry saves the four
 * HMACs of its derivation on every request, and memory stays bounded however often credentials rotate.
 */
export interface SigningKeyCache {
  key: string | undefined;
  value: Uint8Array | undefined;
}

export function signingKeyCache(): SigningKeyCache {
  return { key: undefined, value: undefined };
}

function hmac(key: string | Uint8Array, data: string): Uint8Array {
  return new Bun.CryptoHasher("sha256", key).update(data).digest() as Uint8Array;
}

/** one-shot (no hasher object: half the time of `new CryptoHasher(...).update().digest()`, measured 0.22 against 0.43-0.6 µs) */
function sha256Hex(data: string | Uint8Array): string {
  return Bun.SHA256.hash(data, "hex");
}

function signingKey(cache: SigningKeyCache, secret: string, date: string, region: string, service: string): Uint8Array {
  const id = `${date}/${region}/${service}/${secret}`;
  if (cache.key === id && cache.value) return cache.value;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), "aws4_request");
  cache.key = id;
  cache.value = key;
  return key;
}

/** RFC 3986 encoding, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Every path segment encoded once more (SigV4 for all services but S3): `%3A` -> `%253A`. */
function canonicalPath(pathname: string): string {
  // a gateway calls the same few paths over and over: remember the last one
  if (pathname === lastPath) return lastCanonicalPath;
  lastPath = pathname;
  lastCanonicalPath = pathname.replace(/\/+/g, "/").split("/").map(uriEncode).join("/");
  return lastCanonicalPath;
}
let lastPath = "";
let lastCanonicalPath = "";

function canonicalQuery(url: URL): string {
  if (url.search === "") return "";
  const params = url.searchParams;
  const pairs: [string, string][] = [];
  for (const [k, v] of params) if (k) pairs.push([uriEncode(k), uriEncode(v)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

/** `20260101T120000Z`, computed once a second */
function amzDate(nowMs: number): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastDatetime = new Date(second * 1000).toISOString().replace(/[:-]|\.\d{3}/g, "");
  }
  return lastDatetime;
}
let lastSecond = -1;
let lastDatetime = "";

/** An upstream request whose body is in hand: the signature covers its hash. */
export type BufferedRequest = UpstreamRequest & { body: string | Uint8Array | null };

export function signRequest(req: BufferedRequest, creds: AwsCredentials, region: string, service: string, cache: SigningKeyCache, nowMs: number = Date.now()): void {
  for (const name of SIGNING_HEADERS) req.headers.delete(name);
  const datetime = amzDate(nowMs);
  const date = datetime.slice(0, 8);
  req.headers.set("x-amz-date", datetime);
  if (creds.sessionToken) req.headers.set("x-amz-security-token", creds.sessionToken);

  // Signed: host and the x-amz-* headers. Others (user agents, SDK telemetry) may be changed by
  // fetch or a proxy on the way and need no integrity protection.
  const signed: [string, string][] = [["host", req.url.host]];
  for (const [name, value] of req.headers) if (name.startsWith("x-amz-")) signed.push([name, value.trim().replace(/\s+/g, " ")]);
  signed.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const signedHeaders = signed.map(([name]) => name).join(";");
  const canonical = [
    req.method.toUpperCase(),
    canonicalPath(req.url.pathname),
    canonicalQuery(req.url),
    signed.map(([name, value]) => `${name}:${value}\n`).join(""),
    signedHeaders,
    sha256Hex(req.body ?? ""),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${datetime}\n${scope}\n${sha256Hex(canonical)}`;
  const signature = new Bun.CryptoHasher("sha256", signingKey(cache, creds.secretAccessKey, date, region, service)).update(toSign).digest("hex");
  req.headers.set("authorization", `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`);
}
