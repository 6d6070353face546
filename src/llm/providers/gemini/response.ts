/**
 * Gemini `GenerateContentResponse` -> the hub's whole answer (id `chatcmpl-<responseId>`, the
 * model as `modelVersion` reports it), plus what the stream translator shares: finish reasons
 * (WIRE.md table), usage, blocked prompts.
 */
import { HttpError } from "../../../http/errors.ts";
import type { FinishReason, HubMessage } from "../../hub/parts.ts";
import type { StreamContext, Usage } from "../../types.ts";
import { syntheticCallId } from "./signature.ts";
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
export function finishReason(reason: string | undefined, hasToolCalls: boolean): FinishReason {
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

/** The OpenAI id of an answer: Gemini's `responseId`, prefixed as OpenAI's ids are. */
export function chatCompletionId(responseId: string): string {
  return `chatcmpl-${responseId}`;
}

export function toChatCompletion(bodyText: string, _ctx: StreamContext): HubMessage {
  const r = JSON.parse(bodyText) as GeminiResponse;
  const blocked = blockedPromptError(r);
  if (blocked) throw blocked;
  const candidate = r.candidates?.[0];
  let content = "";
  let reasoning = "";
  let textSignature: string | undefined;
  const toolCalls: HubMessage["toolCalls"] = [];
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall) {
      const call = part.functionCall;
      toolCalls.push({ id: call.id || syntheticCallId(), name: call.name ?? "", arguments: JSON.stringify(call.args ?? {}), signature: part.thoughtSignature || undefined });
    } else if (typeof part.text === "string") {
      if (part.thought) reasoning += part.text;
      else content += part.text;
      if (part.thoughtSignature) textSignature = part.thoughtSignature;
    }
  }
  return {
    id: r.responseId ? chatCompletionId(r.responseId) : undefined,
    model: r.modelVersion,
    text: content === "" && (toolCalls.length > 0 || reasoning !== "") ? null : content,
    reasoning: reasoning !== "" ? reasoning : undefined,
    answerSignature: textSignature,
    toolCalls,
    finish: finishReason(candidate?.finishReason, toolCalls.length > 0),
    usage: usageOf(r.usageMetadata),
  };
}
