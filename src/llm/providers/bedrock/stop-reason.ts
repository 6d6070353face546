/**
 * Bedrock `stopReason` -> OpenAI `finish_reason` (WIRE.md's table). When the answer carried tool
 * calls, an ordinary stop becomes `tool_calls` (agent loops branch on it), but truncation stays
 * `length` so clients can tell the arguments may be cut.
 */
import type { FinishReason } from "../../hub/parts.ts";

export function finishReason(stopReason: unknown, sawToolCalls: boolean): FinishReason {
  switch (stopReason) {
    case "max_tokens":
    case "model_context_window_exceeded":
      return "length";
    case "tool_use":
      return "tool_calls";
    case "guardrail_intervened":
    case "content_filtered":
      return "content_filter";
    default:
      // end_turn, stop_sequence, malformed_model_output, malformed_tool_use, unknown future values
      return sawToolCalls ? "tool_calls" : "stop";
  }
}
