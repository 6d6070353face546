/**
 * Claude on Vertex AI: the Anthropic Messages translation, sent to the publisher model's
 * `rawPredict` / `streamRawPredict` with the body Vertex expects (`anthropic_version` inside,
 * `model` moved into the path).
 */
import { pathSegment } from "../../../http/request-path.ts";
import type { ChatTranslator } from "../../types.ts";
import { anthropicChat } from "../anthropic/index.ts";
import { toAnthropicRequest } from "../anthropic/request.ts";

export const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";

/** `claude-sonnet-4-20250514` -> `claude-sonnet-4@20250514`: Vertex writes versions with `@`. */
export function vertexClaudeModel(model: string): string {
  return model.replace(/^(claude-.+)-(\d{8})$/, "$1@$2");
}

export const claudeOnVertex: ChatTranslator<unknown> = {
  path: (_spec, model, stream, basePath) =>
    `${basePath}/publishers/anthropic/models/${pathSegment(vertexClaudeModel(model), "model").replace("%40", "@")}:${stream ? "streamRawPredict" : "rawPredict"}`,
  request(req, _spec, model) {
    const { model: _inPath, ...body } = toAnthropicRequest(req, model);
    return { body: JSON.stringify({ anthropic_version: VERTEX_ANTHROPIC_VERSION, ...body }) };
  },
  response: anthropicChat.response,
  stream: anthropicChat.stream,
};
