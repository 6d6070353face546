/**
 * A stream's parts gathered into the whole answer they make (a `HubMessage`): for a request that
 * did not ask for a stream, answered with one anyway (OpenAI-compatible servers that always
 * stream). The client gets the JSON answer it asked for, in its own format.
 */
import type { Usage } from "../types.ts";
import { failureHttpError } from "./failure.ts";
import { literalText, type FinishReason, type HubMessage, type HubWriter, type JsonStringLiteral, type StreamFailure, type ThinkingBlock } from "./parts.ts";

export interface MessageCollector extends HubWriter {
  /** the answer, once the stream ended; throws the failure as an HTTP error when it failed or never ended */
  message(): HubMessage;
}

export function collectMessage(): MessageCollector {
  return new Collector();
}

class Collector implements MessageCollector {
  private id: string | undefined;
  private model: string | undefined;
  private readonly texts: string[] = [];
  private reasoningText = "";
  /** reasoning since the last thinking block closed */
  private openThinking = "";
  private readonly blocks: ThinkingBlock[] = [];
  private signature: string | undefined;
  private readonly calls: { id: string; name: string; arguments: string; signature?: string | undefined }[] = [];
  private finished: FinishReason | undefined;
  private lastUsage: Usage | undefined;
  private ended = false;
  private failure: StreamFailure | undefined;

  start(meta: { id?: string | undefined; model?: string | undefined }): void {
    this.id ??= meta.id;
    this.model ??= meta.model;
  }

  text(value: JsonStringLiteral): void {
    this.texts.push(literalText(value));
  }

  reasoning(value: JsonStringLiteral): void {
    const t = literalText(value);
    this.reasoningText += t;
    this.openThinking += t;
  }

  thinkingSigned(signature: string): void {
    this.blocks.push({ type: "thinking", thinking: this.openThinking, signature });
    this.openThinking = "";
  }

  thinkingRedacted(data: string): void {
    this.blocks.push({ type: "redacted_thinking", data });
  }

  toolCall(call: { index: number; id: string; name: string; args?: JsonStringLiteral | undefined; signature?: string | undefined }): void {
    this.calls[call.index] = { id: call.id, name: call.name, arguments: call.args === undefined ? "" : literalText(call.args), signature: call.signature };
  }

  toolArgs(index: number, fragment: JsonStringLiteral): void {
    const call = this.calls[index];
    if (call) call.arguments += literalText(fragment);
  }

  answerSignature(signature: string): void {
    this.signature = signature;
  }

  finish(reason: FinishReason): void {
    this.finished = reason;
  }

  usage(usage: Usage): void {
    this.lastUsage = usage;
  }

  end(): void {
    this.ended = true;
  }

  fail(failure: StreamFailure): void {
    this.failure ??= failure;
  }

  message(): HubMessage {
    if (this.failure) throw failureHttpError(this.failure);
    if (!this.ended) throw failureHttpError({ kind: "incomplete", message: "upstream stream ended before the answer was complete" });
    const toolCalls = this.calls.filter((c) => c !== undefined).map((c) => ({ ...c, arguments: c.arguments === "" ? "{}" : c.arguments }));
    return {
      id: this.id,
      model: this.model,
      text: this.texts.length > 0 ? this.texts.join("") : null,
      reasoning: this.reasoningText || undefined,
      thinkingBlocks: this.blocks.length > 0 ? this.blocks : undefined,
      answerSignature: this.signature,
      toolCalls,
      finish: this.finished ?? (toolCalls.length > 0 ? "tool_calls" : "stop"),
      usage: this.lastUsage,
    };
  }
}
