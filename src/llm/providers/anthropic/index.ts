/**
 * Anthropic (api.anthropic.com): OpenAI chat completions are translated to the Messages API and
 * back, streaming included; Anthropic-format requests (`/v1/messages`, `count_tokens`) pass
 * through natively; `GET /v1/models` lists Anthropic's models for an unpinned backend.
 */
import type { ChatTranslator, ProviderAdapter } from "../../types.ts";
import { anthropicError } from "./error.ts";
import { finalizeAnthropicHeaders } from "./headers.ts";
import { anthropicModels } from "./models.ts";
import { toAnthropicRequest } from "./request.ts";
import { fromAnthropicMessage } from "./response.ts";
import { anthropicStream } from "./stream.ts";

export interface AnthropicSpec {
  model?: string | null;
}

/** Chat completions over the Messages API; Vertex reuses it with its own path and body fix-ups. */
export const anthropicChat: ChatTranslator<unknown> = {
  // the native path even under hostOverride (CONFIG.md: "hostOverride changes the host only")
  path: (_spec, _model, _stream, basePath) => `${basePath}/messages`,
  request: (req, _spec, model) => ({ body: JSON.stringify(toAnthropicRequest(req, model)) }),
  response: fromAnthropicMessage,
  stream: anthropicStream,
};

export const anthropicAdapter: ProviderAdapter<AnthropicSpec> = {
  telemetryName: () => "anthropic",
  pathPrefix: "replacesBase",
  defaultBase: () => ({ origin: "https://api.anthropic.com", basePath: "/v1" }),
  nativePath(route, _spec, _model, basePath) {
    if (route === "messages") return `${basePath}/messages`;
    if (route === "anthropicTokenCount") return `${basePath}/messages/count_tokens`;
    return undefined;
  },
  chat: anthropicChat,
  models: anthropicModels,
  error: (status, body) => anthropicError(status, body),
  finalizeHeaders: (headers) => finalizeAnthropicHeaders(headers),
};
