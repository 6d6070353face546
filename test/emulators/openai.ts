/**
 * An OpenAI-emulating upstream for tests: the bench emulator's answers by default, every request
 * recorded (path, headers, body), and per-test scripts for errors and faults. A raw TCP variant
 * sends exact bytes and cuts the connection wherever a test says.
 */
import type { Socket } from "bun";
import { openaiUpstream, type UpstreamOptions } from "../../bench/upstream.ts";
import { receive, type ReceivedRequest } from "./record.ts";

export type RecordedRequest = ReceivedRequest & {
  /** set once the client (the gateway) dropped the connection before the answer was complete */
  aborted: boolean;
};

export type Script = (req: RecordedRequest) => Response | Promise<Response> | undefined;

export interface OpenAIEmulator {
  origin: string;
  /** host:port, for `hostOverride` */
  host: string;
  requests: RecordedRequest[];
  /** answers with `script` while it returns a Response; falls back to the default emulator */
  script(fn: Script | undefined): void;
  /** requests whose connection the client (the gateway) dropped before the answer was complete */
  readonly aborted: number;
  /**
   * Resolves as soon as `condition` holds (checked now, on every request received and on every
   * abort); rejects after `timeoutMs` with `what()` as the message, so a test names what never happened.
   */
  until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void>;
  stop(): void;
}

export function startOpenAIEmulator(opts: Partial<UpstreamOptions> = {}): OpenAIEmulator {
  const fallback = openaiUpstream({ chunks: opts.chunks ?? 8, delayMs: opts.delayMs ?? 0 });
  const requests: RecordedRequest[] = [];
  let current: Script | undefined;
  let aborted = 0;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const check of waiters) check();
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const rec: RecordedRequest = Object.assign(await receive(req), { aborted: false });
      requests.push(rec);
      req.signal.addEventListener("abort", () => {
        aborted++;
        rec.aborted = true;
        changed();
      });
      changed();
      const scripted = await current?.(rec);
      if (scripted) return scripted;
      return fallback(new Request(req.url, { method: req.method, headers: req.headers, body: rec.body || undefined }));
    },
  });
  return {
    origin: `http://127.0.0.1:${server.port}`,
    host: `127.0.0.1:${server.port}`,
    requests,
    script: (fn) => {
      current = fn;
    },
    get aborted() {
      return aborted;
    },
    until: (condition, timeoutMs, what) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!condition()) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`after ${timeoutMs} ms: ${what()}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: () => void server.stop(true),
  };
}

/** A server that answers every connection with `bytes`, cut off after `cutAt` bytes (reset). */
export function startRawUpstream(answer: () => { bytes: Uint8Array; cutAt?: number; stall?: boolean }): { host: string; stop(): void; readonly connections: number } {
  let connections = 0;
  const server = Bun.listen<{ sent: boolean }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { sent: false };
        connections++;
      },
      data(socket: Socket<{ sent: boolean }>) {
        if (socket.data.sent) return;
        socket.data.sent = true;
        const { bytes, cutAt, stall } = answer();
        const n = cutAt ?? bytes.byteLength;
        socket.write(bytes.subarray(0, n));
        if (stall) return; // keep the connection open, send nothing more
        if (cutAt !== undefined) socket.terminate();
        else socket.end();
      },
    },
  });
  return {
    host: `127.0.0.1:${server.port}`,
    stop: () => server.stop(true),
    get connections() {
      return connections;
    },
  };
}

/** An HTTP/1.1 response head + body as raw bytes (chunked when `chunked`). */
export function rawHttpResponse(status: number, headers: Record<string, string>, body: string, chunked = false): Uint8Array {
  const head = [`HTTP/1.1 ${status} X`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  const bodyBytes = new TextEncoder().encode(body);
  if (chunked) {
    head.push("transfer-encoding: chunked");
    const text = `${head.join("\r\n")}\r\n\r\n${bodyBytes.byteLength.toString(16)}\r\n`;
    const pre = new TextEncoder().encode(text);
    const post = new TextEncoder().encode("\r\n0\r\n\r\n");
    const out = new Uint8Array(pre.byteLength + bodyBytes.byteLength + post.byteLength);
    out.set(pre, 0);
    out.set(bodyBytes, pre.byteLength);
    out.set(post, pre.byteLength + bodyBytes.byteLength);
    return out;
  }
  head.push(`content-length: ${bodyBytes.byteLength}`);
  const pre = new TextEncoder().encode(`${head.join("\r\n")}\r\n\r\n`);
  const out = new Uint8Array(pre.byteLength + bodyBytes.byteLength);
  out.set(pre, 0);
  out.set(bodyBytes, pre.byteLength);
  return out;
}
