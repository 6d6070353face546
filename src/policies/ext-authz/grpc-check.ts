/**
 * The gRPC protocol: Envoy's `envoy.service.auth.v3.Authorization/Check` (what OPA-Envoy,
 * Authorino and most ext_authz servers speak), as agentgateway fills it: the client's address,
 * the request (id, method, headers, path, host, scheme, protocol, size and, when configured, the
 * body as text or bytes) and the static `context_extensions`. The answer: status code 0 allows
 * (with the ok response's header edits), anything else denies (with the denied response's status,
 * headers and body, 403 when it has none). The call goes through @grpc/grpc-js (already the OTLP
 * exporter's transport, src/grpc/) with raw bytes on both sides.
 */
import { celVars, evalJson, type CelExpression } from "../../cel/index.ts";
import { jwtOf } from "../identity.ts";
import { requestOrigin } from "../url-parts.ts";
import { bytesField, decode, message, messageField, numberOf, stringField, stringMapField, stringOf, stringsOf, structFields, subMessage, subMessages, varintField, type Decoded } from "../../grpc/protobuf.ts";
import { grpcFailure, unaryCall } from "../../grpc/unary.ts";
import { isHeaderName } from "../../http/headers.ts";
import type { CheckInput, HeaderEdit, Verdict } from "./verdict.ts";

const CHECK = "/envoy.service.auth.v3.Authorization/Check";

export interface GrpcCheckOptions {
  origin: string;
  context: Readonly<Record<string, string>>;
  /** `metadata`: CEL per `filter_metadata` key; undefined: the verified JWT claims, as agentgateway */
  metadata: readonly (readonly [string, CelExpression])[] | undefined;
  packAsBytes: boolean;
  timeoutMs: number;
}

export function grpcChecker(o: GrpcCheckOptions): (input: CheckInput) => Promise<Verdict> {
  return async (input) => {
    let answer: Uint8Array;
    try {
      answer = await unaryCall(o.origin, CHECK, checkRequest(input, o), o.timeoutMs);
    } catch (err) {
      return { kind: "failed", reason: `authorization service call failed: ${grpcFailure(err)}` };
    }
    try {
      return readCheckResponse(decode(answer));
    } catch {
      return { kind: "failed", reason: "authorization service answered a malformed CheckResponse" };
    }
  };
}

/** CheckRequest { attributes = 1: AttributeContext { source = 1, request = 4, context_extensions = 10, metadata_context = 11 } }. */
export function checkRequest(input: CheckInput, o: Pick<GrpcCheckOptions, "context" | "packAsBytes" | "metadata">): Uint8Array {
  const { ctx } = input;
  const source = ctx.source();
  const { scheme, authority } = requestOrigin(ctx.req);
  const now = Date.now();
  const http = [
    stringField(1, ctx.req.headers.get("traceparent") ?? crypto.randomUUID()),
    stringField(2, ctx.method),
    ...stringMapField(3, input.headers),
    stringField(4, ctx.query ? `${ctx.path}?${ctx.query}` : ctx.path),
    stringField(5, authority),
    stringField(6, scheme),
    varintField(9, input.size),
    stringField(10, "HTTP/1.1"),
    ...(input.body.byteLength > 0 ? [o.packAsBytes ? bytesField(12, input.body) : stringField(11, new TextDecoder().decode(input.body))] : []),
  ];
  const time = [varintField(1, Math.floor(now / 1000)), varintField(2, (now % 1000) * 1_000_000)];
  const attributes = [
    // Peer { address = 1: Address { socket_address = 1: SocketAddress { address = 2, port_value = 3 } } }
    source ? messageField(1, [messageField(1, [messageField(1, [stringField(2, source.address), varintField(3, source.port)])])]) : undefined,
    messageField(4, [messageField(1, time), messageField(2, http)]),
    ...stringMapField(10, Object.entries(o.context)),
    messageField(11, filterMetadata(input, o.metadata)),
  ];
  return message([messageField(1, attributes)]);
}

/**
 * Metadata { filter_metadata = 1: map<string, Struct> }: each `metadata` expression's value (an
 * entry whose expression fails or is not a map is left out, as agentgateway does); without
 * `metadata`, the verified JWT claims under `envoy.filters.http.jwt_authn` as `jwt_payload`.
 */
function filterMetadata(input: CheckInput, metadata: GrpcCheckOptions["metadata"]): Uint8Array[] {
  const entry = (key: string, value: object) => messageField(1, [stringField(1, key), messageField(2, structFields(value))]);
  if (metadata === undefined) {
    const jwt = jwtOf(input.ctx);
    return jwt ? [entry("envoy.filters.http.jwt_authn", { jwt_payload: jwt.claims })] : [];
  }
  const vars = celVars(input.ctx);
  return metadata.flatMap(([key, expr]) => {
    const value = evalJson(expr, vars);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? [entry(key, value)] : [];
  });
}

/** CheckResponse { status = 1: {code = 1}, denied_response = 2, ok_response = 3 }. */
function readCheckResponse(m: Decoded): Verdict {
  const code = numberOf(subMessage(m, 1) ?? new Map(), 1);
  if (code !== 0) {
    // DeniedHttpResponse { status = 1: HttpStatus {code = 1}, headers = 2, body = 3 }
    const denied = subMessage(m, 2);
    const status = denied ? numberOf(subMessage(denied, 1) ?? new Map(), 1) : 0;
    return {
      kind: "deny",
      status: status || 403,
      body: denied ? stringOf(denied, 3) : "",
      headers: denied ? headerOptions(denied, 2).map((e) => [e.name, e.value] as const) : [],
    };
  }
  // OkHttpResponse { headers = 2, headers_to_remove = 5, response_headers_to_add = 6 }
  const ok = subMessage(m, 3);
  if (!ok) return { kind: "allow", upstream: [], remove: [], answer: [] };
  return { kind: "allow", upstream: headerOptions(ok, 2), remove: stringsOf(ok, 5), answer: headerOptions(ok, 6).map((e) => [e.name, e.value] as const) };
}

const ACTIONS: readonly HeaderEdit["action"][] = ["append", "addIfAbsent", "set", "setIfExists"];

/**
 * HeaderValueOption { header = 1: HeaderValue {key = 1, value = 2, raw_value = 3}, append = 2:
 * BoolValue, append_action = 3 }. In ext_authz answers `append` defaults to false (Envoy's
 * documentation of OkHttpResponse.headers): a header with neither field replaces the request's.
 */
function headerOptions(m: Decoded, field: number): HeaderEdit[] {
  const out: HeaderEdit[] = [];
  for (const option of subMessages(m, field)) {
    const header = subMessage(option, 1);
    if (!header) continue;
    const name = stringOf(header, 1).toLowerCase();
    if (!isHeaderName(name)) continue;
    const value = header.has(3) ? stringOf(header, 3) : stringOf(header, 2);
    const append = subMessage(option, 2);
    const actionCode = numberOf(option, 3);
    const action = append ? (numberOf(append, 1) === 1 ? "append" : "set") : actionCode === 0 ? "set" : (ACTIONS[actionCode] ?? "set");
    out.push({ name, value, action });
  }
  return out;
}
