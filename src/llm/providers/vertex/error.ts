/**
 * Vertex error bodies -> the OpenAI error shape. Claude's own errors come Anthropic-shaped; the
 * platform's (quota, permission, unknown model or project) come Google-shaped:
 * `{"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED"}}`, sometimes in an array.
 */
import { anthropicError, type ProviderError } from "../anthropic/error.ts";

export function vertexError(status: number, body: string): ProviderError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return anthropicError(status, body);
  }
  const first = Array.isArray(parsed) ? parsed[0] : parsed;
  const err = (first as { error?: { message?: unknown; status?: unknown } } | undefined)?.error;
  if (err && typeof err.message === "string" && typeof err.status === "string") return { message: err.message, code: err.status };
  return anthropicError(status, body);
}
