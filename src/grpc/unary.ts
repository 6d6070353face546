/**
 * Unary gRPC calls with raw protobuf bytes on both sides (the messages are coded in
 * protobuf.ts), through @grpc/grpc-js (the OTLP exporter's transport too, loaded on first use).
 * One channel per service origin for the process: a config reload compiles its policies again
 * but keeps talking over the same connection instead of leaving the old one open.
 */
import type { Client } from "@grpc/grpc-js";

const channels = new Map<string, Promise<Client>>();

function channel(origin: string): Promise<Client> {
  let c = channels.get(origin);
  if (!c) {
    c = import("@grpc/grpc-js").then((grpc) => {
      const url = new URL(origin);
      return new grpc.Client(url.host, url.protocol === "https:" ? grpc.credentials.createSsl() : grpc.credentials.createInsecure());
    });
    channels.set(origin, c);
  }
  return c;
}

/**
 * Calls `method` (`/package.Service/Method`) on the service at `origin` (http: h2c, https: TLS)
 * with `headers` as metadata; rejects on any gRPC error or the deadline.
 */
export async function unaryCall(origin: string, method: string, request: Uint8Array, timeoutMs: number, headers: Readonly<Record<string, string>> = {}): Promise<Uint8Array> {
  const [c, grpc] = await Promise.all([channel(origin), import("@grpc/grpc-js")]);
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  const raw = (b: Buffer) => b;
  return new Promise<Uint8Array>((resolve, reject) => {
    c.makeUnaryRequest(method, raw, raw, Buffer.from(request), metadata, { deadline: Date.now() + timeoutMs }, (err, value) => (err || !value ? reject(err ?? new Error("empty answer")) : resolve(value)));
  });
}

/** A gRPC failure as words for a log or an error message (never the request). */
export function grpcFailure(err: unknown): string {
  const e = err as { details?: string; message?: string } | undefined;
  return e?.details || e?.message || "unknown error";
}
