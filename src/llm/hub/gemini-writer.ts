/**
 * The Gemini writer: hub parts -> `GenerateContentResponse` chunks (`:streamGenerateContent?alt=sse`)
 * and one `GenerateContentResponse` (`:generateContent`), for Gemini-native clients (google-genai,
 * Gemini CLI) on providers that do not speak Gemini.
 *
 * - Chunks: `data: {"candidates":[{"content":{"parts":[...],"role":"model"},"index":0}],
 *   "modelVersion","responseId"}` with CRLF framing, as Google sends them; the first is deferred to
 *   the first content part, so a failure before it is still a real HTTP error.
 * - Parts: answer text `{text}`, reasoning `{text, thought: true}`; a signed thinking block ends
 *   with a `{text: "", thought: true, thoughtSignature}` part carrying the signature in the
 *   gateway's envelope (thinking-envelope.ts), in base64 since the field is bytes
 *   (thought-signature.ts: the Go, .NET and Python SDKs decode it); tool calls are one whole
 *   `functionCall` part each (`{name, args, id}`: Gemini sends arguments as an object, so
 *   fragments are held until the call is complete), the id being the provider's tool call id;
 *   its `thoughtSignature` is the provider's signature (Gemini's, through Google's
 *   OpenAI-compatible convention), else the gateway's `agw1.n.` envelope in base64 ("no
 *   signature": Gemini 3 refuses the call back without one; thinking-envelope.ts).
 * - The last chunk has `finishReason` (stop and tool_calls -> STOP, length -> MAX_TOKENS,
 *   content_filter -> SAFETY) and `usageMetadata` (candidates exclude thoughts, as Gemini counts).
 * - Failures after the first chunk: `data: {"error":{"code","message","status"}}`.
 */
import { failureFields, googleStatus } from "../formats/errors.ts";
import type { WriterContext } from "../formats/types.ts";
import type { Usage } from "../types.ts";
import { joinLiterals, literalText, randomId } from "./literals.ts";
import type { ClientStreamWriter, FinishReason, HubMessage, JsonStringLiteral, StreamFailure } from "./parts.ts";
import { envelopeNoSignature, envelopeRedacted, envelopeSigned } from "./thinking-envelope.ts";
import { asThoughtSignature } from "./thought-signature.ts";
import { WriterBase } from "./writer-base.ts";

const FINISH: Record<FinishReason, string> = { stop: "STOP", tool_calls: "STOP", length: "MAX_TOKENS", content_filter: "SAFETY" };

export function geminiUsage(u: Usage | undefined): Record<string, number> | undefined {
  if (!u) return undefined;
  const thoughts = u.reasoningTokens ?? 0;
  const out: Record<string, number> = { promptTokenCount: u.inputTokens, candidatesTokenCount: Math.max(0, u.outputTokens - thoughts), totalTokenCount: u.totalTokens };
  if (u.cachedInputTokens) out.cachedContentTokenCount = u.cachedInputTokens;
  if (thoughts) out.thoughtsTokenCount = thoughts;
  return out;
}

/** The `thoughtSignature` of a call its provider did not sign, as a JSON string (made once). */
const NO_SIGNATURE = JSON.stringify(asThoughtSignature(envelopeNoSignature()));

/**
 * A function call part: `args` is the argument JSON text (an object), `{}` when it is not one;
 * `signature` the provider's, the no-signature envelope when it gave none.
 */
function callPart(id: string, name: string, argsText: string, signature: string | undefined): string {
  let args = "{}";
  try {
    // no argument text at all (a call whose provider sent no input): `{}`, never an empty value
    const v = argsText === "" ? undefined : (JSON.parse(argsText) as unknown);
    if (v && typeof v === "object" && !Array.isArray(v)) args = argsText;
  } catch {
    // not JSON: {} (the client could not use it either)
  }
  const sig = signature ? JSON.stringify(signature) : NO_SIGNATURE;
  return `{"functionCall":{"name":${JSON.stringify(name)},"args":${args},"id":${JSON.stringify(id)}},"thoughtSignature":${sig}}`;
}

export function geminiWriter(ctx: WriterContext): ClientStreamWriter {
  return new GeminiWriter(ctx);
}

interface Call {
  id: string;
  name: string;
  args: string[];
  signature: string | undefined;
}

class GeminiWriter extends WriterBase implements ClientStreamWriter {
  private tail = "";
  private head = "";
  private textHead = "";
  private thoughtHead = "";
  private readonly calls: (Call | undefined)[] = [];
  private pendingCalls = 0;

  constructor(ctx: WriterContext) {
    super(ctx.model);
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    this.head = 'data: {"candidates":[{"content":{"parts":[';
    this.tail = `],"role":"model"},"index":0}],"modelVersion":${JSON.stringify(this.echoed)},"responseId":${JSON.stringify(this.providerId ?? randomId(""))}}\r\n\r\n`;
    this.textHead = `${this.head}{"text":`;
    this.thoughtHead = `${this.head}{"thought":true,"text":`;
  }

