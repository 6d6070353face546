/**
 * The `custom` provider's settings (a server speaking known formats at a configured base URL), and
 * agentgateway's presets (groq, ollama, openrouter...), which are custom providers with a fixed
 * base URL and formats.
 */
import { z } from "zod";
import { ModelName } from "../../../config/schema/parts.ts";
import { defineProvider } from "../define.ts";
import { customAdapter } from "./index.ts";

export const ProviderFormatType = z
  .enum(["completions", "messages", "responses", "embeddings", "anthropicTokenCount", "generateContent", "geminiCountTokens", "realtime", "rerank"])
  .meta({ id: "ProviderFormat" });

export const CustomConfig = z
  .strictObject({
    model: ModelName,
    providerOverride: z.string().nullish(),
    formats: z
      .array(z.strictObject({ type: ProviderFormatType, path: z.string().nullish() }))
      .min(1, { error: "a custom provider needs at least one format" }),
  })
  .meta({ id: "CustomProvider" });

export const customProvider = defineProvider({
  key: "custom",
  schema: CustomConfig,
  spec: (raw) => ({ model: raw.model, providerName: raw.providerOverride ?? "custom", formats: raw.formats }),
  adapter: customAdapter,
  model: (s) => s.model ?? undefined,
});
