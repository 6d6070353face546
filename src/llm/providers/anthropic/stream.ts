/**
 * Anthropic Messages SSE -> OpenAI `chat.completion.chunk` events: a small state machine.
 *
 *   message_start        -> first chunk, `delta: {role: "assistant", content: ""}`
 *   content_block_start  -> tool_use: a tool call's first delta (`index`, `id`, `name`, `arguments: ""`)
 *   content_block_delta  -> text: `content`; thinking: `reasoning_content`; input_json: `arguments`
 *   content_block_stop   -> a tool call that got no argument fragment gets `"{}"`
 *   message_delta        -> stop reason and usage noted
 *   message_stop         -> finish chunk (with the turn's signed `thinking_blocks`), usage chunk
 *                           when the client asked for it, `[DONE]`
 *   error                -> an OpenAI-shaped error event; the stream ends
 *   ping, unknown        -> nothing
 * A tool call's `index` counts tool blocks only (not Anthropic's block index), so the SDKs
 * accumulate arguments into the right call (LiteLLM #5231).
 *
 * Hot path: text, argument and thinking deltas in the compact form the API sends are not parsed;
 * their JSON string literal is cut out of the event and placed into a prebuilt chunk. Anything
 * else (other events, or deltas with fields in another order) goes through JSON.parse.
 */
import { sseErrorEvent } from "../../../http/errors.ts";
import type { SseEvent, StreamContext, StreamTranslator, Usage } from "../../types.ts";
import { usageToOpenAI } from "../../usage.ts";
import { openaiTypeOf, statusOfAnthropicType } from "./error.ts";
import { finishReason } from "./stop-reason.ts";
import { emptyTokens, readTokens, toUsage } from "./usage.ts";

interface ThinkingBlock {
  type: "thinking" | "redacted_thinking";
  thinking?: string;
  signature?: string;
  data?: string;
}

/** What an Anthropic content block index stands for in the OpenAI stream. */
type BlockKind = { kind: "tool"; call: number; argsSent: boolean } | { kind: "thinking"; block: ThinkingBlock } | undefined;

