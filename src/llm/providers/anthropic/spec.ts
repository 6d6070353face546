/** The `anthropic` provider's settings. */
import { z } from "zod";
import { ModelName } from "../../../config/schema/parts.ts";
import { defineProvider } from "../define.ts";
import { anthropicAdapter } from "./index.ts";

export const AnthropicConfig = z.strictObject({ model: ModelName }).meta({ id: "AnthropicProvider" });

export const anthropicProvider = defineProvider({
  key: "anthropic",
  schema: AnthropicConfig,
  llmNames: ["anthropic"],
  fromLlmParams: (p) => ({ model: p.model }),
  spec: (raw) => raw,
  adapter: anthropicAdapter,
  model: (s) => s.model ?? undefined,
});