  private chunk(parts: string): void {
    this.open();
    this.buf += this.head + parts + this.tail;
  }

  /** Tool calls held for their arguments go out before anything else does. */
  private flushCalls(): void {
    if (this.pendingCalls === 0) return;
    const parts: string[] = [];
    for (let i = 0; i < this.calls.length; i++) {
      const c = this.calls[i];
      if (!c) continue;
      parts.push(callPart(c.id, c.name, literalText(joinLiterals(c.args)), c.signature));
      this.calls[i] = undefined;
    }
    this.pendingCalls = 0;
    this.chunk(parts.join(","));
  }

  text(value: JsonStringLiteral): void {
    if (this.skip(value)) return;
    this.flushCalls();
    this.open();
    this.buf += this.textHead + value + "}" + this.tail;
  }

  reasoning(value: JsonStringLiteral): void {
    if (this.skip(value)) return;
    this.flushCalls();
    this.open();
    this.buf += this.thoughtHead + value + "}" + this.tail;
  }

  thinkingSigned(signature: string): void {
    if (this.ended) return;
    this.flushCalls();
    // base64 needs no JSON escaping
    this.chunk(`{"thought":true,"text":"","thoughtSignature":"${asThoughtSignature(envelopeSigned(signature))}"}`);
  }

  thinkingRedacted(data: string): void {
    if (this.ended) return;
    this.flushCalls();
    this.chunk(`{"thought":true,"text":"","thoughtSignature":"${asThoughtSignature(envelopeRedacted(data))}"}`);
  }

  override answerSignature(signature: string): void {
    if (this.ended) return;
    this.flushCalls();
    this.chunk(`{"text":"","thoughtSignature":${JSON.stringify(signature)}}`);
  }

  toolCall(call: { index: number; id: string; name: string; args?: JsonStringLiteral | undefined; signature?: string | undefined }): void {
    if (this.ended) return;
    this.open();
    this.calls[call.index] = { id: call.id, name: call.name, args: call.args !== undefined ? [call.args] : [], signature: call.signature };
    this.pendingCalls++;
  }

  toolArgs(index: number, fragment: JsonStringLiteral): void {
    if (this.skip(fragment)) return;
    this.calls[index]?.args.push(fragment);
  }

  end(): void {
    if (this.ended) return;
    this.flushCalls();
    this.open();
    this.ended = true;
    const usage = geminiUsage(this.latestUsage);
    const finish = FINISH[this.finishReason ?? "stop"];
    const meta = usage ? `,"usageMetadata":${JSON.stringify(usage)}` : "";
    this.buf += `${this.head}{"text":""}],"role":"model"},"finishReason":"${finish}","index":0}]${meta}${this.tail.slice(this.tail.indexOf(',"modelVersion"'))}`;
  }

  fail(failure: StreamFailure): void {
    if (this.ended) return;
    this.ended = true;
    this.failed = failure;
    const { status } = failureFields(failure);
    this.buf += `data: ${JSON.stringify({ error: { code: status, message: failure.message, status: googleStatus(status) } })}\r\n\r\n`;
  }
}

// ---------------------------------------------------------------------------------------------
// whole answers

/** A whole answer as a `GenerateContentResponse` (same decisions as the stream). */
export function geminiResponse(msg: HubMessage, ctx: WriterContext): string {
  const parts: string[] = [];
  for (const b of msg.thinkingBlocks ?? []) {
    const envelope = b.type === "thinking" ? envelopeSigned(b.signature) : envelopeRedacted(b.data);
    parts.push(JSON.stringify({ thought: true, text: b.type === "thinking" ? b.thinking : "", thoughtSignature: asThoughtSignature(envelope) }));
  }
  if (!msg.thinkingBlocks?.length && msg.reasoning) parts.push(JSON.stringify({ thought: true, text: msg.reasoning }));
  if (msg.text) parts.push(JSON.stringify(msg.answerSignature ? { text: msg.text, thoughtSignature: msg.answerSignature } : { text: msg.text }));
  for (const c of msg.toolCalls) parts.push(callPart(c.id, c.name, c.arguments, c.signature));
  if (parts.length === 0) parts.push('{"text":""}');
  const usage = geminiUsage(msg.usage);
  return (
    `{"candidates":[{"content":{"parts":[${parts.join(",")}],"role":"model"},"finishReason":"${FINISH[msg.finish]}","index":0}]` +
    `${usage ? `,"usageMetadata":${JSON.stringify(usage)}` : ""},"modelVersion":${JSON.stringify(msg.model ?? ctx.model)},"responseId":${JSON.stringify(msg.id ?? randomId(""))}}`
  );
}
