/**
 * Anthropic usage -> the gateway's usage (OpenAI semantics). Anthropic's `input_tokens` excludes
 * cached tokens; OpenAI's `prompt_tokens` includes them, with the cache reads repeated in
 * `prompt_tokens_details.cached_tokens` (WIRE.md; Portkey #1210 shows what goes wrong otherwise).
 */
import type { Usage } from "../../types.ts";

/** The token counts of a Message's `usage` (or a stream's `message_start`/`message_delta`). */
export interface AnthropicTokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export function emptyTokens(): AnthropicTokens {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
}

/** Folds the fields present in `raw` into `t` (later events repeat or update earlier counts). */
export function readTokens(t: AnthropicTokens, raw: unknown): AnthropicTokens {
  if (!raw || typeof raw !== "object") return t;
  const u = raw as Record<string, unknown>;
  if (typeof u.input_tokens === "number") t.input = u.input_tokens;
  if (typeof u.output_tokens === "number") t.output = u.output_tokens;
  if (typeof u.cache_read_input_tokens === "number") t.cacheRead = u.cache_read_input_tokens;
  if (typeof u.cache_creation_input_tokens === "number") t.cacheWrite = u.cache_creation_input_tokens;
  return t;
}

export function toUsage(t: AnthropicTokens): Usage {
  const prompt = t.input + t.cacheRead + t.cacheWrite;
  const usage: Usage = { inputTokens: prompt, outputTokens: t.output, totalTokens: prompt + t.output, cachedInputTokens: t.cacheRead };
  if (t.cacheWrite > 0) usage.cacheWriteInputTokens = t.cacheWrite;
  return usage;
}
