/**
 * The provider registry: config key -> adapter. Adding a provider is one folder under
 * `providers/` and one line here.
 */
import type { ProviderAdapter } from "../types.ts";
import { anthropicAdapter } from "./anthropic/index.ts";
import { azureAdapter } from "./azure/index.ts";
import { bedrockAdapter } from "./bedrock/index.ts";
import { customAdapter } from "./custom/index.ts";
import { geminiAdapter } from "./gemini/index.ts";
import { openaiAdapter } from "./openai/index.ts";
import { vertexAdapter } from "./vertex/index.ts";

export type ProviderKind = "openAI" | "anthropic" | "gemini" | "vertex" | "bedrock" | "azure" | "custom";

export const PROVIDERS: Record<ProviderKind, ProviderAdapter<never>> = {
  openAI: openaiAdapter,
  custom: customAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  vertex: vertexAdapter,
  bedrock: bedrockAdapter,
  azure: azureAdapter,
};
