/** The `vertex` provider's settings (`params.vertexProject` / `vertexRegion` in the llm: form). */
import { z } from "zod";
import { ModelName } from "../../../config/schema/parts.ts";
import { defineProvider } from "../define.ts";
import { vertexAdapter } from "./index.ts";

export const VertexConfig = z
  .strictObject({ model: ModelName, region: z.string().nullish(), projectId: z.string().min(1) })
  .meta({ id: "VertexProvider" });

export const vertexProvider = defineProvider({
  key: "vertex",
  schema: VertexConfig,
  llmNames: ["vertex"],
  fromLlmParams: (p, need) => ({ model: p.model, region: p.vertexRegion, projectId: p.vertexProject || need("vertexProject") }),
  spec: (raw) => raw,
  adapter: vertexAdapter,
  model: (s) => s.model ?? undefined,
});
