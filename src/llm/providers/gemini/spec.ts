/** The `gemini` provider's settings (Google AI Studio). */
import { z } from "zod";
import { ModelName } from "../../../config/schema/parts.ts";
import { defineProvider } from "../define.ts";
import { geminiAdapter } from "./index.ts";

export const GeminiConfig = z.strictObject({ model: ModelName }).meta({ id: "GeminiProvider" });

export const geminiProvider = defineProvider({
  key: "gemini",
  schema: GeminiConfig,
  llmNames: ["gemini"],
  fromLlmParams: (p) => ({ model: p.model }),
  spec: (raw) => raw,
  adapter: geminiAdapter,
  model: (s) => s.model ?? undefined,
});
