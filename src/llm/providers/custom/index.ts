/**
 * The `custom` provider and the named presets (groq, ollama, openrouter, ...): a server speaking
 * one or more known formats at a base URL the config gives. OpenAI-format endpoints pass through.
 */
import type { OpenAIDialect, ProviderAdapter, RouteType } from "../../types.ts";
import { lookup } from "../../lookup.ts";
import { OPENAI_SUFFIX } from "../openai/index.ts";
import { mistralToolCallId } from "../tool-call-ids.ts";

export type ProviderFormat =
  | "completions"
  | "messages"
  | "responses"
  | "embeddings"
  | "anthropicTokenCount"
  | "generateContent"
  | "geminiCountTokens"
  | "realtime"
  | "rerank";

export interface CustomSpec {
  model?: string | null;
  /** telemetry name: the preset's name, `providerOverride`, or "custom" */
  providerName: string;
  /** supported formats, each with an optional full upstream path */
  formats: { type: ProviderFormat; path?: string | null | undefined }[];
}

const ROUTE_FORMAT: Partial<Record<RouteType, ProviderFormat>> = {
  completions: "completions",
  embeddings: "embeddings",
  responses: "responses",
  realtime: "realtime",
  rerank: "rerank",
  messages: "messages",
  anthropicTokenCount: "anthropicTokenCount",
  generateContent: "generateContent",
  geminiCountTokens: "geminiCountTokens",
};

/** Default paths below the base path of the formats that are not OpenAI's. */
function defaultPath(route: RouteType, model: string | undefined, basePath: string): string | undefined {
  switch (route) {
    case "messages":
      return `${basePath}/messages`;
    case "anthropicTokenCount":
      return `${basePath}/messages/count_tokens`;
    case "generateContent":
    case "geminiCountTokens":
      return model ? `${basePath}/models/${encodeURIComponent(model)}:${route === "generateContent" ? "generateContent" : "countTokens"}` : undefined;
    default:
      return basePath + OPENAI_SUFFIX[route]!;
  }
}

export const customAdapter: ProviderAdapter<CustomSpec> = {
  telemetryName: (spec) => spec.providerName,
  // custom providers have no default host: the config must give one (checked when compiling)
  pathPrefix: "replacesBase",
  defaultBase: () => ({ origin: "", basePath: "/v1" }),
  nativePath(route, spec, model, basePath) {
    if (route === "models") return basePath + "/models";
    const format = ROUTE_FORMAT[route];
    if (format === undefined) return undefined;
    const entry = spec.formats.find((f) => f.type === format);
    if (!entry) return undefined;
    return entry.path ?? defaultPath(route, model, basePath);
  },
  openaiDialect: (spec) => lookup(DIALECTS, spec.providerName),
};

/** The presets whose servers refuse some of OpenAI's request fields (by the provider's name, a preset's or `providerOverride`). */
const DIALECTS: Record<string, OpenAIDialect> = {
  // docs.mistral.ai: the chat API refuses fields it does not document (422 extra_forbidden)
  mistral: { refuses: ["stream_options", "max_completion_tokens"], fitToolCallId: mistralToolCallId },
  // Cohere's Compatibility API refuses stream_options too (strandsagents.com, "Cohere")
  cohere: { refuses: ["stream_options"] },
};

interface Preset {
  baseUrl: string;
  formats: CustomSpec["formats"];
}

const completionsOnly = [{ type: "completions" as const }, { type: "embeddings" as const }];

/** agentgateway's provider presets: a custom provider with a fixed base URL and formats. */
export const PRESETS: Record<string, Preset> = {
  cohere: {
    baseUrl: "https://api.cohere.ai",
    formats: [
      { type: "completions", path: "/compatibility/v1/chat/completions" },
      { type: "embeddings", path: "/compatibility/v1/embeddings" },
      { type: "rerank", path: "/v2/rerank" },
    ],
  },
  ollama: { baseUrl: "http://localhost:11434/v1", formats: completionsOnly },
  baseten: { baseUrl: "https://inference.baseten.co/v1", formats: completionsOnly },
  cerebras: { baseUrl: "https://api.cerebras.ai/v1", formats: completionsOnly },
  deepinfra: { baseUrl: "https://api.deepinfra.com/v1/openai", formats: completionsOnly },
  deepseek: {
    baseUrl: "https://api.deepseek.com/v1",
    formats: [{ type: "completions" }, { type: "messages", path: "/anthropic/v1/messages" }],
  },
  groq: {
    baseUrl: "https://api.groq.com/openai/v1",
    formats: [{ type: "completions" }, { type: "responses" }, { type: "embeddings" }],
  },
  huggingface: { baseUrl: "https://router.huggingface.co/v1", formats: completionsOnly },
  mistral: { baseUrl: "https://api.mistral.ai/v1", formats: completionsOnly },
  openrouter: {
    baseUrl: "https://openrouter.ai/api/v1",
    formats: [{ type: "completions" }, { type: "responses" }, { type: "embeddings" }],
  },
  togetherai: { baseUrl: "https://api.together.xyz/v1", formats: completionsOnly },
  xai: { baseUrl: "https://api.x.ai/v1", formats: [{ type: "completions" }, { type: "responses" }] },
  fireworks: { baseUrl: "https://api.fireworks.ai/inference/v1", formats: completionsOnly },
};
