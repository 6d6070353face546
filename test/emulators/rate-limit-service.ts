/**
 * A rate limit service for tests: a real gRPC server (@grpc/grpc-js) serving Envoy's
 * `envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit`, its messages coded by protobufjs
 * from the definitions below (field numbers as in envoyproxy/envoy
 * `api/envoy/service/ratelimit/v3/rls.proto` and `extensions/common/ratelimit/v3/ratelimit.proto`,
 * mirrored in agentgateway `crates/protos/proto/rls.proto`). It counts hits per descriptor the way
 * envoyproxy/ratelimit does (a descriptor's `hits_addend` when present, else the request's, else
 * 1) against a limit per first entry key, and records every request.
 */
import { Server, ServerCredentials, status as grpcStatus } from "@grpc/grpc-js";
import protobuf from "protobufjs";

const PROTO = `
syntax = "proto3";
package envoy.service.ratelimit.v3;
message UInt64Value { uint64 value = 1; }
message Duration { int64 seconds = 1; int32 nanos = 2; }
message Entry { string key = 1; string value = 2; }
message RateLimitOverride { uint32 requests_per_unit = 1; int32 unit = 2; }
message RateLimitDescriptor { repeated Entry entries = 1; RateLimitOverride limit = 2; UInt64Value hits_addend = 3; }
message RateLimitRequest { string domain = 1; repeated RateLimitDescriptor descriptors = 2; uint32 hits_addend = 3; }
message RateLimit { string name = 3; uint32 requests_per_unit = 1; int32 unit = 2; }
message DescriptorStatus { int32 code = 1; RateLimit current_limit = 2; uint32 limit_remaining = 3; Duration duration_until_reset = 4; }
message HeaderValue { string key = 1; string value = 2; bytes raw_value = 3; }
message RateLimitResponse {
  int32 overall_code = 1; repeated DescriptorStatus statuses = 2; repeated HeaderValue response_headers_to_add = 3;
  repeated HeaderValue request_headers_to_add = 4; bytes raw_body = 5;
}
`;

const root = protobuf.parse(PROTO).root;
const Request = root.lookupType("envoy.service.ratelimit.v3.RateLimitRequest");
const Response = root.lookupType("envoy.service.ratelimit.v3.RateLimitResponse");

export interface SeenDescriptor {
  entries: { key: string; value: string }[];
  limit?: { requestsPerUnit?: number; unit?: number };
  hitsAddend?: { value?: number };
}
export interface SeenRequest {
  domain: string;
  descriptors?: SeenDescriptor[];
}

export interface RateLimitService {
  readonly host: string;
  readonly seen: SeenRequest[];
  /** limit per first entry key (absent: unlimited); counts are per descriptor value */
  limits: Record<string, number>;
  /** added to every answer */
  extra: { responseHeadersToAdd?: { key: string; value: string }[]; requestHeadersToAdd?: { key: string; value: string }[]; rawBody?: Uint8Array };
  down: boolean;
  stop(): void;
}

export async function startRateLimitService(limits: Record<string, number>): Promise<RateLimitService> {
  const counts = new Map<string, number>();
  const server = new Server();
  const svc: RateLimitService = { host: "", seen: [], limits, extra: {}, down: false, stop: () => server.forceShutdown() };
  const raw = { requestSerialize: (v: Buffer) => v, requestDeserialize: (b: Buffer) => b, responseSerialize: (v: Buffer) => v, responseDeserialize: (b: Buffer) => b };
  server.addService(
    { ShouldRateLimit: { path: "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit", requestStream: false, responseStream: false, ...raw } },
    {
      ShouldRateLimit: (call: { request: Buffer }, callback: (err: { code: number; details: string } | null, value?: Buffer) => void) => {
        if (svc.down) return callback({ code: grpcStatus.UNAVAILABLE, details: "ratelimit down" });
        const req = Request.toObject(Request.decode(call.request), { longs: Number, defaults: false }) as SeenRequest & { hitsAddend?: number };
        svc.seen.push(req);
        let over = false;
        const statuses = (req.descriptors ?? []).map((d) => {
          const limit = svc.limits[d.entries[0]!.key];
          if (limit === undefined) return { code: 1 };
          const key = `${req.domain}|${d.entries.map((e) => `${e.key}=${e.value}`).join(",")}`;
          const hits = d.hitsAddend !== undefined ? (d.hitsAddend.value ?? 0) : req.hitsAddend || 1;
          const count = (counts.get(key) ?? 0) + hits;
          counts.set(key, count);
          const code = count > limit ? 2 : 1;
          if (code === 2) over = true;
          return { code, currentLimit: { requestsPerUnit: limit, unit: 2 }, limitRemaining: Math.max(0, limit - count), durationUntilReset: { seconds: 42 } };
        });
        const answer = { overallCode: over ? 2 : 1, statuses, ...svc.extra };
        callback(null, Buffer.from(Response.encode(Response.fromObject(answer)).finish()));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return Object.assign(svc, { host: `127.0.0.1:${port}` });
}
