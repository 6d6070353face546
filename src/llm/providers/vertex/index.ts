/**
 * Vertex AI (`vertex` provider): models served under a Google Cloud project and region.
 *
 * Each model family speaks its publisher's API, so chat translation is picked per model:
 *   claude-*   Anthropic Messages via rawPredict / streamRawPredict   (./claude.ts)
 *   others     Gemini generateContent                                 (../gemini)
 * Credentials default to Google application default credentials (`src/auth/gcp.ts`).
 */
import { gcpDefaultAuth } from "../../../auth/gcp.ts";
import { pathSegment } from "../../../http/request-path.ts";
import type { ChatTranslator, ProviderAdapter, StreamContext } from "../../types.ts";
import { geminiChat, geminiNativePath, vertexEmbeddings } from "../gemini/index.ts";
import { claudeOnVertex } from "./claude.ts";
import { vertexError } from "./error.ts";

export interface VertexSpec {
  model?: string | null;
  /** `global` (default), a multi-region (`us`, `eu`) or a region (`us-east5`) */
  region?: string | null;
  projectId: string;
}

/**
 * Gemini on Vertex: the Gemini translator, whose `path` gets the base path
 * `/v1/projects/{project}/locations/{location}` and appends `/publishers/google/models/{m}:...`.
 */
const GEMINI: ChatTranslator<VertexSpec> = geminiChat<VertexSpec>({
  includeCallIds: false,
  modelPath: (_spec, model, basePath) => `${basePath}/publishers/google/models/${pathSegment(model, "model")}`,
});

export function isClaude(model: string): boolean {
  return model.startsWith("claude");
}

/** The translation that serves `model`. */
export function vertexChatFor(model: string): ChatTranslator<VertexSpec> {
  return isClaude(model) ? claudeOnVertex : GEMINI;
}

/** One chat translator for the adapter, dispatching on the model of each request. */
const vertexChat: ChatTranslator<VertexSpec> = {
  path: (spec, model, stream, basePath) => vertexChatFor(model).path(spec, model, stream, basePath),
  request: (req, spec, model) => vertexChatFor(model).request(req, spec, model),
  response: (body, ctx: StreamContext) => vertexChatFor(ctx.model).response(body, ctx),
  stream: (ctx, out) => vertexChatFor(ctx.model).stream(ctx, out),
};

/** The location segment of Vertex paths: the region, `global` when unset. */
export function vertexLocation(spec: VertexSpec): string {
  return spec.region || "global";
}

/** Host rules (CONFIG.md 2.2): global -> aiplatform; us/eu -> regional endpoints; else `{r}-aiplatform`. */
export function vertexHost(spec: VertexSpec): string {
  const region = vertexLocation(spec);
  if (region === "global") return "aiplatform.googleapis.com";
  if (region === "us" || region === "eu") return `aiplatform.${region}.rep.googleapis.com`;
  return `${region}-aiplatform.googleapis.com`;
}

export const vertexAdapter: ProviderAdapter<VertexSpec> = {
  telemetryName: () => "gcp.vertex_ai",
  pathPrefix: "prepended",
  defaultBase: (spec) => ({
    origin: `https://${vertexHost(spec)}`,
    basePath: `/v1/projects/${encodeURIComponent(spec.projectId)}/locations/${encodeURIComponent(vertexLocation(spec))}`,
  }),
  // Gemini-native clients pass through to Google's models; Claude is reached through the hub
  nativePath: (route, _spec, model, basePath) =>
    model && !isClaude(model) ? geminiNativePath(route, model, `${basePath}/publishers/google/models/${pathSegment(model, "model")}`) : undefined,
  chat: vertexChat,
  // Google's embedding models (`:predict`), translated by the Gemini module
  embeddings: vertexEmbeddings((_spec, model, basePath) => `${basePath}/publishers/google/models/${pathSegment(model, "model")}:predict`),
  // Anthropic-shaped errors from Claude, Google-shaped ones (RetryInfo -> retry-after) otherwise
  error: vertexError,
  defaultAuth: () => gcpDefaultAuth(),
};
