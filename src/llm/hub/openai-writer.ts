/**
 * The OpenAI chat-completions writer: hub parts -> `chat.completion.chunk` SSE (streams) and
 * `chat.completion` JSON (whole answers). Every OpenAI-shaped answer of a translated provider is
 * decided here, once:
 *
 * - Envelope: `data: {"id","object":"chat.completion.chunk","created","model","choices":[{"index":0,
 *   "delta":{...},"logprobs":null,"finish_reason":null}]}` plus `"usage":null` on every chunk when
 *   the client asked for `stream_options.include_usage`. Chunks are built from string pieces
 *   prepared once per stream; text-like values arrive as JSON string literals and are placed as
 *   they are (the translators' no-parse fast paths end here without a parse or a stringify).
 * - Id: the provider's id from `start()` when it gave one, else `chatcmpl-<uuid>`.
 * - Model echoed: the model the provider reports in `start()` when it reports one (as OpenAI
 *   itself echoes the model that answered, e.g. a dated version), else the gateway's model.
 * - Role chunk (`{"role":"assistant","content":""}`): deferred until the first content part
 *   (text, reasoning, tool call, signature, finish). A failure before that leaves
 *   `contentStarted` false, and the pipeline answers with a real HTTP status instead.
 * - Tool calls: the first chunk of a call has index, id, type, name and `arguments` (the whole
 *   JSON text when the provider gave it at once, else `""` and fragments follow). A call that got
 *   no argument text by the finish gets `"{}"` in one arguments chunk right before the finish
 *   chunk (clients JSON.parse the arguments; `""` fails). The writer does this for every
 *   provider; it holds even when calls' fragments interleave.
 * - `thinking_blocks` (the signed reasoning a client sends back on its next turn): once, on the
 *   finish chunk, all blocks of the turn in order, each built from the reasoning text since the
 *   previous block and its signature (or an opaque redacted block). SDK stream helpers merge
 *   unknown delta fields by assignment, so one chunk carrying all of them is what survives.
 * - Gemini's thought signatures: `extra_content: {google: {thought_signature}}` on the tool call
 *   and, for the answer text's signature, on a delta of its own (the convention of Google's
 *   OpenAI-compatible endpoint, see providers/gemini/signature.ts).
 * - Usage chunk (`"choices":[]` + `usage`) only when the client asked and usage is known; then
 *   `data: [DONE]`.
 * - Failures end the stream with `data: {"error":{"message","type","param":null,"code","status"}}`
 *   (no `[DONE]`): code, status and type from hub/failure.ts. `status` is the HTTP status the
 *   failure would have had before any content (the SDKs keep unknown error fields on the error).
 */
import type { Usage } from "../types.ts";
import { usageToOpenAI } from "../usage.ts";
import { failureCode, failureStatus, upstreamErrorType } from "./failure.ts";
import type { ClientStreamWriter, FinishReason, HubMessage, JsonStringLiteral, StreamFailure } from "./parts.ts";

export interface OpenAIWriterContext {
  /** the gateway's model for this request (echoed unless the provider reports its own) */
  model: string;
  /** the client asked for `stream_options.include_usage` */
  includeUsage: boolean;
  /** unix seconds */
  created: number;
}

export function openaiChunkWriter(ctx: OpenAIWriterContext): ClientStreamWriter {
  return new OpenAIChunkWriter(ctx);
}

/** `data: {"error":{...}}` for a failure, as every OpenAI-format stream of the gateway ends. */
export function openaiErrorEvent(f: StreamFailure): string {
  const status = failureStatus(f);
  const error = { message: f.message, type: upstreamErrorType(status), param: null, code: failureCode(f), status };
  return `data: ${JSON.stringify({ error })}\n\n`;
}

const ROLE_DELTA = '{"role":"assistant","content":""}';
const DONE = "data: [DONE]\n\n";
const EMPTY_LITERAL_LENGTH = 2; // `""`

