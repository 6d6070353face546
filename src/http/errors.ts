/**
 * Every error the gateway answers with is OpenAI-shaped JSON:
 *   {"error": {"message", "type", "param", "code"}}
 * with agentgateway's status codes. Thrown as `HttpError` from anywhere in a request's handling
 * and turned into a response (or, once a stream has started, into a final SSE error event).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    message: string,
    opts: { type?: string; code?: string | null; param?: string | null; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.type = opts.type ?? errorTypeFor(status);
    this.code = opts.code ?? null;
    this.param = opts.param ?? null;
    this.headers = opts.headers;
  }
}

/** A 400 about one request parameter, named in `param` (the path of the field, as OpenAI names it). */
export function badRequest(param: string, message: string, code = "invalid_request_body"): HttpError {
  return new HttpError(400, message, { code, param });
}

/** The `type` OpenAI uses for a status. */
export function errorTypeFor(status: number): string {
  switch (status) {
    case 400:
    case 404:
    case 409:
    case 413:
    case 415:
    case 422:
      return status === 404 ? "not_found_error" : "invalid_request_error";
    case 401:
      return "authentication_error";
    case 403:
      return "permission_error";
    case 429:
      return "rate_limit_error";
    default:
      return status >= 500 ? "api_error" : "invalid_request_error";
  }
}

export function errorBody(message: string, type: string, code: string | null = null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

const JSON_HEADERS = { "content-type": "application/json" };

export function errorResponse(err: HttpError): Response {
  return new Response(errorBody(err.message, err.type, err.code, err.param), {
    status: err.status,
    headers: err.headers ? { ...err.headers, ...JSON_HEADERS } : JSON_HEADERS,
  });
}

/** A final SSE event carrying an error, for failures after the response headers went out. */
export function sseErrorEvent(message: string, type = "api_error", code: string | null = null): string {
  return `data: ${errorBody(message, type, code)}\n\n`;
}

/** Any thrown value as an HttpError (unknown failures are 500s that say so without internals). */
export function asHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof Error && err.name === "TimeoutError") {
    return new HttpError(504, "upstream request timed out", { code: "upstream_timeout" });
  }
  return new HttpError(500, "internal gateway error", { type: "api_error", code: "internal_error" });
}
