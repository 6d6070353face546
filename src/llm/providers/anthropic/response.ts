/**
 * Anthropic Message -> the hub's whole answer. Text blocks join into the text, `tool_use` blocks
 * become tool calls (arguments as a JSON string), thinking becomes reasoning plus the signed
 * blocks (for the client to send back on its next turn). The OpenAI JSON is the writer's.
 */
import type { HubMessage, ThinkingBlock } from "../../hub/parts.ts";
import type { StreamContext } from "../../types.ts";
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

export function fromAnthropicMessage(body: string, _ctx: StreamContext): HubMessage {
  const msg = JSON.parse(body) as { id?: unknown; model?: unknown; content?: ContentBlock[]; stop_reason?: unknown; usage?: unknown };
  if (!msg || typeof msg !== "object" || !Array.isArray(msg.content)) throw new Error("not an Anthropic message");
  let text: string | null = null;
  let reasoning: string | undefined;
  const thinkingBlocks: ThinkingBlock[] = [];
  const toolCalls: HubMessage["toolCalls"] = [];
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
        toolCalls.push({ id: block.id ?? `call_${toolCalls.length}`, name: block.name ?? "", arguments: JSON.stringify(block.input ?? {}) });
        break;
      // server tool blocks (web search...) and citations have no OpenAI counterpart
    }
  }
  return {
    id: typeof msg.id === "string" ? msg.id : undefined,
    model: typeof msg.model === "string" ? msg.model : undefined,
    text,
    reasoning,
    thinkingBlocks: thinkingBlocks.length > 0 ? thinkingBlocks : undefined,
    toolCalls,
    finish: finishReason(msg.stop_reason),
    usage: toUsage(readTokens(emptyTokens(), msg.usage)),
  };
}
