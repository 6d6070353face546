/** The `llm:` form's `params` (agentgateway's `LocalLLMParams`): one flat object for every provider. */
import { z } from "zod";
import { AzureResourceType } from "../../llm/providers/azure/spec.ts";
import { FileOrInline, ModelName, UpstreamPath } from "./parts.ts";

export const LlmParams = z.strictObject({
  model: ModelName,
  apiKey: FileOrInline.nullish(),
  awsRegion: z.string().nullish(),
  vertexRegion: z.string().nullish(),
  vertexProject: z.string().nullish(),
  azureResourceName: z.string().nullish(),
  azureResourceType: AzureResourceType.nullish(),
  azureApiVersion: z.string().nullish(),
  azureProjectName: z.string().nullish(),
  baseUrl: z.url({ error: "expected an absolute URL such as https://api.example.com/v1" }).nullish(),
  hostOverride: z.string().nullish(),
  pathOverride: UpstreamPath.nullish(),
  pathPrefix: UpstreamPath.nullish(),
  tokenize: z.literal(false, { error: "'tokenize' is not supported yet by this gateway" }).optional(),
}).meta({ id: "LlmParams" });

export type RawLlmParams = z.output<typeof LlmParams>;
