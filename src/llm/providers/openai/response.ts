/** An OpenAI `chat.completion` -> the hub's whole answer (for clients of another format). */
import type { HubMessage, ThinkingBlock } from "../../hub/parts.ts";
import type { StreamContext } from "../../types.ts";
import { usageFromOpenAI } from "../../usage.ts";
import { signatureOf } from "../gemini/signature.ts";
import { contentParts } from "./content-parts.ts";
import { openaiFinish } from "./stream.ts";

interface Completion {
  id?: unknown;
  model?: unknown;
  usage?: unknown;
  choices?: {
    finish_reason?: unknown;
    message?: {
      content?: unknown;
      reasoning_content?: unknown;
      reasoning?: unknown;
      thinking_blocks?: unknown;
      tool_calls?: { id?: unknown; function?: { name?: unknown; arguments?: unknown } }[];
    };
  }[];
}

export function fromOpenAICompletion(body: string, _ctx: StreamContext): HubMessage {
  const c = JSON.parse(body) as Completion;
  const choice = c.choices?.[0];
  if (!choice) throw new Error("no choice");
  const m = choice.message ?? {};
  const parts = Array.isArray(m.content) ? contentParts(m.content) : undefined;
  const reasoning = typeof m.reasoning_content === "string" ? m.reasoning_content : typeof m.reasoning === "string" ? m.reasoning : parts?.thinking;
  const toolCalls = (m.tool_calls ?? []).map((t, i) => ({
    id: typeof t.id === "string" ? t.id : `call_${i}`,
    name: typeof t.function?.name === "string" ? t.function.name : "",
    arguments: typeof t.function?.arguments === "string" ? t.function.arguments : "{}",
    signature: signatureOf(t),
  }));
  const blocks = Array.isArray(m.thinking_blocks) ? (m.thinking_blocks as ThinkingBlock[]).filter((b) => b?.type === "thinking" || b?.type === "redacted_thinking") : undefined;
  return {
    id: typeof c.id === "string" ? c.id : undefined,
    model: typeof c.model === "string" ? c.model : undefined,
    text: typeof m.content === "string" ? m.content : parts?.text || null,
    reasoning: reasoning || undefined,
    thinkingBlocks: blocks?.length ? blocks : undefined,
    toolCalls,
    finish: openaiFinish(choice.finish_reason),
    usage: usageFromOpenAI(c.usage),
  };
}
