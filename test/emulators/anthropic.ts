/**
 * An upstream that speaks Anthropic's Messages API (and Vertex's rawPredict / streamRawPredict,
 * which carry the same bodies), on the shared scripted-upstream API (scripted.ts): the SSE framing
 * of the streaming docs byte for byte (`event: <type>\ndata: <json>\n\n`), JSON messages,
 * Anthropic-shaped errors. Tests queue (or script) the answers ("turns" written as the event
 * sequence Anthropic would stream); a non-streaming request gets the same turn folded into one
 * Message, as the real API would answer. Every request is recorded (method, path, query, headers,
 * body and parsed JSON) for assertions on what the gateway sent. Thinking is checked as Anthropic
 * checks it (anthropic-thinking.ts): signatures it did not issue, and tool loops that do not open
 * with thinking while thinking is enabled, are refused with Anthropic's 400.
 */
import { issuedIn, thinkingRefusal } from "./anthropic-thinking.ts";
import { startScriptedUpstream, type RecordedRequest, type ScriptedUpstream } from "./scripted.ts";

export type { RecordedRequest };

/** the `request-id` Anthropic sends (and repeats in error bodies) */
const REQUEST_ID = "req_011CSHoEeqs5C35K2UUqR7Fy";

/** One streaming event, as the API sends it (`type` plus its fields), or raw SSE text. */
export type AnthropicEvent = { type: string; [k: string]: unknown } | { raw: string };

export interface Turn {
  kind: "turn";
  events: AnthropicEvent[];
  /** split the SSE bytes into pieces of this size (default: one piece per event) */
  chunkBytes?: number;
  /** pause between pieces */
  delayMs?: number;
  /** serialise events with spaces after `:` and `,`, as the documentation's examples are printed */
  spaced?: boolean;
  /** end the response after this many bytes (a connection cut mid-stream) */
  cutAfterBytes?: number;
}

export interface HttpReply {
  kind: "http";
  status: number;
  json?: unknown;
  text?: string;
  headers?: Record<string, string>;
}

export type Reply = Turn | HttpReply;

export interface AnthropicEmulator extends ScriptedUpstream<Reply> {
  /** the model list served on GET .../models */
  models: { id: string; display_name: string; created_at: string }[];
  /** signatures (or redacted data) Claude issued elsewhere (another platform, an earlier session): taken back like its own */
  acceptSignatures(...values: string[]): void;
}

export function turn(events: AnthropicEvent[], opts: Omit<Turn, "kind" | "events"> = {}): Turn {
  return { kind: "turn", events, ...opts };
}

export function httpError(status: number, type: string, message: string, headers?: Record<string, string>): HttpReply {
  return { kind: "http", status, json: { type: "error", error: { type, message }, request_id: REQUEST_ID }, headers };
}

export function encodeEvents(events: AnthropicEvent[], spaced = false): string {
  return events
    .map((e) => {
      if ("raw" in e) return e.raw;
      // pretty-printed then joined onto one line: whitespace between tokens, strings untouched
      const json = spaced ? JSON.stringify(e, null, 1).replace(/\n\s*/g, " ") : JSON.stringify(e);
      return `event: ${e.type}\ndata: ${json}\n\n`;
    })
    .join("");
}

/** The Message a non-streaming request gets for a turn: its events applied in order. */
export function messageOf(events: AnthropicEvent[]): Record<string, unknown> {
  let message: Record<string, unknown> = {};
  const content: Record<string, unknown>[] = [];
  const partialJson: string[] = [];
  for (const e of events) {
    if ("raw" in e) continue;
    switch (e.type) {
      case "message_start":
        message = structuredClone(e.message as Record<string, unknown>);
        break;
      case "content_block_start":
        content[e.index as number] = structuredClone(e.content_block as Record<string, unknown>);
        partialJson[e.index as number] = "";
        break;
      case "content_block_delta": {
        const block = content[e.index as number]!;
        const d = e.delta as Record<string, string>;
        if (d.type === "text_delta") block.text = (block.text as string) + d.text;
        if (d.type === "thinking_delta") block.thinking = (block.thinking as string) + d.thinking;
        if (d.type === "signature_delta") block.signature = d.signature;
        if (d.type === "input_json_delta") partialJson[e.index as number] += d.partial_json!;
        break;
      }
      case "content_block_stop": {
        const i = e.index as number;
        if (content[i]!.type === "tool_use" && partialJson[i]) content[i]!.input = JSON.parse(partialJson[i]!);
        break;
      }
      case "message_delta": {
        const d = e.delta as Record<string, unknown>;
        message.stop_reason = d.stop_reason;
        message.stop_sequence = d.stop_sequence ?? null;
        message.usage = { ...(message.usage as object), ...(e.usage as object) };
        break;
      }
    }
  }
  message.content = content;
  return message;
}

