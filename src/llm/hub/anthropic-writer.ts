/**
 * The Anthropic Messages writer: hub parts -> Messages SSE (streams) and a Message (whole answers),
 * for Anthropic clients (the SDKs, Claude Code) on providers that do not speak Messages.
 *
 * - Event sequence: `message_start` (deferred to the first content part, so a failure before
 *   it is still a real HTTP error) -> per block `content_block_start` -> deltas ->
 *   `content_block_stop` -> `message_delta` (stop reason and the final usage) -> `message_stop`.
 *   Every event has its `event:` line (Claude Code needs them).
 * - Blocks: answer text (`text_delta`), reasoning (`thinking` blocks with `thinking_delta`; a
 *   signature closes the block with `signature_delta`; unsigned reasoning, from providers without
 *   signatures, keeps `signature: ""`), redacted thinking, tool calls (`tool_use` with
 *   `input_json_delta`; arguments given at once go in one delta).
 * - Ids: the provider's answer id when it gave one, else `msg_<random>`; tool call ids as the
 *   provider gave them.
 * - Stop reasons: stop -> end_turn, length -> max_tokens, tool_calls -> tool_use,
 *   content_filter -> refusal; a stream with tool calls ends in tool_use unless it was cut (length).
 * - Usage: `message_start` carries the input tokens known by then (0 on OpenAI-format upstreams,
 *   whose usage comes last); `message_delta` carries the final usage in full (input without
 *   cache, cache read and creation, output), which the SDKs take over.
 * - Gemini's thought signatures (no Anthropic field of their own): a thinking block whose
 *   signature is the gateway's envelope (thinking-envelope.ts), before the tool call it signs
 *   (signing the open thinking block when there is one); the answer's signature is held until the
 *   first tool call or the end, so that it does not split the text. Clients replay thinking
 *   blocks verbatim, and the reader turns them back into Gemini's signatures.
 * - Failures after `message_start`: `event: error` with Anthropic's error type for the status.
 * Text-like values are placed as the JSON string literals they arrive as (no parse, no stringify).
 */
import type { Usage } from "../types.ts";
import { anthropicErrorType } from "../formats/errors.ts";
import type { WriterContext } from "../formats/types.ts";
import { failureStatus } from "./failure.ts";
import { randomId } from "./literals.ts";
import type { ClientStreamWriter, FinishReason, HubMessage, JsonStringLiteral, StreamFailure } from "./parts.ts";
import { envelopeGemini } from "./thinking-envelope.ts";
import { WriterBase } from "./writer-base.ts";

const STOP_REASON: Record<FinishReason, string> = { stop: "end_turn", length: "max_tokens", tool_calls: "tool_use", content_filter: "refusal" };

export function anthropicStopReason(reason: FinishReason, hadToolCalls: boolean): string {
  return hadToolCalls && reason === "stop" ? "tool_use" : STOP_REASON[reason];
}

/** Anthropic's usage object: input excludes cached tokens there. */
export function anthropicUsage(u: Usage | undefined): Record<string, number> {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  return {
    input_tokens: uncachedInput(u),
    cache_creation_input_tokens: u.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: u.cachedInputTokens ?? 0,
    output_tokens: u.outputTokens,
  };
}

/** `anthropicUsage(u)` as JSON, written directly (once or twice on every stream), with `outputTokens` for the usage's own when given. */
function usageJson(u: Usage | undefined, outputTokens = u?.outputTokens ?? 0): string {
  if (!u) return `{"input_tokens":0,"output_tokens":${outputTokens}}`;
  return `{"input_tokens":${uncachedInput(u)},"cache_creation_input_tokens":${u.cacheWriteInputTokens ?? 0},"cache_read_input_tokens":${u.cachedInputTokens ?? 0},"output_tokens":${outputTokens}}`;
}

function uncachedInput(u: Usage): number {
  return Math.max(0, u.inputTokens - (u.cachedInputTokens ?? 0) - (u.cacheWriteInputTokens ?? 0));
}

export function anthropicWriter(ctx: WriterContext): ClientStreamWriter {
  return new AnthropicWriter(ctx);
}

type Open = { kind: "text" | "thinking" | "tool"; index: number } | undefined;

class AnthropicWriter extends WriterBase implements ClientStreamWriter {
  private block: Open;
  private nextIndex = 0;
  /** hub tool call index -> block index */
  private readonly toolBlocks: number[] = [];
  /** `event: content_block_delta` ... up to the value, for the open block */
  private deltaHead = "";
  /** the answer's signature (Gemini), written before the first tool call or at the end */
  private answerSig: string | undefined;

  constructor(ctx: WriterContext) {
    super(ctx.model);
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    const id = JSON.stringify(this.providerId ?? randomId("msg_"));
    const message = `{"id":${id},"type":"message","role":"assistant","model":${JSON.stringify(this.echoed)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":${usageJson(this.latestUsage, 0)}}`;
    this.buf += `event: message_start\ndata: {"type":"message_start","message":${message}}\n\n`;
  }

  /** Opens a block of `kind` (closing the open one); returns its index. */
  private begin(kind: "text" | "thinking" | "tool", contentBlock: string, deltaType: string, field: string): number {
    this.open();
    this.close();
    const index = this.nextIndex++;
    this.block = { kind, index };
    this.buf += `event: content_block_start\ndata: {"type":"content_block_start","index":${index},"content_block":${contentBlock}}\n\n`;
    this.deltaHead = deltaHeadOf(index, deltaType, field);
    return index;
  }

