/**
 * The Gemini chat translator, shared by AI Studio (`gemini`) and Vertex (`vertex`, non-Claude
 * models): the two speak the same generateContent format and differ only in where it is sent
 * and whether function call ids may be echoed.
 */
import type { ChatTranslator } from "../../types.ts";
import { toGenerateContent, type GeminiRequestOptions } from "./request.ts";
import { toChatCompletion } from "./response.ts";
import { geminiStream } from "./stream.ts";

export interface GeminiChatOptions<S> extends GeminiRequestOptions {
  /** the model's resource path below the base path, e.g. `/models/{m}` or `/publishers/google/models/{m}` */
  modelPath(spec: S, model: string, basePath: string): string;
}

export function geminiChat<S>(opts: GeminiChatOptions<S>): ChatTranslator<S> {
  return {
    // without alt=sse Gemini streams one growing JSON array, which no SSE decoder can read
    path: (spec, model, stream, basePath) => `${opts.modelPath(spec, model, basePath)}${stream ? ":streamGenerateContent?alt=sse" : ":generateContent"}`,
    request: (req, _spec, model) => ({ body: JSON.stringify(toGenerateContent(req, model, opts)) }),
    response: toChatCompletion,
    stream: geminiStream,
  };
}
