/**
 * Vertex error bodies -> the OpenAI error shape. Claude's own errors come Anthropic-shaped
 * (`{"type":"error","error":{"type","message"}}`); the platform's (quota, permission, unknown
 * model or project) and Gemini's come Google-shaped (`{"error":{"code","message","status",
 * "details"}}`, sometimes in an array), handled by the Gemini module (RetryInfo -> retry-after).
 */
import { anthropicError, type ProviderError } from "../anthropic/error.ts";
import { geminiError } from "../gemini/index.ts";

export function vertexError(status: number, body: string, headers: Headers): ProviderError & { headers?: Record<string, string> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const o = parsed as { type?: unknown; error?: { type?: unknown } } | undefined;
  if (o && (o.type === "error" || typeof o.error?.type === "string")) return anthropicError(status, body);
  return geminiError(status, body, headers);
}
