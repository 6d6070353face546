/**
 * Google API errors (`google.rpc.Status`: `{"error": {code, message, status, details}}`, sometimes
 * wrapped in an array by streaming endpoints) -> the OpenAI error shape. The HTTP status is kept
 * and Google's status name (`RESOURCE_EXHAUSTED`) becomes the `code`. A `RetryInfo` detail (how
 * long a rate-limited caller should wait) becomes `retry-after`: Google does not send that header,
 * but SDKs and retry policies read it.
 */
import { errorTypeFor } from "../../../http/errors.ts";
import { lookup } from "../../lookup.ts";
import { bodySnippet, messageOf } from "../../upstream-error.ts";
import type { GoogleErrorBody } from "./wire.ts";

const TYPE_BY_STATUS: Record<string, string> = {
  INVALID_ARGUMENT: "invalid_request_error",
  FAILED_PRECONDITION: "invalid_request_error",
  OUT_OF_RANGE: "invalid_request_error",
  UNAUTHENTICATED: "authentication_error",
  PERMISSION_DENIED: "permission_error",
  NOT_FOUND: "not_found_error",
  RESOURCE_EXHAUSTED: "rate_limit_error",
};

export interface TranslatedError {
  message: string;
  type: string;
  code: string | null;
  headers?: Record<string, string>;
}

/** A parsed Google error body (or anything else an upstream said) as an OpenAI error. */
export function googleError(status: number, parsed: unknown): TranslatedError {
  const body = (Array.isArray(parsed) ? parsed[0] : parsed) as GoogleErrorBody | undefined;
  const e = body?.error;
  const message = (typeof e?.message === "string" && e.message) || messageOf(parsed) || `Gemini returned HTTP ${status}`;
  const out: TranslatedError = {
    message,
    type: (typeof e?.status === "string" && lookup(TYPE_BY_STATUS, e.status)) || errorTypeFor(status),
    code: typeof e?.status === "string" ? e.status : null,
  };
  const delay = e?.details?.find((d) => d?.["@type"]?.endsWith("google.rpc.RetryInfo"))?.retryDelay;
  const seconds = typeof delay === "string" ? parseDuration(delay) : undefined;
  if (seconds !== undefined) out.headers = { "retry-after": String(Math.ceil(seconds)) };
  return out;
}

/** The adapter hook: a non-2xx upstream answer. An upstream `retry-after` header wins. */
export function geminiError(status: number, text: string, headers: Headers): TranslatedError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const out = parsed === undefined ? { message: describe(status, text), type: errorTypeFor(status), code: null } : googleError(status, parsed);
  if (headers.has("retry-after")) delete (out as TranslatedError).headers;
  return out;
}

/** protobuf Duration JSON: "34.4s". */
function parseDuration(d: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)s$/.exec(d.trim());
  return m ? Number(m[1]) : undefined;
}

function describe(status: number, text: string): string {
  const snippet = bodySnippet(text);
  return `Gemini returned HTTP ${status}${snippet ? `: ${snippet}` : ""}`;
}
