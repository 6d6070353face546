/**
 * What a stream failure is called, whatever the client format: one status, one error type and
 * one code per failure, the same for every provider.
 *
 *   kind        code                          status (when the failure has none)
 *   provider    the provider's own code, else `upstream_error`           502
 *   invalid     `upstream_invalid_event`                                  502
 *   incomplete  `upstream_stream_incomplete`                              502
 *   connection  `upstream_stream_error`                                   502 (504 when it timed out)
 *
 * The type follows the status (`rate_limit_error` for 429...), so a failure reads the same as an
 * HTTP error (before any content, the pipeline answers with exactly that status, type and code)
 * or as an error event inside a stream.
 */
import { errorTypeFor, HttpError } from "../../http/errors.ts";
import type { FailureKind, StreamFailure } from "./parts.ts";

const CODE_OF_KIND: Record<Exclude<FailureKind, "provider">, string> = {
  invalid: "upstream_invalid_event",
  incomplete: "upstream_stream_incomplete",
  connection: "upstream_stream_error",
};

/** The status of failures that do not name one: the upstream, not the client, is at fault. */
export const BAD_UPSTREAM = 502;

export function failureCode(f: StreamFailure): string {
  return f.kind === "provider" ? (f.providerCode ?? "upstream_error") : CODE_OF_KIND[f.kind];
}

/** The failure's status: the one it names when that is an error status (a provider may name any number), else 502. */
export function failureStatus(f: StreamFailure): number {
  const s = f.status;
  return typeof s === "number" && Number.isInteger(s) && s >= 400 && s <= 599 ? s : BAD_UPSTREAM;
}

/**
 * OpenAI's error type for an upstream status. A model failure (424) or a model timeout (408) is
 * the server side's (`api_error`), not the client's request.
 */
export function upstreamErrorType(status: number): string {
  return status === 424 || status === 408 ? "api_error" : errorTypeFor(status);
}

/** The failure as the HTTP error a client gets when nothing was streamed before it. */
export function failureHttpError(f: StreamFailure): HttpError {
  const status = failureStatus(f);
  return new HttpError(status, f.message, { type: upstreamErrorType(status), code: failureCode(f) });
}

/** One line for the access log: `code: message`. */
export function failureLogLine(f: StreamFailure): string {
  return `${failureCode(f)}: ${f.message}`.slice(0, 200);
}
