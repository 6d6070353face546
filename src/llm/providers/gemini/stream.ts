/**
 * Gemini `streamGenerateContent?alt=sse` -> OpenAI chat chunks.
 *
 * Every SSE event is a whole `GenerateContentResponse` carrying only the new parts (text pieces,
 * thought summaries, complete function calls) and the usage so far; the stream has no terminator,
 * its end is the end of the answer. So the finish chunk, the usage chunk and `[DONE]` are written
 * when the upstream body ends, and a stream that ends without a finish reason is reported as cut.
 * Plain text events take a fast path that copies the text's JSON literal into the chunk
 * (`text-event.ts`); every other event is parsed and becomes a small delta object stringified into
 * a pre-serialised frame. Usage is converted once, at the end.
 */
import { sseErrorEvent } from "../../../http/errors.ts";
import type { SseEvent, StreamContext, StreamTranslator, Usage } from "../../types.ts";
import { usageToOpenAI } from "../../usage.ts";
import { googleError } from "./error.ts";
import { blockedPromptError, chatCompletionId, finishReason, usageOf } from "./response.ts";
import { signatureField, syntheticCallId } from "./signature.ts";
import { plainTextLiteral } from "./text-event.ts";
import type { GeminiPart, GeminiResponse, GeminiUsageMetadata } from "./wire.ts";

interface Delta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  tool_calls?: Record<string, unknown>[];
  extra_content?: unknown;
}

export function geminiStream(ctx: StreamContext): StreamTranslator<SseEvent> {
  let head = ""; // `data: {"id":...,"choices":[{"index":0,"delta":` once the id is known
  let id = "";
  let roleSent = false;
  let toolCalls = 0;
  let finish: string | undefined;
  // usage is cumulative: keep the latest as sent, convert it only when asked
  let rawUsage: GeminiUsageMetadata | undefined;
  /** the latest fast-path event, whose usage has not been read yet */
  let unreadUsage: string | undefined;
  let usage: Usage | undefined;
  let finished = false;
  let error: string | undefined;
  let errorStatus: number | undefined;
  const tail = `,"logprobs":null,"finish_reason":null}]${ctx.includeUsage ? ',"usage":null' : ""}}\n\n`;

  const start = (responseId: string | undefined) => {
    id = chatCompletionId(responseId);
    head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${ctx.created},"model":${JSON.stringify(ctx.model)},"choices":[{"index":0,"delta":`;
  };
  const currentUsage = (): Usage | undefined => {
    if (unreadUsage !== undefined) {
      try {
        const u = (JSON.parse(unreadUsage) as GeminiResponse).usageMetadata;
        if (u) ((rawUsage = u), (usage = undefined));
      } catch {
        // its text was already sent; a malformed rest only loses this usage update
      }
      unreadUsage = undefined;
    }
    return (usage ??= usageOf(rawUsage));
  };

  const fail = (message: string, type: string, code: string | null, status?: number): string => {
    finished = true;
    error = message;
    errorStatus = status;
    return sseErrorEvent(message, type, code);
  };

  /** A chunk whose delta is `fields` (serialised object members, without braces). */
  const chunk = (fields: string): string => {
    if (roleSent) return `${head}{${fields}}${tail}`;
    roleSent = true;
    return `${head}{"role":"assistant",${fields}}${tail}`;
  };

  /** Any mix of parts: thoughts, text, function calls, signatures. */
  const deltaOf = (parts: GeminiPart[]): string => {
    const delta: Delta = {};
    for (const part of parts) {
      if (part.functionCall) {
        const call: Record<string, unknown> = {
          index: toolCalls++,
          id: part.functionCall.id || syntheticCallId(),
          type: "function",
          function: { name: part.functionCall.name ?? "", arguments: JSON.stringify(part.functionCall.args ?? {}) },
        };
        if (part.thoughtSignature) call.extra_content = signatureField(part.thoughtSignature);
        (delta.tool_calls ??= []).push(call);
      } else if (typeof part.text === "string") {
        if (part.thought) delta.reasoning_content = (delta.reasoning_content ?? "") + part.text;
        else if (part.text !== "") delta.content = (delta.content ?? "") + part.text;
        // a signature on a text or thought part (Gemini 3: often an empty last part) is the answer's
        if (part.thoughtSignature) delta.extra_content = signatureField(part.thoughtSignature);
      }
    }
    if (delta.content === undefined && delta.reasoning_content === undefined && !delta.tool_calls && !delta.extra_content) return "";
    return chunk(JSON.stringify(delta).slice(1, -1));
  };

  return {
    get finished() {
      return finished;
    },
    get error() {
      return error;
    },
    get errorStatus() {
      return errorStatus;
    },
    get usage() {
      return currentUsage();
    },

    push(frame) {
      if (finished || frame.data === "") return "";
      if (head !== "") {
        const literal = plainTextLiteral(frame.data);
        if (literal !== undefined) {
          unreadUsage = frame.data;
          return literal === '""' ? "" : chunk(`"content":${literal}`);
        }
      }
      let r: GeminiResponse;
      try {
        r = JSON.parse(frame.data);
      } catch {
        return fail("upstream sent an invalid stream event", "api_error", "upstream_invalid_event");
      }
      if (r.error) {
        const e = googleError(r.error.code ?? 500, r);
        return fail(e.message, e.type, e.code, r.error.code ?? 500);
      }
      if (r.usageMetadata) {
        rawUsage = r.usageMetadata;
        unreadUsage = undefined;
        usage = undefined;
      }
      if (r.promptFeedback) {
        const blocked = blockedPromptError(r);
        if (blocked) return fail(blocked.message, blocked.type, blocked.code, 400);
      }
      if (head === "") start(r.responseId);

      const candidate = r.candidates?.[0];
      if (!candidate) return "";
      if (candidate.finishReason) finish = candidate.finishReason;
      const parts = candidate.content?.parts;
      if (!parts || parts.length === 0) return "";
      // the common event: one more piece of answer text
      const only = parts.length === 1 ? parts[0]! : undefined;
      if (only && typeof only.text === "string" && only.thought === undefined && only.thoughtSignature === undefined && only.functionCall === undefined) {
        return only.text === "" ? "" : chunk(`"content":${JSON.stringify(only.text)}`);
      }
      return deltaOf(parts);
    },

    end() {
      if (finished) return "";
      if (finish === undefined) {
        return fail("upstream stream ended before Gemini finished its answer", "api_error", "upstream_stream_incomplete");
      }
      finished = true;
      if (head === "") start(undefined);
      const delta = roleSent ? "{}" : '{"role":"assistant","content":""}';
      let out = `${head}${delta},"logprobs":null,"finish_reason":"${finishReason(finish, toolCalls > 0)}"}]${ctx.includeUsage ? ',"usage":null' : ""}}\n\n`;
      const u = currentUsage();
      if (ctx.includeUsage && u) {
        out += `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: ctx.created, model: ctx.model, choices: [], usage: usageToOpenAI(u) })}\n\n`;
      }
      return `${out}data: [DONE]\n\n`;
    },
  };
}
