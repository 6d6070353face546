/**
 * OTLP transports for encoded export requests: HTTP (`POST <url>` with
 * `application/x-protobuf`, OTLP/HTTP) or gRPC (`TraceService/Export`, a unary call through
 * src/grpc/unary.ts), with the configured headers (gRPC metadata).
 */
import type { TracingSettings } from "../../config/model.ts";
import { unaryCall } from "../../grpc/unary.ts";

export type Transport = (body: Uint8Array) => Promise<void>;

const EXPORT_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const TIMEOUT_MS = 10_000;

export function otlpTransport(settings: TracingSettings): Transport {
  const headers = Object.fromEntries([...settings.headers].map(([k, v]) => [k, v.reveal()]));
  return settings.protocol === "http" ? httpTransport(settings.url, headers) : grpcTransport(settings.url, headers);
}

function httpTransport(url: string, headers: Record<string, string>): Transport {
  return async (body) => {
    const res = await fetch(url, { method: "POST", headers: { ...headers, "content-type": "application/x-protobuf" }, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`the collector answered HTTP ${res.status}`);
  };
}

function grpcTransport(url: string, headers: Record<string, string>): Transport {
  // the collector's origin: OTLP/gRPC endpoints are written with or without a scheme
  const origin = /^https?:\/\//.test(url) ? new URL(url).origin : `http://${url}`;
  return async (body) => void (await unaryCall(origin, EXPORT_PATH, body, TIMEOUT_MS, headers));
}
