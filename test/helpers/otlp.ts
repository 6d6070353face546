/**
 * A test OTLP trace receiver: HTTP (`POST /v1/traces`, protobuf bodies) and gRPC
 * (`TraceService/Export`), decoding each export with a protobuf reader written here from the
 * OTLP schema (opentelemetry-proto trace/v1), independent of the exporters' own encoder.
 */
import { Server, ServerCredentials, type ServiceDefinition } from "@grpc/grpc-js";

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, string | number | boolean>;
  /** every attribute key as sent, in order (a key sent twice shows here twice) */
  attributeKeys: string[];
  status: { code: number; message: string };
  resource: Record<string, string | number | boolean>;
  scope: string;
}

type Field = { wire: number; value: bigint | Uint8Array };

/** One message's fields by number (repeated fields keep every occurrence). */
function fields(buf: Uint8Array): Map<number, Field[]> {
  const out = new Map<number, Field[]>();
  let i = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
    }
  };
  while (i < buf.length) {
    const tag = Number(varint());
    const wire = tag & 7;
    let value: bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = new DataView(buf.buffer, buf.byteOffset + i, 8).getBigUint64(0, true);
      i += 8;
    } else if (wire === 2) {
      const n = Number(varint());
      value = buf.subarray(i, i + n);
      i += n;
    } else if (wire === 5) {
      value = BigInt(new DataView(buf.buffer, buf.byteOffset + i, 4).getUint32(0, true));
      i += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
    const list = out.get(tag >> 3) ?? [];
    list.push({ wire, value });
    out.set(tag >> 3, list);
  }
  return out;
}

const bytesOf = (m: Map<number, Field[]>, n: number) => (m.get(n)?.[0]?.value as Uint8Array | undefined) ?? new Uint8Array();
const all = (m: Map<number, Field[]>, n: number) => (m.get(n) ?? []).map((f) => f.value as Uint8Array);
const str = (m: Map<number, Field[]>, n: number) => new TextDecoder().decode(bytesOf(m, n));
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const int = (m: Map<number, Field[]>, n: number) => (m.get(n)?.[0]?.value as bigint | undefined) ?? 0n;

function anyValue(buf: Uint8Array): string | number | boolean {
  const m = fields(buf);
  if (m.has(1)) return str(m, 1);
  if (m.has(2)) return int(m, 2) === 1n;
  if (m.has(3)) return Number(BigInt.asIntN(64, int(m, 3)));
  if (m.has(4)) return new DataView(new BigUint64Array([int(m, 4)]).buffer).getFloat64(0, true);
  return `<unsupported ${[...m.keys()].join(",")}>`;
}

function keyValues(list: Uint8Array[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const kv of list) {
    const m = fields(kv);
    out[str(m, 1)] = anyValue(bytesOf(m, 2));
  }
  return out;
}

/** ExportTraceServiceRequest -> spans */
export function decodeExport(body: Uint8Array): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const rs of all(fields(body), 1)) {
    const rsm = fields(rs);
    const resource = keyValues(all(fields(bytesOf(rsm, 1)), 1));
    for (const ss of all(rsm, 2)) {
      const ssm = fields(ss);
      const scope = str(fields(bytesOf(ssm, 1)), 1);
      for (const sp of all(ssm, 2)) {
        const m = fields(sp);
        const status = fields(bytesOf(m, 15));
        spans.push({
          traceId: hex(bytesOf(m, 1)),
          spanId: hex(bytesOf(m, 2)),
          parentSpanId: hex(bytesOf(m, 4)),
          name: str(m, 5),
          kind: Number(int(m, 6)),
          startNs: int(m, 7),
          endNs: int(m, 8),
          attributes: keyValues(all(m, 9)),
          attributeKeys: all(m, 9).map((kv) => str(fields(kv), 1)),
          status: { code: Number(int(status, 3)), message: str(status, 2) },
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

export interface Receiver {
  endpoint: string;
  spans: ReceivedSpan[];
  /** request headers (HTTP) or metadata (gRPC) of every export */
  headers: Record<string, string>[];
  stop(): Promise<void>;
}

export function startHttpReceiver(): Receiver {
  const spans: ReceivedSpan[] = [];
  const headers: Record<string, string>[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      if (new URL(req.url).pathname !== "/v1/traces" || req.headers.get("content-type") !== "application/x-protobuf") return new Response("no", { status: 404 });
      headers.push(Object.fromEntries(req.headers));
      spans.push(...decodeExport(new Uint8Array(await req.arrayBuffer())));
      return new Response(new Uint8Array(), { headers: { "content-type": "application/x-protobuf" } });
    },
  });
  return { endpoint: `http://127.0.0.1:${server.port}`, spans, headers, stop: async () => void server.stop(true) };
}

export async function startGrpcReceiver(): Promise<Receiver> {
  const spans: ReceivedSpan[] = [];
  const headers: Record<string, string>[] = [];
  const raw = (b: Buffer) => b;
  const service: ServiceDefinition = {
    Export: {
      path: "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
      requestStream: false,
      responseStream: false,
      requestSerialize: raw,
      requestDeserialize: raw,
      responseSerialize: () => Buffer.alloc(0),
      responseDeserialize: raw,
    },
  };
  const server = new Server();
  server.addService(service, {
    Export: (call: { request: Buffer; metadata: { getMap(): Record<string, unknown> } }, done: (err: null, res: Buffer) => void) => {
      headers.push(Object.fromEntries(Object.entries(call.metadata.getMap()).map(([k, v]) => [k, String(v)])));
      spans.push(...decodeExport(new Uint8Array(call.request)));
      done(null, Buffer.alloc(0));
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { endpoint: `http://127.0.0.1:${port}`, spans, headers, stop: () => new Promise((r) => server.tryShutdown(() => r())) };
}
