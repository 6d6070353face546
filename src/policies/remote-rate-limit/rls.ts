/**
 * Envoy's rate limit service protocol (`envoy.service.ratelimit.v3.RateLimitService/
 * ShouldRateLimit`, spoken by envoyproxy/ratelimit, Limitador and others): the request and the
 * answer as the gateway uses them. Field numbers from `envoy/service/ratelimit/v3/rls.proto`
 * (mirrored in agentgateway `crates/protos/proto/rls.proto`).
 */
import { decode, message, messageField, numberOf, stringField, stringOf, subMessage, subMessages, varintField, type Decoded } from "../../grpc/protobuf.ts";
import { unaryCall } from "../../grpc/unary.ts";
import { isHeaderName } from "../../http/headers.ts";

const SHOULD_RATE_LIMIT = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";

/** RateLimitUnit */
export const UNITS: Readonly<Record<string, number>> = { second: 1, minute: 2, hour: 3, day: 4, month: 5, year: 6 };

export interface RlsDescriptor {
  entries: readonly (readonly [string, string])[];
  /** hits this request adds; undefined: the service's default (1) */
  hits: number | undefined;
  override?: { requestsPerUnit: number; unit: number } | undefined;
}

export interface RlsAnswer {
  /** over the limit (any overall code but OK) */
  over: boolean;
  /** the most constrained descriptor's limit, remaining and seconds to its reset (Envoy's x-ratelimit-* headers) */
  status: { limit: number; remaining: number; resetSeconds: number } | undefined;
  responseHeaders: [string, string][];
  requestHeaders: [string, string][];
  body: string;
}

/**
 * RateLimitRequest { domain = 1, descriptors = 2: RateLimitDescriptor { entries = 1: {key = 1,
 * value = 2}, limit = 2: {requests_per_unit = 1, unit = 2}, hits_addend = 3: UInt64Value } }.
 */
export function rateLimitRequest(domain: string, descriptors: readonly RlsDescriptor[]): Uint8Array {
  return message([
    stringField(1, domain),
    ...descriptors.map((d) =>
      messageField(2, [
        ...d.entries.map(([k, v]) => messageField(1, [stringField(1, k), stringField(2, v)])),
        d.override ? messageField(2, [varintField(1, d.override.requestsPerUnit), varintField(2, d.override.unit)]) : undefined,
        // a present hits_addend of 0 asks without counting (a token limit checked before the answer)
        d.hits === undefined ? undefined : messageField(3, [varintField(1, d.hits)]),
      ]),
    ),
  ]);
}

const OK = 1;

/**
 * RateLimitResponse { overall_code = 1, statuses = 2: DescriptorStatus { code = 1, current_limit
 * = 2: {requests_per_unit = 1, unit = 2}, limit_remaining = 3, duration_until_reset = 4:
 * Duration {seconds = 1} }, response_headers_to_add = 3, request_headers_to_add = 4: HeaderValue
 * {key = 1, value = 2, raw_value = 3}, raw_body = 5 }.
 */
export function readRateLimitResponse(bytes: Uint8Array): RlsAnswer {
  const m = decode(bytes);
  let status: RlsAnswer["status"];
  for (const s of subMessages(m, 2)) {
    const limit = subMessage(s, 2);
    if (!limit) continue;
    const remaining = numberOf(s, 3);
    if (status && remaining >= status.remaining) continue;
    status = { limit: numberOf(limit, 1), remaining, resetSeconds: numberOf(subMessage(s, 4) ?? new Map(), 1) };
  }
  return { over: numberOf(m, 1) !== OK, status, responseHeaders: headerValues(m, 3), requestHeaders: headerValues(m, 4), body: stringOf(m, 5) };
}

function headerValues(m: Decoded, field: number): [string, string][] {
  return subMessages(m, field).flatMap((h) => {
    const name = stringOf(h, 1).toLowerCase();
    if (!isHeaderName(name)) return [];
    return [[name, h.has(3) ? stringOf(h, 3) : stringOf(h, 2)] as [string, string]];
  });
}

export async function shouldRateLimit(origin: string, domain: string, descriptors: readonly RlsDescriptor[], timeoutMs: number): Promise<RlsAnswer> {
  return readRateLimitResponse(await unaryCall(origin, SHOULD_RATE_LIMIT, rateLimitRequest(domain, descriptors), timeoutMs));
}
