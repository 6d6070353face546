/**
 * The model list in the client's own shape, when the client asks in its format:
 *   Anthropic (an `anthropic-version` header)   {data:[{type:"model", id, display_name, created_at}], has_more, first_id, last_id}
 *   Gemini (`/v1beta/models`, or x-goog-api-key) {models:[{name:"models/<id>", displayName, supportedGenerationMethods}]}
 *   anything else                               OpenAI's {object:"list", data:[{id, object, created, owned_by}]}
 */
export interface ListedModel {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

export type ModelListShape = "openai" | "anthropic" | "gemini";

export function modelListShape(path: string, headers: Headers): ModelListShape {
  if (path.startsWith("/v1beta/") || headers.has("x-goog-api-key")) return "gemini";
  if (headers.has("anthropic-version")) return "anthropic";
  return "openai";
}

function anthropicModel(m: ListedModel): Record<string, unknown> {
  return { type: "model", id: m.id, display_name: m.id, created_at: new Date(m.created * 1000).toISOString() };
}

function geminiModel(m: ListedModel): Record<string, unknown> {
  return { name: `models/${m.id}`, displayName: m.id, supportedGenerationMethods: ["generateContent", "streamGenerateContent", "countTokens"] };
}

/** One model, or the list, as JSON text in `shape`. */
export function modelsJson(shape: ModelListShape, models: ListedModel[], one: ListedModel | undefined): string {
  switch (shape) {
    case "anthropic":
      if (one) return JSON.stringify(anthropicModel(one));
      return JSON.stringify({ data: models.map(anthropicModel), has_more: false, first_id: models[0]?.id ?? null, last_id: models.at(-1)?.id ?? null });
    case "gemini":
      if (one) return JSON.stringify(geminiModel(one));
      return JSON.stringify({ models: models.map(geminiModel) });
    default:
      return JSON.stringify(one ?? { object: "list", data: models });
  }
}