  private close(): void {
    if (!this.block) return;
    this.buf += `event: content_block_stop\ndata: {"type":"content_block_stop","index":${this.block.index}}\n\n`;
    this.block = undefined;
  }

  text(value: JsonStringLiteral): void {
    if (this.skip(value)) return;
    if (this.block?.kind !== "text") this.begin("text", '{"type":"text","text":""}', "text_delta", "text");
    this.buf += this.deltaHead + value + "}}\n\n";
  }

  reasoning(value: JsonStringLiteral): void {
    if (this.skip(value)) return;
    if (this.block?.kind !== "thinking") this.begin("thinking", '{"type":"thinking","thinking":"","signature":""}', "thinking_delta", "thinking");
    this.buf += this.deltaHead + value + "}}\n\n";
  }

  thinkingSigned(signature: string): void {
    if (this.ended) return;
    const index = this.block?.kind === "thinking" ? this.block.index : this.begin("thinking", '{"type":"thinking","thinking":"","signature":""}', "thinking_delta", "thinking");
    this.buf += `${deltaHeadOf(index, "signature_delta", "signature")}${JSON.stringify(signature)}}}\n\n`;
    this.close();
  }

  thinkingRedacted(data: string): void {
    if (this.ended) return;
    this.begin("thinking", `{"type":"redacted_thinking","data":${JSON.stringify(data)}}`, "thinking_delta", "thinking");
    this.close();
  }

  override answerSignature(signature: string): void {
    if (!this.ended) this.answerSig = signature;
  }

  private flushAnswerSignature(): void {
    if (this.answerSig === undefined) return;
    this.thinkingSigned(envelopeGemini("answer", this.answerSig));
    this.answerSig = undefined;
  }

  toolCall(call: { index: number; id: string; name: string; args?: JsonStringLiteral | undefined; signature?: string | undefined }): void {
    if (this.ended) return;
    this.flushAnswerSignature();
    if (call.signature) this.thinkingSigned(envelopeGemini("call", call.signature));
    const block = `{"type":"tool_use","id":${JSON.stringify(call.id)},"name":${JSON.stringify(call.name)},"input":{}}`;
    this.toolBlocks[call.index] = this.begin("tool", block, "input_json_delta", "partial_json");
    if (call.args !== undefined && call.args.length > 2) this.buf += this.deltaHead + call.args + "}}\n\n";
  }

  toolArgs(index: number, fragment: JsonStringLiteral): void {
    if (this.skip(fragment)) return;
    const block = this.toolBlocks[index];
    if (block === undefined) return;
    // fragments of another call than the open block (interleaved calls) go to that call's index
    const head = this.block?.index === block ? this.deltaHead : deltaHeadOf(block, "input_json_delta", "partial_json");
    this.buf += head + fragment + "}}\n\n";
  }

  end(): void {
    if (this.ended) return;
    this.open();
    this.flushAnswerSignature();
    this.close();
    this.ended = true;
    const stop = anthropicStopReason(this.finishReason ?? "stop", this.toolBlocks.length > 0);
    this.buf += `event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"${stop}","stop_sequence":null},"usage":${usageJson(this.latestUsage)}}\n\n`;
    this.buf += 'event: message_stop\ndata: {"type":"message_stop"}\n\n';
  }

  fail(failure: StreamFailure): void {
    if (this.ended) return;
    this.ended = true;
    this.failed = failure;
    const error = { type: anthropicErrorType(failureStatus(failure)), message: failure.message };
    this.buf += `event: error\ndata: ${JSON.stringify({ type: "error", error })}\n\n`;
  }
}

function deltaHeadOf(index: number, type: string, field: string): string {
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${index},"delta":{"type":"${type}","${field}":`;
}

// ---------------------------------------------------------------------------------------------
// whole answers

/** A whole answer as an Anthropic Message (same decisions as the stream). */
export function anthropicMessage(msg: HubMessage, ctx: WriterContext): string {
  const content: Record<string, unknown>[] = [];
  if (msg.thinkingBlocks && msg.thinkingBlocks.length > 0) content.push(...msg.thinkingBlocks);
  else if (msg.reasoning) content.push({ type: "thinking", thinking: msg.reasoning, signature: "" });
  if (msg.text) content.push({ type: "text", text: msg.text });
  if (msg.answerSignature) content.push(signatureBlock(envelopeGemini("answer", msg.answerSignature)));
  for (const c of msg.toolCalls) {
    if (c.signature) content.push(signatureBlock(envelopeGemini("call", c.signature)));
    content.push({ type: "tool_use", id: c.id, name: c.name, input: parseInput(c.arguments) });
  }
  return JSON.stringify({
    id: msg.id ?? randomId("msg_"),
    type: "message",
    role: "assistant",
    model: msg.model ?? ctx.model,
    content,
    stop_reason: anthropicStopReason(msg.finish, msg.toolCalls.length > 0),
    stop_sequence: null,
    usage: anthropicUsage(msg.usage),
  });
}

function signatureBlock(signature: string): Record<string, unknown> {
  return { type: "thinking", thinking: "", signature };
}

/** Tool arguments as the object Anthropic's `input` is ({} when the text is not a JSON object). */
export function parseInput(args: string): Record<string, unknown> {
  try {
    const v = JSON.parse(args === "" ? "{}" : args) as unknown;
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
