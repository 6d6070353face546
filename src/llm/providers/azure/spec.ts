/**
 * The `azure` provider's settings (`params.azure*` in the llm: form), and the legacy
 * `azureOpenAI` form (agentgateway <= 1.1: a full host, paths as for `openAI` resources).
 */
import { z } from "zod";
import { ModelName } from "../../../config/schema/parts.ts";
import { defineProvider } from "../define.ts";
import { azureAdapter } from "./index.ts";

export const AzureResourceType = z.enum(["openAI", "foundry", "aiServices"]).meta({ id: "AzureResourceType" });

export const AzureConfig = z
  .strictObject({
    model: ModelName,
    resourceName: z.string().min(1),
    resourceType: AzureResourceType,
    apiVersion: z.string().nullish(),
    projectName: z.string().nullish(),
  })
  .meta({ id: "AzureProvider" });

export const azureProvider = defineProvider({
  key: "azure",
  schema: AzureConfig,
  llmNames: ["azure"],
  fromLlmParams(p, need) {
    if (!p.azureResourceType) need("azureResourceType");
    return {
      model: p.model,
      resourceName: p.azureResourceName || need("azureResourceName"),
      resourceType: p.azureResourceType ?? "openAI",
      apiVersion: p.azureApiVersion,
      projectName: p.azureProjectName,
    };
  },
  spec: (raw) => raw,
  adapter: azureAdapter,
  model: (s) => s.model ?? undefined,
});

export const LegacyAzureConfig = z
  .strictObject({ model: ModelName, host: z.string().min(1), apiVersion: z.string().nullish() })
  .meta({ id: "AzureOpenAIProvider", description: "Legacy (agentgateway <= 1.1) Azure form." });

export const legacyAzureProvider = defineProvider({
  key: "azureOpenAI",
  schema: LegacyAzureConfig,
  spec: (raw) => ({ model: raw.model, apiVersion: raw.apiVersion, legacyHost: raw.host }),
  adapter: azureAdapter,
  model: (s) => s.model ?? undefined,
});
