/**
 * An OpenAI-emulating upstream for tests, on the shared scripted-upstream API (scripted.ts): the
 * bench emulator's answers by default, every request recorded (path, headers, body), and per-test
 * scripts or queued Responses for errors and faults. A raw TCP variant sends exact bytes and cuts
 * the connection wherever a test says.
 *
 * Like OpenAI, `POST /v1/responses` refuses input items it did not issue (responses-items.ts): an
 * item id with the wrong prefix for its type (400 `invalid_value`), a message, function call,
 * custom tool call, reasoning item or `item_reference` whose id it never gave out (404 "Item with
 * id '...' not found."), reasoning whose `encrypted_content` it did not issue (400
 * `invalid_encrypted_content`). A test that scripts an answer with items the client sends back
 * gets them from `issueReasoning()`, `issueMessage()` or `issueEncryptedContent()`, as OpenAI
 * would have issued them (and, with `store` on, kept them). A `previous_response_id` must name a
 * whole Response it answered with `store` on (400 `previous_response_not_found` otherwise). A
 * function or custom tool call output needs its call earlier in `input` (400 "No tool call found
 * for function call output with call_id ..."), unless the request chains on stored state. The
 * paths of a response (`GET`/`DELETE /v1/responses/{id}`, `/cancel`, `/input_items`) answer 404
 * "Response with id '...' not found." for one it does not hold; GET returns, DELETE removes one
 * it holds.
 */
import type { Socket } from "bun";
import { openaiUpstream, type UpstreamOptions } from "../../bench/upstream.ts";
import { inputRefusal, issuedNothing, keepResponse, previousResponseRefusal, storedResponseAnswer } from "./responses-items.ts";
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream, type ScriptFn } from "./scripted.ts";

export type { RecordedRequest };

/** A reply is the exact Response to send; a script that never settles leaves the request hanging. */
export type Script = ScriptFn<Response>;

export interface OpenAIEmulator extends ScriptedUpstream<Response> {
  /** an `encrypted_content` value as OpenAI issues it (Fernet-like), accepted back on later requests */
  issueEncryptedContent(): string;
  /** a reasoning item as OpenAI issues it (`rs_` and hex, encrypted content), accepted back on later requests */
  issueReasoning(): { id: string; type: "reasoning"; summary: []; encrypted_content: string };
  /** an assistant message as OpenAI issues it (`msg_` and hex), accepted back with its id on later requests */
  issueMessage(text: string): { id: string; type: "message"; status: "completed"; role: "assistant"; content: [{ type: "output_text"; text: string; annotations: [] }] };
}

export function startOpenAIEmulator(opts: Partial<UpstreamOptions> = {}): OpenAIEmulator {
  const fallback = openaiUpstream({ chunks: opts.chunks ?? 8, delayMs: opts.delayMs ?? 0 });
  const issued = issuedNothing();
  const upstream = startScriptedUpstream<Response>({
    name: "openai",
    defaultReply: (rec) => fallback(new Request(`http://openai${rec.path}${rec.query}`, { method: rec.method, headers: rec.headers, body: rec.body || undefined })),
    answer: async (rec, reply) => {
      const stored = storedResponseAnswer(rec, issued);
      if (stored) return stored;
      if (rec.method !== "POST" || !rec.path.endsWith("/responses")) return (await reply())!;
      const refusal = previousResponseRefusal(rec.json, issued) ?? inputRefusal(rec.json, issued, 404);
      if (refusal) return refusal;
      const res = (await reply())!;
      keepResponse(rec.json, res, issued);
      return res;
    },
  });
  /** an id as OpenAI's look: the prefix and 50 hex digits */
  const issueId = (prefix: string) => {
    const id = `${prefix}_${Buffer.from(crypto.getRandomValues(new Uint8Array(25))).toString("hex")}`;
    issued.ids.add(id);
    return id;
  };
  const issueEncryptedContent = () => {
    const value = `gAAAAA${Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64")}`;
    issued.encrypted.add(value);
    return value;
  };
  const issueReasoning = () => ({ id: issueId("rs"), type: "reasoning" as const, summary: [] as [], encrypted_content: issueEncryptedContent() });
  const issueMessage = (text: string) => ({
    id: issueId("msg"),
    type: "message" as const,
    status: "completed" as const,
    role: "assistant" as const,
    content: [{ type: "output_text" as const, text, annotations: [] as [] }] as [{ type: "output_text"; text: string; annotations: [] }],
  });
  return Object.assign(upstream, { issueEncryptedContent, issueReasoning, issueMessage });
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