class OpenAIChunkWriter implements ClientStreamWriter {
  private readonly ctx: OpenAIWriterContext;
  private readonly usageNull: string;
  /** `,"logprobs":null,"finish_reason":null}]...}\n\n`: closes every delta chunk */
  private readonly tail: string;
  /** `data: {"id":...,"model":...`, once started */
  private prefix = "";
  /** `prefix` + `,"choices":[{"index":0,"delta":` */
  private head = "";
  private textHead = "";
  private reasoningHead = "";
  private readonly closeTail: string;
  private echoed: string;
  private buf = "";
  private roleSent = false;
  private finished = false;
  private ended = false;
  private failed: StreamFailure | undefined;
  private latestUsage: Usage | undefined;
  /** per tool call index: whether argument text came */
  private readonly argsSeen: boolean[] = [];
  /** reasoning literals since the last thinking block */
  private reasoningSince: string[] = [];
  /** serialised thinking blocks of the turn */
  private readonly blocks: string[] = [];

  constructor(ctx: OpenAIWriterContext) {
    this.ctx = ctx;
    this.echoed = ctx.model;
    this.usageNull = ctx.includeUsage ? ',"usage":null' : "";
    this.tail = `,"logprobs":null,"finish_reason":null}]${this.usageNull}}\n\n`;
    this.closeTail = `}${this.tail}`;
  }

  get done(): boolean {
    return this.ended;
  }
  get contentStarted(): boolean {
    return this.roleSent;
  }
  get failure(): StreamFailure | undefined {
    return this.failed;
  }
  get reportedUsage(): Usage | undefined {
    return this.latestUsage;
  }
  get model(): string {
    return this.echoed;
  }

  take(): string {
    const out = this.buf;
    this.buf = "";
    return out;
  }

  start(meta: { id?: string | undefined; model?: string | undefined }): void {
    if (this.prefix === "" && !this.ended) this.envelope(meta.id, meta.model);
  }

  private envelope(id: string | undefined, model: string | undefined): void {
    if (model) this.echoed = model;
    const chunkId = id ? id : `chatcmpl-${crypto.randomUUID()}`;
    this.prefix = `data: {"id":${JSON.stringify(chunkId)},"object":"chat.completion.chunk","created":${this.ctx.created},"model":${JSON.stringify(this.echoed)}`;
    this.head = `${this.prefix},"choices":[{"index":0,"delta":`;
    this.textHead = `${this.head}{"content":`;
    this.reasoningHead = `${this.head}{"reasoning_content":`;
  }

  /** The first content part: the envelope (if the provider never started one) and the role chunk. */
  private open(): void {
    if (this.prefix === "") this.envelope(undefined, undefined);
    this.roleSent = true;
    this.buf += this.head + ROLE_DELTA + this.tail;
  }

  private delta(fields: string): void {
    if (!this.roleSent) this.open();
    this.buf += `${this.head}{${fields}}${this.tail}`;
  }

  text(value: JsonStringLiteral): void {
    if (this.ended || value.length === EMPTY_LITERAL_LENGTH) return;
    if (!this.roleSent) this.open();
    this.buf += this.textHead + value + this.closeTail;
  }

  reasoning(value: JsonStringLiteral): void {
    if (this.ended || value.length === EMPTY_LITERAL_LENGTH) return;
    if (!this.roleSent) this.open();
    this.reasoningSince.push(value);
    this.buf += this.reasoningHead + value + this.closeTail;
  }

  thinkingSigned(signature: string): void {
    if (this.ended) return;
    if (!this.roleSent) this.open();
    this.blocks.push(`{"type":"thinking","thinking":${joinLiterals(this.reasoningSince)},"signature":${JSON.stringify(signature)}}`);
    this.reasoningSince = [];
  }

  thinkingRedacted(data: string): void {
    if (this.ended) return;
    if (!this.roleSent) this.open();
    this.blocks.push(`{"type":"redacted_thinking","data":${JSON.stringify(data)}}`);
    this.reasoningSince = [];
  }

