/**
 * Gemini `streamGenerateContent?alt=sse` -> hub parts.
 *
 * Every SSE event is a whole `GenerateContentResponse` carrying only the new parts (text pieces,
 * thought summaries, complete function calls) and the usage so far; the stream has no terminator,
 * its end is the end of the answer. So finish, usage and end are written when the upstream body
 * ends, and a stream that ends without a finish reason is reported as incomplete. The first event
 * starts the answer with its `responseId` (the id `chatcmpl-<responseId>`) and `modelVersion`.
 *
 * Plain text events take a fast path that hands the text's JSON literal to the writer as it is
 * (`text-event.ts`); their usage is read only when it is needed (at the end, or when the stream
 * stops early). Every other event is parsed: each part becomes text, reasoning (thoughts), a tool
 * call with its whole arguments and its signature, or the answer's signature.
 */
import { literal, trustedLiteral, type ByteTranslator, type HubWriter, type StreamFailure } from "../../hub/parts.ts";
import { framed, type FrameMachine } from "../../stream/framed.ts";
import { sseFrames } from "../../stream/sse.ts";
import type { SseEvent, StreamContext } from "../../types.ts";
import { googleError } from "./error.ts";
import { blockedPromptError, chatCompletionId, finishReason, usageOf } from "./response.ts";
import { syntheticCallId } from "./signature.ts";
import { plainTextLiteral } from "./text-event.ts";
import type { GeminiPart, GeminiResponse, GeminiUsageMetadata } from "./wire.ts";

export function geminiStream(_ctx: StreamContext, out: HubWriter): ByteTranslator {
  return framed(sseFrames(), new GeminiMachine(out), out);
}

class GeminiMachine implements FrameMachine<SseEvent> {
  finished = false;
  private started = false;
  private toolCalls = 0;
  private finishReason: string | undefined;
  /** the latest usage as sent (cumulative), converted only when reported */
  private rawUsage: GeminiUsageMetadata | undefined;
  /** the latest fast-path event, whose usage has not been read yet */
  private unreadUsage: string | undefined;

  constructor(private readonly out: HubWriter) {}

  frame(frame: SseEvent): void {
    const data = frame.data;
    if (data === "") return;
    if (this.started) {
      const text = plainTextLiteral(data);
      if (text !== undefined) {
        this.unreadUsage = data;
        return this.out.text(trustedLiteral(text));
      }
    }
    let r: GeminiResponse;
    try {
      r = JSON.parse(data);
    } catch {
      return this.fail({ kind: "invalid", message: "upstream sent an invalid stream event" });
    }
    if (r.usageMetadata) {
      this.rawUsage = r.usageMetadata;
      this.unreadUsage = undefined;
    }
    if (r.error) {
      const status = r.error.code ?? 500;
      const e = googleError(status, r);
      return this.fail({ kind: "provider", message: e.message, status, providerCode: e.code ?? undefined });
    }
    if (r.promptFeedback) {
      const blocked = blockedPromptError(r);
      if (blocked) return this.fail({ kind: "provider", message: blocked.message, status: blocked.status, providerCode: blocked.code ?? undefined });
    }
    if (!this.started) {
      this.started = true;
      this.out.start({ id: r.responseId ? chatCompletionId(r.responseId) : undefined, model: r.modelVersion });
    }
    const candidate = r.candidates?.[0];
    if (!candidate) return;
    if (candidate.finishReason) this.finishReason = candidate.finishReason;
    for (const part of candidate.content?.parts ?? []) this.part(part);
  }

  end(): void {
    this.reportUsage();
    if (this.finishReason === undefined) {
      return this.fail({ kind: "incomplete", message: "upstream stream ended before Gemini finished its answer" });
    }
    this.finished = true;
    this.out.finish(finishReason(this.finishReason, this.toolCalls > 0));
    this.out.end();
  }

  interrupted(): void {
    this.reportUsage();
  }

  private fail(failure: StreamFailure): void {
    this.reportUsage();
    this.finished = true;
    this.out.fail(failure);
  }

  private reportUsage(): void {
    if (this.unreadUsage !== undefined) {
      try {
        const u = (JSON.parse(this.unreadUsage) as GeminiResponse).usageMetadata;
        if (u) this.rawUsage = u;
      } catch {
        // its text was already sent; a malformed rest only loses this usage update
      }
      this.unreadUsage = undefined;
    }
    const usage = usageOf(this.rawUsage);
    if (usage) this.out.usage(usage);
  }

  /** Thoughts, text, function calls, signatures: in the order the event has them. */
  private part(part: GeminiPart): void {
    if (part.functionCall) {
      const call = part.functionCall;
      this.out.toolCall({
        index: this.toolCalls++,
        id: call.id || syntheticCallId(),
        name: call.name ?? "",
        args: literal(JSON.stringify(call.args ?? {})),
        signature: part.thoughtSignature || undefined,
      });
      return;
    }
    if (typeof part.text !== "string") return;
    if (part.thought) this.out.reasoning(literal(part.text));
    else this.out.text(literal(part.text));
    // a signature on a text or thought part (Gemini 3: often an empty last part) is the answer's
    if (part.thoughtSignature) this.out.answerSignature(part.thoughtSignature);
  }
}
