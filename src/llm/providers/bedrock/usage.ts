/**
 * Bedrock token usage -> the gateway's (OpenAI semantics). Bedrock's `inputTokens` excludes
 * prompt-cache reads and writes (as Anthropic's does); OpenAI's `prompt_tokens` includes them,
 * with the cached part in `prompt_tokens_details.cached_tokens`.
 */
import type { Usage } from "../../types.ts";

export interface BedrockUsage {
  inputTokens?: unknown;
  outputTokens?: unknown;
  cacheReadInputTokens?: unknown;
  cacheWriteInputTokens?: unknown;
}

export function usageFromBedrock(u: BedrockUsage | undefined): Usage | undefined {
  if (!u || typeof u !== "object") return undefined;
  const read = n(u.cacheReadInputTokens);
  const write = n(u.cacheWriteInputTokens);
  const input = n(u.inputTokens) + read + write;
  const output = n(u.outputTokens);
  const usage: Usage = { inputTokens: input, outputTokens: output, totalTokens: input + output };
  if (u.cacheReadInputTokens !== undefined || u.cacheWriteInputTokens !== undefined) {
    usage.cachedInputTokens = read;
    usage.cacheWriteInputTokens = write;
  }
  return usage;
}

function n(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}
