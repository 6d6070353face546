/**
 * External authorization services for tests: a real gRPC server (@grpc/grpc-js) serving Envoy's
 * `envoy.service.auth.v3.Authorization/Check`, its messages coded by protobufjs from the Envoy
 * definitions below (field numbers as in envoyproxy/envoy `api/envoy/service/auth/v3/
 * external_auth.proto`, `attribute_context.proto` and `config/core/v3/base.proto`, mirrored in
 * agentgateway `crates/protos/proto/ext_authz.proto`), so the gateway's own protobuf coding is
 * checked against an independent implementation; and a plain HTTP authorization server.
 * Each records what it was asked and answers with the test's `decide`.
 */
import { Server, ServerCredentials, status as grpcStatus } from "@grpc/grpc-js";
import protobuf from "protobufjs";

const PROTO = `
syntax = "proto3";
package envoy.service.auth.v3;
message CheckRequest { AttributeContext attributes = 1; }
message AttributeContext {
  message Peer { Address address = 1; string principal = 4; }
  message Request { Timestamp time = 1; HttpRequest http = 2; }
  message HttpRequest {
    string id = 1; string method = 2; map<string, string> headers = 3; string path = 4; string host = 5;
    string scheme = 6; string query = 7; string fragment = 8; int64 size = 9; string protocol = 10;
    string body = 11; bytes raw_body = 12;
  }
  Peer source = 1; Peer destination = 2; Request request = 4; map<string, string> context_extensions = 10;
  Metadata metadata_context = 11;
}
message Metadata { map<string, Struct> filter_metadata = 1; }
message Struct { map<string, Value> fields = 1; }
message Value { oneof kind { int32 null_value = 1; double number_value = 2; string string_value = 3; bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6; } }
message ListValue { repeated Value values = 1; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message Address { SocketAddress socket_address = 1; }
message SocketAddress { int32 protocol = 1; string address = 2; uint32 port_value = 3; }
message Status { int32 code = 1; string message = 2; }
message HttpStatus { int32 code = 1; }
message HeaderValue { string key = 1; string value = 2; bytes raw_value = 3; }
message BoolValue { bool value = 1; }
message HeaderValueOption { HeaderValue header = 1; BoolValue append = 2; int32 append_action = 3; }
message DeniedHttpResponse { HttpStatus status = 1; repeated HeaderValueOption headers = 2; string body = 3; }
message OkHttpResponse { repeated HeaderValueOption headers = 2; repeated string headers_to_remove = 5; repeated HeaderValueOption response_headers_to_add = 6; }
message CheckResponse { Status status = 1; DeniedHttpResponse denied_response = 2; OkHttpResponse ok_response = 3; }
`;

const root = protobuf.parse(PROTO).root;
const CheckRequest = root.lookupType("envoy.service.auth.v3.CheckRequest");
const CheckResponse = root.lookupType("envoy.service.auth.v3.CheckResponse");

/** A CheckRequest as protobufjs decodes it (camelCase fields). */
export interface CheckRequestSeen {
  attributes?: {
    source?: { address?: { socketAddress?: { address?: string; portValue?: number } } };
    request?: { time?: { seconds?: unknown }; http?: { id?: string; method?: string; headers?: Record<string, string>; path?: string; host?: string; scheme?: string; size?: unknown; protocol?: string; body?: string; rawBody?: Uint8Array } };
    contextExtensions?: Record<string, string>;
    metadataContext?: { filterMetadata?: Record<string, { fields?: Record<string, StructValue> }> };
  };
}

/** google.protobuf.Value as protobufjs decodes it. */
export interface StructValue {
  nullValue?: number;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: { fields?: Record<string, StructValue> };
  listValue?: { values?: StructValue[] };
}

/** A CheckResponse in protobufjs' object form. */
export type CheckResponseGiven = Record<string, unknown>;

export interface GrpcAuthz {
  /** host:port */
  readonly host: string;
  readonly seen: CheckRequestSeen[];
  decide: (req: CheckRequestSeen) => CheckResponseGiven | "unavailable" | Promise<CheckResponseGiven | "unavailable">;
  stop(): void;
}

export async function startGrpcAuthz(decide: GrpcAuthz["decide"]): Promise<GrpcAuthz> {
  const server = new Server();
  const authz: GrpcAuthz = { host: "", seen: [], decide, stop: () => server.forceShutdown() };
  server.addService(
    {
      Check: {
        path: "/envoy.service.auth.v3.Authorization/Check",
        requestStream: false,
        responseStream: false,
        requestSerialize: (v: Buffer) => v,
        requestDeserialize: (b: Buffer) => b,
        responseSerialize: (v: Buffer) => v,
        responseDeserialize: (b: Buffer) => b,
      },
    },
    {
      Check: (call: { request: Buffer }, callback: (err: { code: number; details: string } | null, value?: Buffer) => void) => {
        const seen = CheckRequest.toObject(CheckRequest.decode(call.request), { longs: Number, defaults: false }) as CheckRequestSeen;
        authz.seen.push(seen);
        void Promise.resolve(authz.decide(seen)).then((answer) => {
          if (answer === "unavailable") return callback({ code: grpcStatus.UNAVAILABLE, details: "authz down" });
          callback(null, Buffer.from(CheckResponse.encode(CheckResponse.fromObject(answer)).finish()));
        });
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return Object.assign(authz, { host: `127.0.0.1:${port}` });
}

export interface HttpAuthz {
  readonly host: string;
  readonly seen: { method: string; path: string; headers: Headers; body: string }[];
  decide: (req: Request) => Response | Promise<Response>;
  stop(): void;
}

export function startHttpAuthz(decide: HttpAuthz["decide"]): HttpAuthz {
  const authz: HttpAuthz = { host: "", seen: [], decide, stop: () => server.stop(true) };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      authz.seen.push({ method: req.method, path: url.pathname + url.search, headers: req.headers, body: await req.clone().text() });
      return authz.decide(req);
    },
  });
  return Object.assign(authz, { host: `127.0.0.1:${server.port}` });
}
