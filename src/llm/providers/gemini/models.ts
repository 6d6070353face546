/**
 * AI Studio's model list (`GET /v1beta/models`: `{models: [{name: "models/gemini-2.5-flash",
 * supportedGenerationMethods, ...}]}`) as OpenAI model ids, for `/v1/models` on a backend with no
 * pinned model. One page of up to 1000 models covers the catalogue.
 */
import type { ModelsTranslator } from "../../types.ts";

export function aiStudioModels<S>(): ModelsTranslator<S> {
  return {
    path: (_spec, basePath) => `${basePath}/models?pageSize=1000`,
    response(body) {
      const list = JSON.parse(body) as { models?: { name?: unknown }[] };
      return (list.models ?? [])
        .filter((m): m is { name: string } => typeof m.name === "string")
        .map((m) => ({ id: m.name.startsWith("models/") ? m.name.slice(7) : m.name, owned_by: "google" }));
    },
  };
}
