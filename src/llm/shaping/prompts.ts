/**
 * `ai.prompts`: messages added before and after the client's (agentgateway's prompt
 * enrichment), on the hub request (OpenAI chat). A `system` (or `developer`) message lands in
 * each provider's system field through the translators (Anthropic `system`, Bedrock `system`,
 * Gemini `systemInstruction`), wherever it sits in the list.
 */
import { z } from "zod";
import type { BodyDraft } from "../../policies/types.ts";

const Message = z.strictObject({ role: z.string().min(1), content: z.string() });

export const PromptsSchema = z
  .strictObject({ prepend: z.array(Message).nullish(), append: z.array(Message).nullish() })
  .meta({ id: "PromptEnrichment" });

export type RawPrompts = z.output<typeof PromptsSchema>;

/** The enrichment as one function, or undefined when it adds nothing. */
export function compilePrompts(raw: RawPrompts | null | undefined): ((draft: BodyDraft) => void) | undefined {
  const prepend = raw?.prepend ?? [];
  const append = raw?.append ?? [];
  if (prepend.length === 0 && append.length === 0) return undefined;
  return (draft) => {
    const messages = draft.body.messages;
    if (!Array.isArray(messages)) return;
    draft.set("messages", [...prepend.map((m) => ({ ...m })), ...messages, ...append.map((m) => ({ ...m }))]);
  };
}
