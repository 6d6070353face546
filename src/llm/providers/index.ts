/**
 * The provider registry: each folder under `providers/` brings its settings schema, its `llm:`
 * params mapping and its adapter (`spec.ts`); adding a provider is one folder and one line here.
 * The config schema's `provider:` object and the `llm:` form's provider names come from this list.
 */
import { anthropicProvider } from "./anthropic/spec.ts";
import { azureProvider, legacyAzureProvider } from "./azure/spec.ts";
import { bedrockProvider } from "./bedrock/spec.ts";
import { customProvider } from "./custom/spec.ts";
import type { RegisteredProvider } from "./define.ts";
import { geminiProvider } from "./gemini/spec.ts";
import { openaiProvider } from "./openai/spec.ts";
import { vertexProvider } from "./vertex/spec.ts";

export const PROVIDERS: readonly RegisteredProvider[] = [
  openaiProvider,
  anthropicProvider,
  geminiProvider,
  vertexProvider,
  bedrockProvider,
  azureProvider,
  legacyAzureProvider,
  customProvider,
];

/** The provider of an `llm:` model's `provider: <name>`. */
export const LLM_PROVIDER_NAMES: ReadonlyMap<string, RegisteredProvider> = new Map(PROVIDERS.flatMap((p) => p.llmNames.map((n) => [n, p] as const)));
