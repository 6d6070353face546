/**
 * Bedrock Converse response -> the hub's whole answer.
 *   text blocks           -> text (joined)
 *   toolUse blocks        -> tool calls (names restored, input as a JSON string)
 *   reasoningContent      -> reasoning (text) and the signed blocks (`{type:"thinking", thinking,
 *                            signature}` / `{type:"redacted_thinking", data}`, LiteLLM's shape: sent
 *                            back on the assistant message to continue a tool conversation with
 *                            thinking); reasoning without a signature is not a block to send back,
 *                            as in streams
 *   stopReason, usage     -> finish reason, usage (cache reads/writes included in prompt_tokens)
 * The id is Bedrock's request id (`x-amzn-requestid`), so a client's id finds the AWS-side logs.
 */
import type { HubMessage, ThinkingBlock } from "../../hub/parts.ts";
import type { StreamContext } from "../../types.ts";
import type { BedrockRequestState } from "./request.ts";
import { finishReason } from "./stop-reason.ts";
import { originalName } from "./tool-names.ts";
import { usageFromBedrock, type BedrockUsage } from "./usage.ts";

interface ConverseBlock {
  text?: unknown;
  toolUse?: { toolUseId?: unknown; name?: unknown; input?: unknown };
  reasoningContent?: { reasoningText?: { text?: unknown; signature?: unknown }; redactedContent?: unknown };
}

interface ConverseResponse {
  output?: { message?: { content?: ConverseBlock[] } };
  stopReason?: unknown;
  usage?: BedrockUsage;
}

export function chatCompletion(body: string, ctx: StreamContext, state: BedrockRequestState | undefined): HubMessage {
  const res = JSON.parse(body) as ConverseResponse;
  let text: string | null = null;
  let reasoning: string | undefined;
  const thinking: ThinkingBlock[] = [];
  const toolCalls: HubMessage["toolCalls"] = [];
  for (const b of res.output?.message?.content ?? []) {
    if (typeof b.text === "string") text = (text ?? "") + b.text;
    else if (b.toolUse) {
      const name = typeof b.toolUse.name === "string" ? originalName(state?.toolNames, b.toolUse.name) : "";
      const id = typeof b.toolUse.toolUseId === "string" ? b.toolUse.toolUseId : "";
      toolCalls.push({ id, name, arguments: JSON.stringify(b.toolUse.input ?? {}) });
    } else if (b.reasoningContent) {
      const r = b.reasoningContent;
      if (r.reasoningText && typeof r.reasoningText.text === "string") {
        reasoning = (reasoning ?? "") + r.reasoningText.text;
        if (typeof r.reasoningText.signature === "string") thinking.push({ type: "thinking", thinking: r.reasoningText.text, signature: r.reasoningText.signature });
      } else if (typeof r.redactedContent === "string") {
        thinking.push({ type: "redacted_thinking", data: r.redactedContent });
      }
    }
  }
  return {
    id: ctx.upstreamHeaders.get("x-amzn-requestid") ?? undefined,
    text,
    reasoning,
    thinkingBlocks: thinking.length > 0 ? thinking : undefined,
    toolCalls,
    finish: finishReason(res.stopReason, toolCalls.length > 0),
    usage: usageFromBedrock(res.usage),
  };
}
