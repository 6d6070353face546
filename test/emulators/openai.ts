/**
 * An OpenAI-emulating upstream for tests, on the shared scripted-upstream API (scripted.ts): the
 * bench emulator's answers by default, every request recorded (path, headers, body), and per-test
 * scripts or queued Responses for errors and faults. A raw TCP variant sends exact bytes and cuts
 * the connection wherever a test says.
 *
 * Like OpenAI, `POST /v1/responses` refuses a reasoning item whose `encrypted_content` it did not
 * issue (OpenAI encrypts it with its own key; anything else fails to decrypt): 400
 * `invalid_encrypted_content`. A test that scripts an answer with encrypted reasoning gets the
 * value from `issueEncryptedContent()`, as OpenAI would have issued it.
 */
import type { Socket } from "bun";
import { openaiUpstream, type UpstreamOptions } from "../../bench/upstream.ts";
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream, type ScriptFn } from "./scripted.ts";

export type { RecordedRequest };

/** A reply is the exact Response to send; a script that never settles leaves the request hanging. */
export type Script = ScriptFn<Response>;

export interface OpenAIEmulator extends ScriptedUpstream<Response> {
  /** an `encrypted_content` value as OpenAI issues it (Fernet-like), accepted back on later requests */
  issueEncryptedContent(): string;
}

export function startOpenAIEmulator(opts: Partial<UpstreamOptions> = {}): OpenAIEmulator {
  const fallback = openaiUpstream({ chunks: opts.chunks ?? 8, delayMs: opts.delayMs ?? 0 });
  const issued = new Set<string>();
  const upstream = startScriptedUpstream<Response>({
    name: "openai",
    defaultReply: (rec) => fallback(new Request(`http://openai${rec.path}${rec.query}`, { method: rec.method, headers: rec.headers, body: rec.body || undefined })),
    answer: async (rec, reply) => {
      const foreign = rec.method === "POST" && rec.path.endsWith("/responses") ? unverifiable(rec.json, issued) : undefined;
      if (foreign !== undefined) {
        const message = `The encrypted content ${foreign.slice(0, 4)}...${foreign.slice(-4)} could not be verified. Reason: Encrypted content could not be decrypted or parsed.`;
        return Response.json({ error: { message, type: "invalid_request_error", param: null, code: "invalid_encrypted_content" } }, { status: 400 });
      }
      return (await reply())!;
    },
  });
  const issueEncryptedContent = () => {
    const value = `gAAAAA${Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64")}`;
    issued.add(value);
    return value;
  };
  return Object.assign(upstream, { issueEncryptedContent });
}

/** The first reasoning item's `encrypted_content` in the input that this OpenAI did not issue. */
function unverifiable(body: { input?: unknown } | undefined, issued: ReadonlySet<string>): string | undefined {
  if (!Array.isArray(body?.input)) return undefined;
  for (const item of body.input as { type?: unknown; encrypted_content?: unknown }[]) {
    if (item?.type === "reasoning" && typeof item.encrypted_content === "string" && !issued.has(item.encrypted_content)) return item.encrypted_content;
  }
  return undefined;
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