  toolCall(call: { index: number; id: string; name: string; args?: JsonStringLiteral | undefined; signature?: string | undefined }): void {
    if (this.ended) return;
    const args = call.args !== undefined && call.args.length > EMPTY_LITERAL_LENGTH ? call.args : undefined;
    this.argsSeen[call.index] = args !== undefined;
    const extra = call.signature ? `,"extra_content":${signatureField(call.signature)}` : "";
    this.delta(
      `"tool_calls":[{"index":${call.index},"id":${JSON.stringify(call.id)},"type":"function","function":{"name":${JSON.stringify(call.name)},"arguments":${args ?? '""'}}${extra}}]`,
    );
  }

  toolArgs(index: number, fragment: JsonStringLiteral): void {
    if (this.ended || fragment.length === EMPTY_LITERAL_LENGTH) return;
    this.argsSeen[index] = true;
    this.delta(`"tool_calls":[{"index":${index},"function":{"arguments":${fragment}}}]`);
  }

  answerSignature(signature: string): void {
    if (this.ended) return;
    this.delta(`"extra_content":${signatureField(signature)}`);
  }

  finish(reason: FinishReason): void {
    if (this.ended || this.finished) return;
    if (!this.roleSent) this.open();
    this.finished = true;
    for (let i = 0; i < this.argsSeen.length; i++) {
      if (this.argsSeen[i] !== false) continue;
      this.argsSeen[i] = true;
      this.delta(`"tool_calls":[{"index":${i},"function":{"arguments":"{}"}}]`);
    }
    const delta = this.blocks.length > 0 ? `{"thinking_blocks":[${this.blocks.join(",")}]}` : "{}";
    this.buf += `${this.head}${delta},"logprobs":null,"finish_reason":"${reason}"}]${this.usageNull}}\n\n`;
  }

  usage(usage: Usage): void {
    if (!this.ended) this.latestUsage = usage;
  }

  end(): void {
    if (this.ended) return;
    if (!this.finished) this.finish("stop");
    this.ended = true;
    if (this.ctx.includeUsage && this.latestUsage) this.buf += `${this.prefix},"choices":[],"usage":${JSON.stringify(usageToOpenAI(this.latestUsage))}}\n\n`;
    this.buf += DONE;
  }

  fail(failure: StreamFailure): void {
    if (this.ended) return;
    this.ended = true;
    this.failed = failure;
    this.buf += openaiErrorEvent(failure);
  }
}

/** Several JSON string literals as one: their insides joined between one pair of quotes. */
function joinLiterals(literals: string[]): string {
  if (literals.length === 0) return '""';
  if (literals.length === 1) return literals[0]!;
  let inside = "";
  for (const l of literals) inside += l.slice(1, -1);
  return `"${inside}"`;
}

/** `{"google":{"thought_signature":"..."}}` */
function signatureField(signature: string): string {
  return `{"google":{"thought_signature":${JSON.stringify(signature)}}}`;
}

// ---------------------------------------------------------------------------------------------
// whole answers

/** A whole answer as the OpenAI `chat.completion` JSON text (same decisions as the stream). */
export function openaiCompletion(msg: HubMessage, ctx: { model: string; created: number }): string {
  const message: Record<string, unknown> = { role: "assistant", content: msg.text, refusal: null };
  if (msg.toolCalls.length > 0) {
    message.tool_calls = msg.toolCalls.map((c) => {
      const call: Record<string, unknown> = { id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } };
      if (c.signature) call.extra_content = { google: { thought_signature: c.signature } };
      return call;
    });
  }
  if (msg.reasoning !== undefined) message.reasoning_content = msg.reasoning;
  if (msg.thinkingBlocks && msg.thinkingBlocks.length > 0) message.thinking_blocks = msg.thinkingBlocks;
  if (msg.answerSignature) message.extra_content = { google: { thought_signature: msg.answerSignature } };
  const completion: Record<string, unknown> = {
    id: msg.id ? msg.id : `chatcmpl-${crypto.randomUUID()}`,
    object: "chat.completion",
    created: ctx.created,
    model: msg.model ? msg.model : ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: msg.finish }],
  };
  if (msg.usage) completion.usage = usageToOpenAI(msg.usage);
  return JSON.stringify(completion);
}
