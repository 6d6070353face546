/**
 * The stream hub: provider translators say what happened in an answer as typed parts, and one
 * writer per client format serialises them (OpenAI chat chunks today; Anthropic Messages, OpenAI
 * Responses and Gemini chunks next). N provider readers + M client writers, not N x M.
 *
 * Text-like values travel as JSON string literals (`"..."`, quotes and escapes included): the
 * translators' fast paths cut them out of the provider's bytes without parsing, and every writer
 * can place them into its own JSON unchanged. Use `literal(text)` for a plain string.
 */
import type { Usage } from "../types.ts";

/** A JSON string literal, quotes included (`"hi \"there\""`). */
export type JsonStringLiteral = string & { readonly __jsonStringLiteral: true };

export function literal(text: string): JsonStringLiteral {
  return JSON.stringify(text) as JsonStringLiteral;
}

/** Marks a slice the caller has checked to be one complete JSON string literal. */
export function trustedLiteral(text: string): JsonStringLiteral {
  return text as JsonStringLiteral;
}

/** A JSON string literal's text (no parse when it has no escapes). */
export function literalText(v: JsonStringLiteral): string {
  return v.indexOf("\\") === -1 ? v.slice(1, -1) : (JSON.parse(v) as string);
}

/** Why the answer ended, in the hub's (OpenAI's) terms; each writer maps it to its format. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/**
 * How a stream failed:
 *   provider    the provider reported an error (an error event, an exception frame, a blocked prompt)
 *   invalid     the provider sent something that is not its format (bad JSON, a corrupt frame)
 *   incomplete  the stream ended (or was cut) before the answer was complete
 *   connection  the connection broke or timed out mid-stream (reported by the pipeline)
 */
export type FailureKind = "provider" | "invalid" | "incomplete" | "connection";

export interface StreamFailure {
  kind: FailureKind;
  /** for the client and the log: the provider's own message when there is one (already redacted) */
  message: string;
  /** the HTTP status this failure would have had before any content (429 throttled, 400 blocked...) */
  status?: number;
  /** the provider's error type or code (`overloaded_error`, `throttlingException`, `RESOURCE_EXHAUSTED`) */
  providerCode?: string;
}

/** A signed thinking block, replayed verbatim on the next turn (Anthropic, Bedrock Claude). */
export type ThinkingBlock = { type: "thinking"; thinking: string; signature: string } | { type: "redacted_thinking"; data: string };

/**
 * What a provider translator tells the writer, in order. A writer never sees a part after
 * `end()` or `fail()`.
 */
export interface HubWriter {
  /** the answer starts; `id` and `model` as the provider reports them (undefined: not reported) */
  start(meta: { id?: string | undefined; model?: string | undefined }): void;
  /** more answer text (never empty) */
  text(value: JsonStringLiteral): void;
  /** more reasoning / thinking text (never empty) */
  reasoning(value: JsonStringLiteral): void;
  /** the current thinking block is complete and signed (its text is what `reasoning` carried since the last block) */
  thinkingSigned(signature: string): void;
  /** a redacted thinking block (opaque data) */
  thinkingRedacted(data: string): void;
  /**
   * A tool call starts. `index` counts tool calls in this answer (0, 1, ...). `args` is the whole
   * argument JSON text as a literal when the provider gives it at once (Gemini), else undefined
   * and fragments follow with `toolArgs`. `signature` is an opaque provider signature to replay
   * (Gemini's `thoughtSignature`).
   */
  toolCall(call: { index: number; id: string; name: string; args?: JsonStringLiteral | undefined; signature?: string | undefined }): void;
  /** a fragment of a tool call's argument JSON text (never empty) */
  toolArgs(index: number, fragment: JsonStringLiteral): void;
  /** an opaque signature for the answer text (Gemini's `thoughtSignature` on a text part) */
  answerSignature(signature: string): void;
  /** the answer's finish reason (may come before the final usage) */
  finish(reason: FinishReason): void;
  /** usage so far (cumulative: the latest call wins) */
  usage(usage: Usage): void;
  /** the stream is complete */
  end(): void;
  /** the stream failed; nothing follows */
  fail(failure: StreamFailure): void;
}

/** A whole (non-streamed) answer, as the hub sees it. */
export interface HubMessage {
  id?: string | undefined;
  model?: string | undefined;
  /** null when the answer has no text (tool calls only) */
  text: string | null;
  reasoning?: string | undefined;
  thinkingBlocks?: ThinkingBlock[] | undefined;
  answerSignature?: string | undefined;
  toolCalls: { id: string; name: string; arguments: string; signature?: string | undefined }[];
  finish: FinishReason;
  usage?: Usage | undefined;
}

/** What every translated stream is, seen from the pipeline: bytes in, parts out to its writer. */
export interface ByteTranslator {
  /** one network read */
  push(chunk: Uint8Array): void;
  /** the upstream body ended */
  end(): void;
  /**
   * The connection broke mid-stream (the pipeline then fails the writer): report what is still
   * held back, such as usage read lazily, and write nothing else.
   */
  interrupted?(): void;
  /** bytes of an unfinished frame still held (non-zero at the end: the stream was cut mid-frame) */
  readonly pending: number;
}

/**
 * A writer for one client format, seen from the pipeline: it serialises parts into that
 * format's bytes and is drained after each network read.
 */
export interface ClientStreamWriter extends HubWriter {
  /** the text produced since the last call ("" for none) */
  take(): string;
  /** `end()` or `fail()` was written */
  readonly done: boolean;
  /**
   * Whether anything of the answer has been produced yet. A failure before that is answered
   * with a real HTTP status instead of an error event under 200 (SDK retries, error classes).
   */
  readonly contentStarted: boolean;
  readonly failure: StreamFailure | undefined;
  /** the latest usage reported (not `usage`: that is the part this writer takes) */
  readonly reportedUsage: Usage | undefined;
  /** the model named in the answer (the provider's when it reported one) */
  readonly model: string;
}
