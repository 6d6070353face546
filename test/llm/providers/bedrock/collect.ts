/** Reads an OpenAI SDK stream the way an application would, keeping every chunk. */
import type OpenAI from "openai";

export interface Collected {
  chunks: OpenAI.Chat.Completions.ChatCompletionChunk[];
  content: string;
  reasoning: string;
  thinkingBlocks: unknown[];
  toolCalls: { index: number; id?: string; name?: string; arguments: string }[];
  finish: string | null | undefined;
  usage: OpenAI.CompletionUsage | null | undefined;
}

export async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<Collected> {
  const out: Collected = { chunks: [], content: "", reasoning: "", thinkingBlocks: [], toolCalls: [], finish: undefined, usage: undefined };
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    if (chunk.usage) out.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta as typeof choice.delta & { reasoning_content?: string; thinking_blocks?: unknown[] };
    if (delta.content) out.content += delta.content;
    if (delta.reasoning_content) out.reasoning += delta.reasoning_content;
    if (delta.thinking_blocks) out.thinkingBlocks.push(...delta.thinking_blocks);
    for (const tc of delta.tool_calls ?? []) {
      let call = out.toolCalls.find((c) => c.index === tc.index);
      if (!call) out.toolCalls.push((call = { index: tc.index, arguments: "" }));
      if (tc.id) call.id = tc.id;
      if (tc.function?.name) call.name = tc.function.name;
      if (tc.function?.arguments) call.arguments += tc.function.arguments;
    }
    if (choice.finish_reason) out.finish = choice.finish_reason;
  }
  return out;
}