export function startAnthropicEmulator(): AnthropicEmulator {
  const models: AnthropicEmulator["models"] = [
    { id: "claude-opus-4-1-20250805", display_name: "Claude Opus 4.1", created_at: "2025-08-05T00:00:00Z" },
    { id: "claude-sonnet-4-20250514", display_name: "Claude Sonnet 4", created_at: "2025-05-22T00:00:00Z" },
  ];
  /** what this Claude signed: the signatures and redacted data of its answers */
  const issued = new Set<string>();
  const upstream = startScriptedUpstream<Reply>({
    name: "anthropic",
    async answer(req, next) {
      if (req.method === "GET" && req.path.endsWith("/models")) {
        const data = emu.models.map((m) => ({ type: "model", ...m }));
        return Response.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      }
      const refusal = createsMessage(req.path) && req.json ? thinkingRefusal(req.json, issued) : undefined;
      if (refusal) return Response.json({ type: "error", error: { type: "invalid_request_error", message: refusal }, request_id: REQUEST_ID }, { status: 400, headers: { "request-id": REQUEST_ID } });
      const reply = await next();
      if (!reply) return Response.json({ type: "error", error: { type: "api_error", message: "emulator: no reply queued" } }, { status: 500 });
      if (reply.kind === "turn") for (const value of issuedIn(reply.events.filter((e) => !("raw" in e)) as Record<string, unknown>[])) issued.add(value);
      if (reply.kind === "http") {
        const headers = { "content-type": reply.json !== undefined ? "application/json" : "text/plain", "request-id": REQUEST_ID, ...reply.headers };
        return new Response(reply.json !== undefined ? JSON.stringify(reply.json) : (reply.text ?? ""), { status: reply.status, headers });
      }
      const streaming = req.json?.stream === true || req.path.endsWith(":streamRawPredict");
      if (!streaming) return Response.json(messageOf(reply.events), { headers: { "request-id": REQUEST_ID } });
      return new Response(sseBody(reply), {
        headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": REQUEST_ID },
      });
    },
  });
  const acceptSignatures = (...values: string[]) => values.forEach((v) => issued.add(v));
  const emu: AnthropicEmulator = Object.assign(upstream, { models, acceptSignatures });
  return emu;
}

/** Messages, and Vertex's rawPredict / streamRawPredict (count_tokens answers without generating) */
function createsMessage(path: string): boolean {
  return path.endsWith("/messages") || path.endsWith(":rawPredict") || path.endsWith(":streamRawPredict");
}

function sseBody(t: Turn): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let pieces: Uint8Array[];
  if (t.chunkBytes) {
    const all = encoder.encode(encodeEvents(t.events, t.spaced));
    pieces = [];
    for (let i = 0; i < all.length; i += t.chunkBytes) pieces.push(all.subarray(i, i + t.chunkBytes));
  } else {
    pieces = t.events.map((e) => encoder.encode(encodeEvents([e], t.spaced)));
  }
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const piece = pieces.shift();
      if (!piece) return controller.close();
      if (t.delayMs) await Bun.sleep(t.delayMs);
      if (t.cutAfterBytes !== undefined && sent + piece.byteLength >= t.cutAfterBytes) {
        controller.enqueue(piece.subarray(0, t.cutAfterBytes - sent));
        controller.error(new Error("emulated connection cut"));
        return;
      }
      sent += piece.byteLength;
      controller.enqueue(piece);
    },
  });
}
