/**
 * Anthropic Message -> OpenAI `chat.completion`. Text blocks join into `content`, `tool_use`
 * blocks become `tool_calls` (arguments as a JSON string), thinking becomes `reasoning_content`
 * plus `thinking_blocks` (the signed blocks, for the client to send back on its next turn).
 */
import type { StreamContext, Usage } from "../../types.ts";
import { usageToOpenAI } from "../../usage.ts";
import { finishReason } from "./stop-reason.ts";
import { emptyTokens, readTokens, toUsage } from "./usage.ts";

interface ContentBlock {
  type?: string;
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export function fromAnthropicMessage(body: string, ctx: StreamContext): { json: string; usage: Usage | undefined } {
  const msg = JSON.parse(body) as { id?: unknown; model?: unknown; content?: ContentBlock[]; stop_reason?: unknown; usage?: unknown };
  if (!msg || typeof msg !== "object" || !Array.isArray(msg.content)) throw new Error("not an Anthropic message");
  let text: string | null = null;
  let reasoning: string | undefined;
  const thinkingBlocks: ContentBlock[] = [];
  const toolCalls: unknown[] = [];
  for (const block of msg.content) {
    switch (block.type) {
      case "text":
        text = (text ?? "") + (block.text ?? "");
        break;
      case "thinking":
        reasoning = (reasoning ?? "") + (block.thinking ?? "");
        thinkingBlocks.push({ type: "thinking", thinking: block.thinking ?? "", signature: block.signature ?? "" });
        break;
      case "redacted_thinking":
        thinkingBlocks.push({ type: "redacted_thinking", data: block.data ?? "" });
        break;
      case "tool_use":
        toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) } });
        break;
      // server tool blocks (web search...) and citations have no OpenAI counterpart
    }
  }
  const message: Record<string, unknown> = { role: "assistant", content: text, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (thinkingBlocks.length > 0) message.thinking_blocks = thinkingBlocks;
  const usage = toUsage(readTokens(emptyTokens(), msg.usage));
  const json = JSON.stringify({
    id: typeof msg.id === "string" ? msg.id : `chatcmpl-${crypto.randomUUID()}`,
    object: "chat.completion",
    created: ctx.created,
    model: typeof msg.model === "string" ? msg.model : ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(msg.stop_reason) }],
    usage: usageToOpenAI(usage),
  });
  return { json, usage };
}
