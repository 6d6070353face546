/**
 * An OpenAI-emulating upstream for tests, on the shared scripted-upstream API (scripted.ts): the
 * bench emulator's answers by default, every request recorded (path, headers, body), and per-test
 * scripts or queued Responses for errors and faults. A raw TCP variant sends exact bytes and cuts
 * the connection wherever a test says.
 *
 * Like OpenAI, `POST /v1/responses` refuses reasoning it did not issue: a reasoning item (or an
 * `item_reference`) whose id it never gave out, 404 "Item with id 'rs_...' not found." (with
 * `store: false`, also an id it gave out when the item comes without its encrypted content, since
 * nothing was persisted); a reasoning item whose `encrypted_content` it did not issue (OpenAI
 * encrypts it with its own key; anything else fails to decrypt), 400 `invalid_encrypted_content`;
 * and one with neither an id nor encrypted content (what Codex, which never sends item ids, sends
 * back for reasoning that came without encrypted content), refused for its missing `id`, which
 * the API reference marks required (that refusal's wording is the emulator's). A test that
 * scripts an answer with encrypted reasoning gets the values from `issueReasoning()` or
 * `issueEncryptedContent()`, as OpenAI would have issued them.
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
  /** a reasoning item as OpenAI issues it (`rs_` and hex, encrypted content), accepted back on later requests */
  issueReasoning(): { id: string; type: "reasoning"; summary: []; encrypted_content: string };
}

export function startOpenAIEmulator(opts: Partial<UpstreamOptions> = {}): OpenAIEmulator {
  const fallback = openaiUpstream({ chunks: opts.chunks ?? 8, delayMs: opts.delayMs ?? 0 });
  const issued: Issued = { encrypted: new Set(), ids: new Set() };
  const upstream = startScriptedUpstream<Response>({
    name: "openai",
    defaultReply: (rec) => fallback(new Request(`http://openai${rec.path}${rec.query}`, { method: rec.method, headers: rec.headers, body: rec.body || undefined })),
    answer: async (rec, reply) => {
      const refusal = rec.method === "POST" && rec.path.endsWith("/responses") ? reasoningRefusal(rec.json, issued) : undefined;
      return refusal ?? (await reply())!;
    },
  });
  const issueEncryptedContent = () => {
    const value = `gAAAAA${Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64")}`;
    issued.encrypted.add(value);
    return value;
  };
  const issueReasoning = () => {
    const id = `rs_${Buffer.from(crypto.getRandomValues(new Uint8Array(25))).toString("hex")}`;
    issued.ids.add(id);
    return { id, type: "reasoning" as const, summary: [] as [], encrypted_content: issueEncryptedContent() };
  };
  return Object.assign(upstream, { issueEncryptedContent, issueReasoning });
}

/** What this OpenAI gave out: encrypted reasoning and reasoning item ids. */
interface Issued {
  encrypted: Set<string>;
  ids: Set<string>;
}

type InputItem = { type?: unknown; id?: unknown; encrypted_content?: unknown };

/** OpenAI's answer to the first reasoning item (or reference) in the input it did not issue. */
function reasoningRefusal(body: { input?: unknown; store?: unknown } | undefined, issued: Issued): Response | undefined {
  if (!Array.isArray(body?.input)) return undefined;
  const stored = body.store !== false; // the API's default is true
  for (const [i, item] of (body.input as InputItem[]).entries()) {
    if (item?.type !== "reasoning" && item?.type !== "item_reference") continue;
    const encrypted = item.type === "reasoning" && typeof item.encrypted_content === "string" ? item.encrypted_content : undefined;
    if (typeof item.id === "string" && (!issued.ids.has(item.id) || (!stored && encrypted === undefined))) return notFound(item.id, stored);
    if (encrypted !== undefined && !issued.encrypted.has(encrypted)) return undecryptable(encrypted);
    if (typeof item.id !== "string" && encrypted === undefined) return openaiError(400, `Missing required parameter: 'input[${i}].id'.`, `input[${i}].id`, "missing_required_parameter");
  }
  return undefined;
}

function notFound(id: string, stored: boolean): Response {
  const unstored = " Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.";
  return openaiError(404, `Item with id '${id}' not found.${stored ? "" : unstored}`, "input", null);
}

function undecryptable(value: string): Response {
  const message = `The encrypted content ${value.slice(0, 4)}...${value.slice(-4)} could not be verified. Reason: Encrypted content could not be decrypted or parsed.`;
  return openaiError(400, message, null, "invalid_encrypted_content");
}

function openaiError(status: number, message: string, param: string | null, code: string | null): Response {
  return Response.json({ error: { message, type: "invalid_request_error", param, code } }, { status });
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
