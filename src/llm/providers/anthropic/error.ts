/**
 * Anthropic error bodies (`{"type":"error","error":{"type","message"},"request_id"}`) -> the
 * OpenAI error shape. The status is kept by the core (so the SDKs raise the matching exception:
 * 429 RateLimitError, 529 InternalServerError...), the Anthropic error type becomes the `code`.
 */
import { bodySnippet, messageOf } from "../../upstream-error.ts";

export interface ProviderError {
  message: string;
  type?: string;
  code?: string | null;
}

export function anthropicError(status: number, body: string): ProviderError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const err = (parsed as { error?: { type?: unknown; message?: unknown } } | undefined)?.error;
  if (err && typeof err === "object" && typeof err.message === "string") {
    return { message: err.message, code: typeof err.type === "string" ? err.type : null };
  }
  const snippet = bodySnippet(body);
  const message = messageOf(parsed) ?? `upstream returned HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
  return { message, code: null };
}

/** The HTTP status Anthropic uses for an error type (for errors met inside a stream). */
export function statusOfAnthropicType(anthropicType: string | undefined): number | undefined {
  switch (anthropicType) {
    case "invalid_request_error":
      return 400;
    case "authentication_error":
      return 401;
    case "permission_error":
      return 403;
    case "not_found_error":
      return 404;
    case "request_too_large":
      return 413;
    case "rate_limit_error":
      return 429;
    case "api_error":
      return 500;
    case "overloaded_error":
      return 529;
    default:
      return undefined;
  }
}
