/**
 * W3C Trace Context (`traceparent`): parsing the client's, choosing whether to trace, and the
 * header the provider receives. agentgateway's rules (`trc.rs`): four dash-separated hex fields of
 * 2/32/16/2 digits, version `ff` and all-zero ids refused (an invalid header counts as absent);
 * `tracestate` and baggage are not used.
 */

/** The trace an exchange belongs to: its own (server) span and, when continued, the client's. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  /** the client's span, when the request carried a valid `traceparent` */
  parentSpanId?: string;
  /** trace flags (bit 0: sampled) */
  flags: number;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(header: string | null): { traceId: string; spanId: string; flags: number } | undefined {
  if (header === null) return undefined;
  const m = TRACEPARENT.exec(header.trim().toLowerCase());
  if (!m || m[1] === "ff" || /^0+$/.test(m[2]!) || /^0+$/.test(m[3]!)) return undefined;
  return { traceId: m[2]!, spanId: m[3]!, flags: Number.parseInt(m[4]!, 16) };
}

export function formatTraceparent(t: TraceContext): string {
  return `00-${t.traceId}-${t.spanId}-${FLAGS[t.flags & 0xff]}`;
}

/** the trace flags' two hex digits, by value (a conversion and a pad on every traced call otherwise) */
const FLAGS = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** `bytes` random bytes as lower-case hex, never all zero (random bytes drawn in blocks; one native hex conversion, a flat string). */
export function randomHex(bytes: number): string {
  for (;;) {
    if (poolAt + bytes > pool.length) {
      crypto.getRandomValues(pool);
      poolAt = 0;
    }
    const from = poolAt;
    poolAt += bytes;
    for (let i = from; i < poolAt; i++) if (pool[i] !== 0) return pool.toString("hex", from, poolAt);
  }
}

/**
 * Whether to trace an exchange and under which ids. A client's valid `traceparent` is continued
 * when `clientSampling` says so and the client sampled it (a new span id, the client's as
 * parent, its flags kept); otherwise `randomSampling` decides on a new trace.
 */
export function startTrace(header: string | null, sampling: { random: number; client: number }, random: () => number): TraceContext | undefined {
  const parent = parseTraceparent(header);
  if (parent) {
    if ((parent.flags & 1) === 0 || !chance(sampling.client, random)) return undefined;
    return { traceId: parent.traceId, spanId: randomHex(8), parentSpanId: parent.spanId, flags: parent.flags };
  }
  if (!chance(sampling.random, random)) return undefined;
  return { traceId: randomHex(16), spanId: randomHex(8), flags: 1 };
}

function chance(p: number, random: () => number): boolean {
  return p >= 1 || (p > 0 && random() < p);
}
