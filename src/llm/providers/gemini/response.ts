/**
 * Gemini `GenerateContentResponse` -> OpenAI `chat.completion`, plus the two mappings the stream
 * translator shares: finish reasons (WIRE.md table) and usage.
 */
import { HttpError } from "../../../http/errors.ts";
import type { StreamContext, Usage } from "../../types.ts";
import { usageToOpenAI } from "../../usage.ts";
import { signatureField, syntheticCallId } from "./signature.ts";
import type { GeminiResponse, GeminiUsageMetadata } from "./wire.ts";

const SAFETY = new Set([
  "SAFETY",
  "RECITATION",
  "LANGUAGE",
  "BLOCKLIST",
  "PROHIBITED_CONTENT",
  "SPII",
  "IMAGE_SAFETY",
  "IMAGE_PROHIBITED_CONTENT",
  "IMAGE_RECITATION",
]);

/**
 * Gemini says STOP when it calls functions: any answer with calls is `tool_calls` (agent loops
 * branch on it), except a truncated one, which stays `length` so the client sees the cut.
 * MALFORMED_FUNCTION_CALL, OTHER and unknown reasons end as `stop`.
 */
export function finishReason(reason: string | undefined, hasToolCalls: boolean): string {
  if (reason === "MAX_TOKENS") return "length";
  if (hasToolCalls) return "tool_calls";
  if (reason !== undefined && SAFETY.has(reason)) return "content_filter";
  return "stop";
}

/** Cumulative `usageMetadata` -> gateway usage: thoughts count as output and as reasoning. */
export function usageOf(u: GeminiUsageMetadata | undefined): Usage | undefined {
  if (!u || (u.promptTokenCount === undefined && u.candidatesTokenCount === undefined && u.totalTokenCount === undefined)) return undefined;
  const input = (u.promptTokenCount ?? 0) + (u.toolUsePromptTokenCount ?? 0);
  const output = (u.candidatesTokenCount ?? 0) + (u.thoughtsTokenCount ?? 0);
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: u.totalTokenCount ?? input + output };
  if (u.cachedContentTokenCount !== undefined) usage.cachedInputTokens = u.cachedContentTokenCount;
  if (u.thoughtsTokenCount !== undefined) usage.reasoningTokens = u.thoughtsTokenCount;
  return usage;
}

/** A prompt Gemini refused to answer at all: the client's request is what has to change. */
export function blockedPromptError(r: GeminiResponse): HttpError | undefined {
  const reason = r.promptFeedback?.blockReason;
  if (!reason || (r.candidates && r.candidates.length > 0)) return undefined;
  const detail = r.promptFeedback?.blockReasonMessage ? `: ${r.promptFeedback.blockReasonMessage}` : "";
  return new HttpError(400, `Gemini blocked the prompt (blockReason ${reason})${detail}`, { code: "prompt_blocked", param: "messages" });
}

export function chatCompletionId(responseId: string | undefined): string {
  return responseId ? `chatcmpl-${responseId}` : `chatcmpl-${syntheticCallId().slice(5)}`;
}

export function toChatCompletion(bodyText: string, ctx: StreamContext): { json: string; usage: Usage | undefined } {
  const r = JSON.parse(bodyText) as GeminiResponse;
  const blocked = blockedPromptError(r);
  if (blocked) throw blocked;
  const candidate = r.candidates?.[0];
  let content = "";
  let reasoning = "";
  let textSignature: string | undefined;
  const toolCalls: Record<string, unknown>[] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall) {
      const call: Record<string, unknown> = {
        id: part.functionCall.id || syntheticCallId(),
        type: "function",
        function: { name: part.functionCall.name ?? "", arguments: JSON.stringify(part.functionCall.args ?? {}) },
      };
      if (part.thoughtSignature) call.extra_content = signatureField(part.thoughtSignature);
      toolCalls.push(call);
    } else if (typeof part.text === "string") {
      if (part.thought) reasoning += part.text;
      else content += part.text;
      if (part.thoughtSignature) textSignature = part.thoughtSignature;
    }
  }
  const message: Record<string, unknown> = {
    role: "assistant",
    content: content === "" && (toolCalls.length > 0 || reasoning !== "") ? null : content,
    refusal: null,
  };
  if (reasoning !== "") message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (textSignature) message.extra_content = signatureField(textSignature);

  const usage = usageOf(r.usageMetadata);
  const out: Record<string, unknown> = {
    id: chatCompletionId(r.responseId),
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(candidate?.finishReason, toolCalls.length > 0) }],
  };
  if (usage) out.usage = usageToOpenAI(usage);
  return { json: JSON.stringify(out), usage };
}
