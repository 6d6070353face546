/** The `bedrock` provider's settings (`params.awsRegion` in the llm: form). */
import { z } from "zod";
import { ModelName } from "../../../config/schema/parts.ts";
import { defineProvider } from "../define.ts";
import { bedrockAdapter } from "./index.ts";

export const BedrockConfig = z
  .strictObject({
    model: ModelName,
    region: z.string().min(1),
    guardrailIdentifier: z.string().nullish(),
    guardrailVersion: z.string().nullish(),
  })
  .meta({ id: "BedrockProvider" });

export const bedrockProvider = defineProvider({
  key: "bedrock",
  schema: BedrockConfig,
  llmNames: ["bedrock"],
  fromLlmParams: (p, need) => ({ model: p.model, region: p.awsRegion || need("awsRegion") }),
  spec: (raw) => raw,
  adapter: bedrockAdapter,
  model: (s) => s.model ?? undefined,
  region: (s) => s.region,
});
