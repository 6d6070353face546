/**
 * OpenAI and every OpenAI-compatible server: requests and streams pass through untouched apart
 * from model, auth and `stream_options`; the core does all of that, so this adapter only says
 * where things live.
 */
import type { ProviderAdapter, RouteType } from "../../types.ts";

export interface OpenAISpec {
  model?: string | null;
}

/** Path suffixes of the OpenAI API below its base path (`/v1`). */
export const OPENAI_SUFFIX: Partial<Record<RouteType, string>> = {
  completions: "/chat/completions",
  embeddings: "/embeddings",
  models: "/models",
  responses: "/responses",
  realtime: "/realtime",
  rerank: "/rerank",
};

export const openaiAdapter: ProviderAdapter<OpenAISpec> = {
  telemetryName: () => "openai",
  pathPrefix: "replacesBase",
  defaultBase: () => ({ origin: "https://api.openai.com", basePath: "/v1" }),
  nativePath(route, _spec, _model, basePath) {
    const suffix = OPENAI_SUFFIX[route];
    return suffix === undefined ? undefined : basePath + suffix;
  },
};
