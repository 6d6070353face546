/**
 * An OpenAI-emulating upstream for tests, on the shared scripted-upstream API (scripted.ts): the
 * bench emulator's answers by default, every request recorded (path, headers, body), and per-test
 * scripts or queued Responses for errors and faults. A raw TCP variant sends exact bytes and cuts
 * the connection wherever a test says.
 */
import type { Socket } from "bun";
import { openaiUpstream, type UpstreamOptions } from "../../bench/upstream.ts";
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream, type ScriptFn } from "./scripted.ts";

export type { RecordedRequest };

/** A reply is the exact Response to send; a script that never settles leaves the request hanging. */
export type Script = ScriptFn<Response>;

export type OpenAIEmulator = ScriptedUpstream<Response>;

export function startOpenAIEmulator(opts: Partial<UpstreamOptions> = {}): OpenAIEmulator {
  const fallback = openaiUpstream({ chunks: opts.chunks ?? 8, delayMs: opts.delayMs ?? 0 });
  return startScriptedUpstream<Response>({
    name: "openai",
    defaultReply: (rec) => fallback(new Request(`http://openai${rec.path}${rec.query}`, { method: rec.method, headers: rec.headers, body: rec.body || undefined })),
    answer: async (_rec, reply) => (await reply())!,
  });
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
