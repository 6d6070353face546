/**
 * Anthropic Messages SSE -> hub parts: a small state machine.
 *
 *   message_start        -> start (the message's id and model), usage
 *   content_block_start  -> tool_use: a tool call (its `index` counts tool blocks only, not
 *                           Anthropic's block index, so the SDKs accumulate arguments into the
 *                           right call, LiteLLM #5231); text / thinking with text: that text;
 *                           redacted_thinking: a redacted block
 *   content_block_delta  -> text, tool arguments, reasoning; signature_delta: the block's signature
 *   content_block_stop   -> a thinking block is complete: signed
 *   message_delta        -> stop reason and usage noted
 *   message_stop         -> finish, end
 *   error                -> a provider failure (Anthropic's error type as the code, its status)
 *   ping, unknown        -> nothing
 * A tool call without arguments, the role chunk, the ids and `thinking_blocks` are the writer's
 * business (hub/openai-writer.ts).
 *
 * Hot path: text, argument and thinking deltas in the compact form the API sends are not parsed:
 * their JSON string literal is cut out of the event and handed to the writer as is. Anything
 * else (other events, or deltas with fields in another order) goes through JSON.parse.
 */
import { literal, trustedLiteral, type ByteTranslator, type HubWriter, type JsonStringLiteral } from "../../hub/parts.ts";
import { framed, type FrameMachine } from "../../stream/framed.ts";
import { sseFrames } from "../../stream/sse.ts";
import type { SseEvent, StreamContext } from "../../types.ts";
import { statusOfAnthropicType } from "./error.ts";
import { finishReason } from "./stop-reason.ts";
import { emptyTokens, readTokens, toUsage } from "./usage.ts";

/** A thinking block being streamed: its signature so far, and whether it was handed over. */
interface Thinking {
  signature: string;
  signed: boolean;
}

/** What an Anthropic content block index stands for. */
type Block = { kind: "tool"; call: number } | { kind: "thinking"; thinking: Thinking } | undefined;

export function anthropicStream(_ctx: StreamContext, out: HubWriter): ByteTranslator {
  return framed(sseFrames(), new AnthropicMachine(out), out);
}

class AnthropicMachine implements FrameMachine<SseEvent> {
  finished = false;
  private started = false;
  private stopReason: unknown;
  private sawMessageDelta = false;
  private readonly tokens = emptyTokens();
  private readonly blocks: Block[] = [];
  private readonly thinking: Thinking[] = [];
  private toolCalls = 0;

  constructor(private readonly out: HubWriter) {}

  frame(frame: SseEvent): void {
    const data = frame.data;
    const fast = compactDelta(data);
    if (fast) return this.delta(fast.index, fast.type, trustedLiteral(fast.literal));
    if (frame.event === "ping") return;
    let ev: unknown;
    try {
      ev = JSON.parse(data);
    } catch {
      return this.invalid();
    }
    if (!ev || typeof ev !== "object") return this.invalid();
    this.event(ev as Record<string, unknown>);
  }

  end(): void {
    // message_stop lost but the message was complete: close it normally
    if (this.sawMessageDelta && this.stopReason !== undefined) return this.finish();
    this.finished = true;
    this.out.fail({ kind: "incomplete", message: "upstream stream ended before the message was complete" });
  }

  private invalid(): void {
    this.finished = true;
    this.out.fail({ kind: "invalid", message: "upstream sent an invalid stream event" });
  }

  private finish(): void {
    // a thinking block the stream never closed still goes back to the client
    for (const t of this.thinking) this.sign(t);
    this.finished = true;
    this.out.finish(finishReason(this.stopReason));
    this.out.end();
  }

  private sign(t: Thinking): void {
    if (t.signed) return;
    t.signed = true;
    this.out.thinkingSigned(t.signature);
  }

  private usage(raw: unknown): void {
    if (!raw) return;
    readTokens(this.tokens, raw);
    this.out.usage(toUsage(this.tokens));
  }

