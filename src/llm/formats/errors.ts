/**
 * Errors in each client's own shape and with the same status, before a stream (an HTTP error)
 * and inside one (an error event):
 *   openai, responses  {"error":{"message","type","param","code"}}
 *   anthropic          {"type":"error","error":{"type","message"}}  (types by status, as Anthropic's)
 *   gemini             {"error":{"code","message","status"}}        (Google's canonical status names)
 * Which shape a request gets follows its route type (the path, or the route table that named it).
 */
import { errorBody, type HttpError } from "../../http/errors.ts";
import { failureCode, failureStatus, upstreamErrorType } from "../hub/failure.ts";
import { GATEWAY_ID } from "../hub/gateway-ids.ts";
import { randomId } from "../hub/literals.ts";
import type { StreamFailure } from "../hub/parts.ts";
import { failedResponseEvents } from "../hub/responses-object.ts";
import type { RouteType } from "../types.ts";
import type { ClientFormatName } from "./types.ts";

/** Anthropic's error types by status (https://docs.anthropic.com/en/api/errors). */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
    case 405:
    case 409:
    case 415:
    case 422:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 504:
      return "timeout_error";
    case 529:
    case 503:
      return "overloaded_error";
    case 408:
    case 424:
      return "api_error"; // a model timeout or failure (Bedrock's): the server side's, as upstreamErrorType has it
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

/** Google's canonical status names by HTTP status (google.rpc.Code). */
export function googleStatus(status: number): string {
  switch (status) {
    case 400:
    case 413:
    case 422:
      return "INVALID_ARGUMENT";
    case 401:
      return "UNAUTHENTICATED";
    case 403:
      return "PERMISSION_DENIED";
    case 404:
      return "NOT_FOUND";
    case 405:
    case 501:
      return "UNIMPLEMENTED";
    case 409:
      return "ABORTED";
    case 429:
      return "RESOURCE_EXHAUSTED";
    case 499:
      return "CANCELLED";
    case 502:
    case 503:
      return "UNAVAILABLE";
    case 504:
    case 408:
      return "DEADLINE_EXCEEDED";
    case 424:
      return "INTERNAL"; // a model failure (Bedrock's): the server side's
    default:
      return status >= 500 ? "INTERNAL" : "FAILED_PRECONDITION";
  }
}

export function anthropicErrorJson(status: number, message: string): string {
  return JSON.stringify({ type: "error", error: { type: anthropicErrorType(status), message } });
}

export function googleErrorJson(status: number, message: string): string {
  return JSON.stringify({ error: { code: status, message, status: googleStatus(status) } });
}

/** The error body a client of `format` reads, for an error of `status`. */
export function clientErrorJson(format: ClientFormatName, status: number, message: string, type: string, code: string | null, param: string | null = null): string {
  if (format === "anthropic") return anthropicErrorJson(status, message);
  if (format === "gemini") return googleErrorJson(status, message);
  return errorBody(message, type, code, param);
}

export function clientErrorResponse(format: ClientFormatName, err: HttpError): Response {
  const headers = { ...err.headers, "content-type": "application/json" };
  return new Response(clientErrorJson(format, err.status, err.message, err.type, err.code, err.param), { status: err.status, headers });
}

/**
 * An OpenAI-shaped error answer (the gateway's translation of an upstream error) in the client's
 * shape; the status and headers (retry-after...) stay.
 */
export async function reshapeError(format: ClientFormatName, res: Response): Promise<Response> {
  if (format === "openai" || format === "responses") return res;
  const text = await res.text();
  let err: { message?: unknown; type?: unknown; code?: unknown } = {};
  try {
    err = (JSON.parse(text) as { error?: typeof err }).error ?? {};
  } catch {
    // not JSON: the text is the message
  }
  const message = typeof err.message === "string" ? err.message : text || `upstream returned HTTP ${res.status}`;
  const headers = new Headers(res.headers);
  headers.set("content-type", "application/json");
  return new Response(clientErrorJson(format, res.status, message, "", null), { status: res.status, headers });
}

/** Which error shape a route type's clients read. */
export function formatOfRoute(route: RouteType): ClientFormatName {
  switch (route) {
    case "messages":
    case "anthropicTokenCount":
      return "anthropic";
    case "generateContent":
    case "geminiCountTokens":
      return "gemini";
    case "responses":
      return "responses";
    default:
      return "openai";
  }
}

/**
 * The error shape for a path before any route type is known (no route matched, a listener
 * policy refused it): the default route table's suffixes.
 */
export function formatOfPath(path: string): ClientFormatName {
  if (path.endsWith("/v1/messages") || path.endsWith("/v1/messages/count_tokens") || path.endsWith(":rawPredict") || path.endsWith(":streamRawPredict")) return "anthropic";
  if (path.endsWith(":generateContent") || path.endsWith(":streamGenerateContent") || path.endsWith(":countTokens") || path.startsWith("/v1beta/models")) return "gemini";
  return "openai";
}

/** A stream failure as the failure's status, type and code say (the fields every shape draws on). */
export function failureFields(f: StreamFailure): { status: number; type: string; code: string } {
  const status = failureStatus(f);
  return { status, type: upstreamErrorType(status), code: failureCode(f) };
}

/**
 * An error event inside a stream of `format` (after the answer's status went out, before any of
 * the answer: a keep-alive comment was all). A Responses stream ends in `response.failed` too,
 * which is how Responses clients (Codex) read a failed answer; `model` is that Response's.
 */
export function clientErrorEvent(format: ClientFormatName, status: number, message: string, type: string, code: string | null, model = ""): string {
  if (format === "anthropic") return `event: error\ndata: ${anthropicErrorJson(status, message)}\n\n`;
  if (format === "gemini") return `data: ${googleErrorJson(status, message)}\r\n\r\n`;
  if (format === "responses") return failedResponseEvents({ id: randomId(GATEWAY_ID.response), created: Math.floor(Date.now() / 1000), model, code: code ?? type, message });
  return `data: ${errorBody(message, type, code)}\n\n`;
}
