/** The `openAI` provider's settings (`provider: {openAI: {...}}`, or `provider: openai` in the llm: form). */
import { z } from "zod";
import { ModelName, notYet } from "../../../config/schema/parts.ts";
import { defineProvider } from "../define.ts";
import { openaiAdapter } from "./index.ts";

export const OpenAIConfig = z.strictObject({ model: ModelName, moderation: notYet("moderation") }).meta({ id: "OpenAIProvider" });

export const openaiProvider = defineProvider({
  key: "openAI",
  schema: OpenAIConfig,
  llmNames: ["openai", "openAI"],
  fromLlmParams: (p) => ({ model: p.model }),
  spec: (raw) => raw,
  adapter: openaiAdapter,
  model: (s) => s.model ?? undefined,
});
