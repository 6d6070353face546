/**
 * Error events of the SSE formats the gateway knows, read as what they stand for: the failure
 * (with the status the provider gives the same error as an HTTP answer, from the tables the
 * translated streams use) and that error's JSON body in the provider's own HTTP shape, which a
 * passed-through answer keeps.
 *
 *   Anthropic    event: error            {"type":"error","error":{"type":"overloaded_error","message"}}
 *   Responses    error                   {"type":"error","code","message","param"}
 *                response.failed         {"type":"response.failed","response":{"error":{"code","message"}}}
 *   OpenAI       data: {"error":{...}}   {"error":{"message","type","param","code"}}
 *   Gemini       data: {"error":{...}}   {"error":{"code":429,"message","status":"RESOURCE_EXHAUSTED"}}
 *
 * The `{"error": {...}}` shape is one reader: a numeric `code` (Google's, and OpenAI-compatible
 * servers such as vLLM that put the HTTP status there) or `status` is the status, else OpenAI's
 * `type` or `code` says it.
 */
import { errorBody } from "../../http/errors.ts";
import { failureStatus, upstreamErrorType } from "../hub/failure.ts";
import type { StreamFailure } from "../hub/parts.ts";
import { lookup } from "../lookup.ts";
import { statusOfAnthropicType } from "../providers/anthropic/error.ts";
import { STATUS_OF_TYPE } from "../providers/openai/stream.ts";

/** An error event: the failure it stands for, and the provider's HTTP error body for it. */
export interface EventError {
  failure: StreamFailure;
  body: string;
}

/**
 * Reads one event (`type`: its SSE name, else its JSON `type`; `data`: its data as sent) as an
 * error event of a format, or undefined when it is not one.
 */
export type ErrorReader = (type: unknown, json: Record<string, any>, data: string) => EventError | undefined;

/** Anthropic's `error` event: its data is Anthropic's HTTP error body. */
export const anthropicEventError: ErrorReader = (type, json, data) => {
  if (type !== "error") return undefined;
  const e = json.error ?? {};
  return { failure: provider(e.message, statusOfAnthropicType(e.type), e.type), body: data };
};

/** Responses' `error` and `response.failed` events: OpenAI's HTTP error shape for the body. */
export const responsesEventError: ErrorReader = (type, json) => {
  if (type !== "error" && type !== "response.failed") return undefined;
  const e = type === "error" ? json : (json.response?.error ?? {});
  const failure = provider(e.message, statusOfResponsesCode(e.code), e.code);
  const status = failureStatus(failure);
  const body = errorBody(failure.message, upstreamErrorType(status), failure.providerCode ?? null, typeof e.param === "string" ? e.param : null);
  return { failure, body };
};

/** `data: {"error": {...}}` (OpenAI, Gemini, OpenAI-compatible servers): its data is the HTTP error body. */
export const errorMemberEvent: ErrorReader = (_type, json, data) => {
  const e = json.error;
  if (!e || typeof e !== "object") return undefined;
  const status = httpStatus(e.code) ?? httpStatus(e.status) ?? (typeof e.type === "string" ? lookup(STATUS_OF_TYPE, e.type) : undefined) ?? statusOfResponsesCode(e.code);
  const code = [e.code, e.status, e.type].find((c) => typeof c === "string");
  return { failure: provider(e.message, status, code), body: data };
};

/**
 * An error event of any of these formats, told apart by shape (a passthrough route does not say
 * which format its answer is in).
 */
export const anyEventError: ErrorReader = (type, json, data) => {
  if (type === "response.failed") return responsesEventError(type, json, data);
  // Anthropic's error event carries an `error` object; Responses' has its fields at the top
  if (type === "error") return json.error && typeof json.error === "object" ? anthropicEventError(type, json, data) : responsesEventError(type, json, data);
  return errorMemberEvent(type, json, data);
};

function provider(message: unknown, status: number | undefined, code: unknown): StreamFailure {
  const f: StreamFailure = { kind: "provider", message: typeof message === "string" ? message : "upstream error event" };
  if (status !== undefined) f.status = status;
  if (typeof code === "string") f.providerCode = code;
  return f;
}

function httpStatus(value: unknown): number | undefined {
  return typeof value === "number" && value >= 400 && value <= 599 ? value : undefined;
}

/** OpenAI's error codes in Responses streams, by the status the same error has as an answer. */
function statusOfResponsesCode(code: unknown): number | undefined {
  if (typeof code !== "string") return undefined;
  if (code.includes("rate_limit") || code === "insufficient_quota") return 429;
  if (code === "server_error") return 500;
  if (code.startsWith("invalid")) return 400;
  return undefined;
}
