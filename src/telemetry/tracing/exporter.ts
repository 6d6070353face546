/**
 * OTLP transports for encoded export requests: HTTP (`POST <url>` with
 * `application/x-protobuf`, OTLP/HTTP) or gRPC (`TraceService/Export` unary call through
 * @grpc/grpc-js, loaded on first use), with the configured headers (gRPC metadata).
 */
import type { TracingSettings } from "../../config/model.ts";

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
  const target = url.replace(/^https?:\/\//, "");
  const tls = url.startsWith("https:");
  let client: Promise<(body: Uint8Array) => Promise<void>> | undefined;
  const connect = async () => {
    const grpc = await import("@grpc/grpc-js");
    const c = new grpc.Client(target, tls ? grpc.credentials.createSsl() : grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
    const raw = (b: Buffer) => b;
    return (body: Uint8Array) =>
      new Promise<void>((resolve, reject) => {
        c.makeUnaryRequest(EXPORT_PATH, raw, raw, Buffer.from(body), metadata.clone(), { deadline: Date.now() + TIMEOUT_MS }, (err) => (err ? reject(err) : resolve()));
      });
  };
  return async (body) => (await (client ??= connect()))(body);
}
