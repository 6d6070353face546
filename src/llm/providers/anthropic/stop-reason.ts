/**
 * Anthropic `stop_reason` -> OpenAI `finish_reason` (WIRE.md table). Never leaks a raw Anthropic
 * value: strict SDK enums and agent loops branch on it (LiteLLM #12481).
 */
import type { FinishReason } from "../../hub/parts.ts";

export function finishReason(stopReason: unknown): FinishReason {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "refusal":
      return "content_filter";
    default:
      // end_turn, stop_sequence, pause_turn, and values newer than this table
      return "stop";
  }
}