  /** One content delta, its value as a JSON string literal. */
  private delta(index: number, type: string, value: JsonStringLiteral): void {
    switch (type) {
      case "text_delta":
        return this.out.text(value);
      case "input_json_delta": {
        // server tools' input is not the client's
        const block = this.blocks[index];
        if (block?.kind === "tool") this.out.toolArgs(block.call, value);
        return;
      }
      case "thinking_delta":
        return this.out.reasoning(value);
      case "signature_delta": {
        const block = this.blocks[index];
        if (block?.kind === "thinking") block.thinking.signature += JSON.parse(value) as string;
        return;
      }
      default:
        return; // citations_delta and deltas newer than this translator
    }
  }

  private blockStart(index: number, block: Record<string, unknown> | undefined): void {
    switch (block?.type) {
      case "text":
        if (typeof block.text === "string" && block.text !== "") this.out.text(literal(block.text));
        return;
      case "tool_use": {
        const call = this.toolCalls++;
        this.blocks[index] = { kind: "tool", call };
        const input = block.input;
        const prefilled = input && typeof input === "object" && Object.keys(input).length > 0;
        this.out.toolCall({
          index: call,
          id: typeof block.id === "string" ? block.id : `call_${call}`,
          name: typeof block.name === "string" ? block.name : "",
          args: prefilled ? literal(JSON.stringify(input)) : undefined,
        });
        return;
      }
      case "thinking": {
        const thinking: Thinking = { signature: typeof block.signature === "string" ? block.signature : "", signed: false };
        this.thinking.push(thinking);
        this.blocks[index] = { kind: "thinking", thinking };
        if (typeof block.thinking === "string" && block.thinking !== "") this.out.reasoning(literal(block.thinking));
        return;
      }
      case "redacted_thinking":
        this.out.thinkingRedacted(typeof block.data === "string" ? block.data : "");
        return;
      default:
        return; // server_tool_use, web_search_tool_result...: nothing the client can act on
    }
  }

  private event(ev: Record<string, unknown>): void {
    switch (ev.type) {
      case "message_start": {
        if (this.started) return; // a repeated message_start (seen behind some proxies) changes nothing
        this.started = true;
        const message = ev.message as { id?: unknown; model?: unknown; usage?: unknown } | undefined;
        this.out.start({ id: stringOr(message?.id), model: stringOr(message?.model) });
        return this.usage(message?.usage);
      }
      case "content_block_start":
        return this.blockStart(numberOr(ev.index, -1), ev.content_block as Record<string, unknown> | undefined);
      case "content_block_delta": {
        const d = ev.delta as Record<string, unknown> | undefined;
        const type = typeof d?.type === "string" ? d.type : "";
        const value = type === "text_delta" ? d!.text : type === "input_json_delta" ? d!.partial_json : type === "thinking_delta" ? d!.thinking : type === "signature_delta" ? d!.signature : undefined;
        if (typeof value === "string") this.delta(numberOr(ev.index, -1), type, literal(value));
        return;
      }
      case "content_block_stop": {
        const block = this.blocks[numberOr(ev.index, -1)];
        if (block?.kind === "thinking") this.sign(block.thinking);
        return;
      }
      case "message_delta": {
        this.sawMessageDelta = true;
        const d = ev.delta as { stop_reason?: unknown } | undefined;
        if (d?.stop_reason !== undefined && d.stop_reason !== null) this.stopReason = d.stop_reason;
        return this.usage(ev.usage);
      }
      case "message_stop":
        return this.finish();
      case "error": {
        const err = ev.error as { type?: unknown; message?: unknown } | undefined;
        const type = stringOr(err?.type);
        this.finished = true;
        this.out.fail({
          kind: "provider",
          message: typeof err?.message === "string" ? err.message : "upstream reported an error mid-stream",
          status: statusOfAnthropicType(type),
          providerCode: type,
        });
        return;
      }
      default:
        return; // ping, and event types newer than this translator (Anthropic's versioning policy)
    }
  }
}

function numberOr(v: unknown, fallback: number): number {
  return typeof v === "number" ? v : fallback;
}

function stringOr(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
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
