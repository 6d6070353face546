/** Token usage in and out of the OpenAI shape. */
import type { Usage } from "./types.ts";

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

export function usageFromOpenAI(raw: unknown): Usage | undefined {
  if (!raw || typeof raw !== "object") return undefined;
  const u = raw as OpenAIUsage;
  const input = num(u.prompt_tokens);
  const output = num(u.completion_tokens);
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: num(u.total_tokens) || input + output };
  const cached = u.prompt_tokens_details?.cached_tokens;
  if (typeof cached === "number") usage.cachedInputTokens = cached;
  const written = u.prompt_tokens_details?.cache_write_tokens;
  if (typeof written === "number") usage.cacheWriteInputTokens = written;
  const reasoning = u.completion_tokens_details?.reasoning_tokens;
  if (typeof reasoning === "number") usage.reasoningTokens = reasoning;
  return usage;
}

/** OpenAI `usage` object for translated responses. */
export function usageToOpenAI(u: Usage): Record<string, unknown> {
  const out: Record<string, unknown> = {
    prompt_tokens: u.inputTokens,
    completion_tokens: u.outputTokens,
    total_tokens: u.totalTokens,
  };
  if (u.cachedInputTokens !== undefined || u.cacheWriteInputTokens !== undefined) {
    const details: Record<string, number> = { cached_tokens: u.cachedInputTokens ?? 0 };
    if (u.cacheWriteInputTokens !== undefined) details.cache_write_tokens = u.cacheWriteInputTokens;
    out.prompt_tokens_details = details;
  }
  if (u.reasoningTokens !== undefined) out.completion_tokens_details = { reasoning_tokens: u.reasoningTokens };
  return out;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
