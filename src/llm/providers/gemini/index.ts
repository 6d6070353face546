/**
 * Gemini on Google AI Studio (`gemini` provider): OpenAI chat completions translated to the native
 * `generateContent` API at generativelanguage.googleapis.com/v1beta, embeddings through
 * `batchEmbedContents`, the model list from `GET /v1beta/models`.
 *
 * Auth: AI Studio takes its API key in `x-goog-api-key`. The core puts `backendAuth.key` (or a
 * client's key) in `Authorization: Bearer`; finalizeHeaders moves any bearer that is not an OAuth
 * access token (`ya29.` tokens and JWTs stay bearers, which AI Studio also accepts) to
 * `x-goog-api-key`.
 */
import type { ProviderAdapter, RouteType } from "../../types.ts";
import { isJwt, moveBearerToKeyHeader } from "../key-header.ts";
import { geminiChat } from "./chat.ts";
import { aiStudioEmbeddings, modelPath } from "./embeddings.ts";
import { geminiError } from "./error.ts";
import { aiStudioModels } from "./models.ts";

export { geminiChat } from "./chat.ts";

/** Gemini's own API for Gemini-native clients: `{model resource}:generateContent` / `:countTokens`. */
export function geminiNativePath(route: RouteType, model: string | undefined, resource: string): string | undefined {
  if (!model) return undefined;
  if (route === "generateContent") return `${resource}:generateContent`;
  if (route === "geminiCountTokens") return `${resource}:countTokens`;
  return undefined;
}
export { vertexEmbeddings } from "./embeddings.ts";
export { geminiError } from "./error.ts";

export interface GeminiSpec {
  model?: string | null;
}

export const geminiAdapter: ProviderAdapter<GeminiSpec> = {
  telemetryName: () => "gcp.gemini",
  pathPrefix: "prepended",
  defaultBase: () => ({ origin: "https://generativelanguage.googleapis.com", basePath: "/v1beta" }),
  // chat, embeddings and models are translated; Gemini-native clients pass through
  nativePath: (route, _spec, model, basePath) => geminiNativePath(route, model, `${basePath}/${modelPath(model ?? "")}`),
  chat: geminiChat<GeminiSpec>({ includeCallIds: true, modelPath: (_spec, model, basePath) => `${basePath}/${modelPath(model)}` }),
  embeddings: aiStudioEmbeddings<GeminiSpec>(),
  models: aiStudioModels<GeminiSpec>(),
  error: geminiError,
  // AI Studio keys go in x-goog-api-key; Google OAuth access tokens (`ya29.…`) and JWTs (e.g. ID tokens) stay bearers
  finalizeHeaders: (headers) => moveBearerToKeyHeader(headers, "x-goog-api-key", (token) => token.startsWith("ya29.") || isJwt(token)),
};
