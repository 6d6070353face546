/**
 * Time to the first token of an answer, the latency streaming users feel: one client, requests
 * one at a time over a raw socket (no HTTP library between), the clock started when the request
 * is written and stopped at the read that brings the first piece of answer text (a role chunk or
 * a `message_start` is not an answer). Two targets are measured in alternating blocks, so
 * machine drift hits both; the result is the median over blocks of the difference of block medians.
 */
import type { Socket } from "bun";
import type { Scenario } from "./scenario.ts";

export interface FirstChunkResult {
  /** median first-byte time of each target, µs */
  p50Us: [number, number];
  /** median over blocks of (second target's block median - first target's), µs */
  deltaUs: number;
  requests: number;
}

interface Target {
  port: number;
  path: string;
  body: string;
  headers: Record<string, string>;
  /** where the answer's first token is: the clock stops at the read that completes a match */
  firstToken: RegExp;
}

/** The target of `req` on the server at `base` (a URL), its first token found by `firstToken`. */
export function firstTokenTarget(base: string, req: Scenario["gatewayRequest"], firstToken: RegExp): Target {
  return { port: Number(new URL(base).port), path: req.path, body: req.body, headers: req.headers ?? {}, firstToken };
}

/** One request; resolves with µs from write to the first token of the answer, once it is complete. */
function once(t: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    let t0 = 0;
    let first = -1;
    let head = "";
    const body = new TextEncoder().encode(t.body);
    const headerLines = Object.entries({ ...t.headers, "content-length": String(body.byteLength), connection: "close", host: "127.0.0.1" }).map(([k, v]) => `${k}: ${v}`);
    const request = `POST ${t.path} HTTP/1.1\r\n${headerLines.join("\r\n")}\r\n\r\n${t.body}`;
    Bun.connect({
      hostname: "127.0.0.1",
      port: t.port,
      socket: {
        open(s: Socket) {
          t0 = performance.now();
          s.write(request);
        },
        data(_s, chunk) {
          if (first >= 0) return;
          // latin1 keeps binary frames (AWS event streams) searchable byte for byte
          head += new TextDecoder("latin1").decode(chunk);
          const end = head.indexOf("\r\n\r\n");
          if (end !== -1 && t.firstToken.test(head.slice(end + 4))) first = performance.now() - t0;
        },
        close() {
          if (first < 0) reject(new Error("no body byte before the connection closed"));
          else resolve(first * 1000);
        },
        error(_s, err) {
          reject(err);
        },
      },
    }).catch(reject);
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** `blocks` alternating blocks of `perBlock` requests to `a` then `b` (order flipped every block). */
export async function measureFirstChunk(a: Target, b: Target, opts: { blocks?: number; perBlock?: number; warmup?: number } = {}): Promise<FirstChunkResult> {
  const blocks = opts.blocks ?? 8;
  const perBlock = opts.perBlock ?? 25;
  for (let i = 0; i < (opts.warmup ?? 30); i++) {
    await once(a);
    await once(b);
  }
  const all: [number[], number[]] = [[], []];
  const deltas: number[] = [];
  for (let k = 0; k < blocks; k++) {
    const order: (0 | 1)[] = k % 2 === 0 ? [0, 1] : [1, 0];
    const block: [number[], number[]] = [[], []];
    for (const which of order) {
      for (let i = 0; i < perBlock; i++) block[which].push(await once(which === 0 ? a : b));
    }
    all[0].push(...block[0]);
    all[1].push(...block[1]);
    deltas.push(median(block[1]) - median(block[0]));
  }
  return { p50Us: [median(all[0]), median(all[1])], deltaUs: median(deltas), requests: blocks * perBlock * 2 };
}
