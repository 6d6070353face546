/**
 * Bedrock Converse response -> OpenAI `chat.completion`.
 *   text blocks           -> message.content (joined)
 *   toolUse blocks        -> message.tool_calls (names restored, input as a JSON string)
 *   reasoningContent      -> message.reasoning_content (text) and message.thinking_blocks
 *                            (`{type:"thinking", thinking, signature}` / `{type:"redacted_thinking", data}`,
 *                            LiteLLM's shape: send them back on the assistant message to continue
 *                            a tool conversation with thinking)
 *   stopReason, usage     -> finish_reason, usage (cache reads/writes included in prompt_tokens)
 * The id is Bedrock's request id (`x-amzn-requestid`), so a client's id finds the AWS-side logs.
 */
import type { StreamContext, Usage } from "../../types.ts";
import { usageToOpenAI } from "../../usage.ts";
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

export function responseId(headers: Headers): string {
  return headers.get("x-amzn-requestid") ?? `chatcmpl-${crypto.randomUUID().replaceAll("-", "")}`;
}

export function chatCompletion(body: string, ctx: StreamContext, state: BedrockRequestState | undefined): { json: string; usage: Usage | undefined } {
  const res = JSON.parse(body) as ConverseResponse;
  let content: string | null = null;
  let reasoning: string | undefined;
  const thinking: Record<string, string>[] = [];
  const toolCalls: unknown[] = [];
  for (const b of res.output?.message?.content ?? []) {
    if (typeof b.text === "string") content = (content ?? "") + b.text;
    else if (b.toolUse) {
      const name = typeof b.toolUse.name === "string" ? originalName(state?.toolNames, b.toolUse.name) : "";
      toolCalls.push({ id: b.toolUse.toolUseId, type: "function", function: { name, arguments: JSON.stringify(b.toolUse.input ?? {}) } });
    } else if (b.reasoningContent) {
      const r = b.reasoningContent;
      if (r.reasoningText && typeof r.reasoningText.text === "string") {
        reasoning = (reasoning ?? "") + r.reasoningText.text;
        const block: Record<string, string> = { type: "thinking", thinking: r.reasoningText.text };
        if (typeof r.reasoningText.signature === "string") block.signature = r.reasoningText.signature;
        thinking.push(block);
      } else if (typeof r.redactedContent === "string") {
        thinking.push({ type: "redacted_thinking", data: r.redactedContent });
      }
    }
  }
  const message: Record<string, unknown> = { role: "assistant", content, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (thinking.length > 0) message.thinking_blocks = thinking;
  const usage = usageFromBedrock(res.usage);
  const completion: Record<string, unknown> = {
    id: responseId(ctx.upstreamHeaders),
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(res.stopReason, toolCalls.length > 0) }],
  };
  if (usage) completion.usage = usageToOpenAI(usage);
  return { json: JSON.stringify(completion), usage };
}