export function anthropicStream(ctx: StreamContext): StreamTranslator<SseEvent> {
  const usageNull = ctx.includeUsage ? ',"usage":null' : "";
  const tail = `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  /** `data: {"id":...,"model":...` shared by every chunk */
  let prefix = "";
  /** `prefix` + the opening of choice 0's delta */
  let head = "";
  let started = false;
  let finished = false;
  let error: string | undefined;
  let errorStatus: number | undefined;
  let stopReason: unknown;
  let sawMessageDelta = false;
  const tokens = emptyTokens();
  let sawUsage = false;
  const blocks: BlockKind[] = [];
  let toolCalls = 0;
  const thinking: ThinkingBlock[] = [];

  const start = (id: unknown, model: unknown): string => {
    started = true;
    const chunkId = typeof id === "string" && id !== "" ? id : `chatcmpl-${crypto.randomUUID()}`;
    const name = typeof model === "string" && model !== "" ? model : ctx.model;
    prefix = `data: {"id":${JSON.stringify(chunkId)},"object":"chat.completion.chunk","created":${ctx.created},"model":${JSON.stringify(name)}`;
    head = `${prefix},"choices":[{"index":0,"delta":`;
    return `${head}{"role":"assistant","content":""}${tail}`;
  };
  /** the role chunk, if no message_start came first (a broken upstream; never from Anthropic) */
  const ensureStarted = (): string => (started ? "" : start(undefined, undefined));

  const fail = (message: string, anthropicType?: string): string => {
    finished = true;
    error = message;
    errorStatus = statusOfAnthropicType(anthropicType);
    return sseErrorEvent(message, openaiTypeOf(anthropicType), anthropicType ?? "upstream_stream_error");
  };

  const finish = (): string => {
    finished = true;
    let out = ensureStarted();
    const delta = thinking.length > 0 ? `{"thinking_blocks":${JSON.stringify(thinking)}}` : "{}";
    out += `${head}${delta},"logprobs":null,"finish_reason":"${finishReason(stopReason)}"}]${usageNull}}\n\n`;
    if (ctx.includeUsage) out += `${prefix},"choices":[],"usage":${JSON.stringify(usageToOpenAI(toUsage(tokens)))}}\n\n`;
    return `${out}data: [DONE]\n\n`;
  };

  /** One content delta, its value as a JSON string literal (`"..."`). */
  const delta = (index: number, type: string, literal: string): string => {
    switch (type) {
      case "text_delta":
        if (literal === '""') return "";
        return `${ensureStarted()}${head}{"content":${literal}}${tail}`;
      case "input_json_delta": {
        const block = blocks[index];
        // the first fragment is often "" (WIRE.md); server tools' input is not the client's
        if (literal === '""' || block?.kind !== "tool") return "";
        block.argsSent = true;
        return `${ensureStarted()}${head}{"tool_calls":[{"index":${block.call},"function":{"arguments":${literal}}}]}${tail}`;
      }
      case "thinking_delta": {
        if (literal === '""') return "";
        const block = blocks[index];
        if (block?.kind === "thinking") block.block.thinking += JSON.parse(literal) as string;
        return `${ensureStarted()}${head}{"reasoning_content":${literal}}${tail}`;
      }
      case "signature_delta": {
        const block = blocks[index];
        if (block?.kind === "thinking") block.block.signature += JSON.parse(literal) as string;
        return "";
      }
      default:
        return ""; // citations_delta and deltas newer than this translator
    }
  };

  const blockStart = (index: number, block: Record<string, unknown> | undefined): string => {
    switch (block?.type) {
      case "text":
        return typeof block.text === "string" && block.text !== "" ? delta(index, "text_delta", JSON.stringify(block.text)) : "";
      case "tool_use": {
        const call = toolCalls++;
        const input = block.input;
        const prefilled = input && typeof input === "object" && Object.keys(input).length > 0;
        blocks[index] = { kind: "tool", call, argsSent: Boolean(prefilled) };
        const args = prefilled ? JSON.stringify(JSON.stringify(input)) : '""';
        const start = `{"index":${call},"id":${JSON.stringify(block.id ?? `call_${call}`)},"type":"function","function":{"name":${JSON.stringify(block.name ?? "")},"arguments":${args}}}`;
        return `${ensureStarted()}${head}{"tool_calls":[${start}]}${tail}`;
      }
      case "thinking": {
        const t: ThinkingBlock = { type: "thinking", thinking: "", signature: typeof block.signature === "string" ? block.signature : "" };
        thinking.push(t);
        blocks[index] = { kind: "thinking", block: t };
        return typeof block.thinking === "string" && block.thinking !== "" ? delta(index, "thinking_delta", JSON.stringify(block.thinking)) : "";
      }
      case "redacted_thinking":
        thinking.push({ type: "redacted_thinking", data: typeof block.data === "string" ? block.data : "" });
        return "";
      default:
        return ""; // server_tool_use, web_search_tool_result...: nothing the client can act on
    }
  };

  const blockStop = (index: number): string => {
    const block = blocks[index];
    if (block?.kind !== "tool" || block.argsSent) return "";
    // a tool without arguments: "{}" rather than "", which JSON.parse in clients rejects
    block.argsSent = true;
    return `${head}{"tool_calls":[{"index":${block.call},"function":{"arguments":"{}"}}]}${tail}`;
  };

  const event = (ev: Record<string, unknown>): string => {
    switch (ev.type) {
      case "message_start": {
        if (started) return ""; // a repeated message_start (seen behind some proxies) changes nothing
        const message = ev.message as { id?: unknown; model?: unknown; usage?: unknown } | undefined;
        if (message?.usage) sawUsage = true;
        readTokens(tokens, message?.usage);
        return start(message?.id, message?.model);
      }
      case "content_block_start":
        return blockStart(numberOr(ev.index, -1), ev.content_block as Record<string, unknown> | undefined);
      case "content_block_delta": {
        const d = ev.delta as Record<string, unknown> | undefined;
        const type = typeof d?.type === "string" ? d.type : "";
        const value = type === "text_delta" ? d!.text : type === "input_json_delta" ? d!.partial_json : type === "thinking_delta" ? d!.thinking : type === "signature_delta" ? d!.signature : undefined;
        return typeof value === "string" ? delta(numberOr(ev.index, -1), type, JSON.stringify(value)) : "";
      }
      case "content_block_stop":
        return blockStop(numberOr(ev.index, -1));
      case "message_delta": {
        sawMessageDelta = true;
        const d = ev.delta as { stop_reason?: unknown } | undefined;
        if (d?.stop_reason !== undefined && d.stop_reason !== null) stopReason = d.stop_reason;
        if (ev.usage) sawUsage = true;
        readTokens(tokens, ev.usage);
        return "";
      }
      case "message_stop":
        return finish();
      case "error": {
        const err = ev.error as { type?: unknown; message?: unknown } | undefined;
        const type = typeof err?.type === "string" ? err.type : undefined;
        return fail(typeof err?.message === "string" ? err.message : "upstream reported an error mid-stream", type);
      }
      default:
        return ""; // ping, and event types newer than this translator (Anthropic's versioning policy)
    }
  };

  return {
    push(frame) {
      if (finished) return "";
      const data = frame.data;
      const fast = compactDelta(data);
      if (fast) return delta(fast.index, fast.type, fast.literal);
      if (frame.event === "ping") return "";
      let ev: unknown;
      try {
        ev = JSON.parse(data);
      } catch {
        return fail("upstream sent an invalid stream event");
      }
      if (!ev || typeof ev !== "object") return fail("upstream sent an invalid stream event");
      return event(ev as Record<string, unknown>);
    },
    end() {
      if (finished) return "";
      // message_stop lost but the message was complete: close it normally
      if (sawMessageDelta && stopReason !== undefined) return finish();
      return fail("upstream stream ended before the message was complete");
    },
    get finished() {
      return finished;
    },
    get error() {
      return error;
    },
    get errorStatus() {
      return errorStatus;
    },
    get usage(): Usage | undefined {
      return sawUsage ? toUsage(tokens) : undefined;
    },
  };
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === "number" ? v : fallback;
}

// ---------------------------------------------------------------------------------------------
// the hot path

const DELTA_OPEN = '{"type":"content_block_delta","index":';
/** what follows the index in each string-valued delta, up to the value's opening quote */
const DELTA_KINDS: readonly (readonly [string, string])[] = [
  [',"delta":{"type":"text_delta","text":"', "text_delta"],
  [',"delta":{"type":"input_json_delta","partial_json":"', "input_json_delta"],
  [',"delta":{"type":"thinking_delta","thinking":"', "thinking_delta"],
  [',"delta":{"type":"signature_delta","signature":"', "signature_delta"],
];

/**
 * `{"type":"content_block_delta","index":N,"delta":{"type":"T","F":"..."}}` (the API's own
 * compact serialisation) -> N, T and the JSON string literal `"..."`, without parsing (about a
 * third of JSON.parse's time). Returns undefined for anything else, which then takes the
 * JSON.parse path.
 */
export function compactDelta(data: string): { index: number; type: string; literal: string } | undefined {
  if (!data.startsWith(DELTA_OPEN)) return undefined;
  let i = DELTA_OPEN.length;
  let index = 0;
  const digitsFrom = i;
  for (let c = data.charCodeAt(i); c >= 48 && c <= 57; c = data.charCodeAt(++i)) index = index * 10 + (c - 48);
  if (i === digitsFrom) return undefined;
  let kind: readonly [string, string] | undefined;
  for (const k of DELTA_KINDS) {
    if (data.startsWith(k[0], i)) {
      kind = k;
      break;
    }
  }
  if (!kind) return undefined;
  const from = i + kind[0].length - 1; // the opening quote
  const to = data.length - 2;
  if (data.charCodeAt(to) !== 125 || data.charCodeAt(to + 1) !== 125) return undefined;
  // the value must be one string literal ending right before the closing `}}`: every quote
  // between is escaped (preceded by an odd run of backslashes)
  let q = data.indexOf('"', from + 1);
  while (q !== -1 && q < to - 1) {
    let b = q - 1;
    while (data.charCodeAt(b) === 92) b--;
    if ((q - 1 - b) % 2 === 0) return undefined;
    q = data.indexOf('"', q + 1);
  }
  if (q !== to - 1) return undefined;
  return { index, type: kind[1], literal: data.slice(from, to) };
}
