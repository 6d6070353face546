/** Anthropic's `GET /v1/models` list -> the OpenAI model list (for backends with no pinned model). */
import type { ModelsTranslator } from "../../types.ts";

export const anthropicModels: ModelsTranslator<unknown> = {
  // one page of up to 1000 models covers Anthropic's whole catalogue
  path: (_spec, basePath) => `${basePath}/models?limit=1000`,
  response(body) {
    const list = JSON.parse(body) as { data?: { id?: unknown; created_at?: unknown }[] };
    if (!Array.isArray(list.data)) throw new Error("not an Anthropic model list");
    return list.data
      .filter((m): m is { id: string; created_at?: unknown } => typeof m?.id === "string")
      .map((m) => {
        const created = typeof m.created_at === "string" ? Math.floor(Date.parse(m.created_at) / 1000) : NaN;
        return { id: m.id, owned_by: "anthropic", ...(Number.isFinite(created) ? { created } : {}) };
      });
  },
};
