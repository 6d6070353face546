/**
 * What a policy puts on the answer: headers on whatever it is (a success, or an error from
 * further down), or an answer of its own.
 */
import { HttpError } from "../http/errors.ts";
import type { RequestContext } from "../server/context.ts";
import type { Next } from "./types.ts";

/** The policy's own answer (a preflight, a direct response, a redirect): the exchange is recorded and ends here. */
export function answerHere(ctx: RequestContext, res: Response): Response {
  ctx.outcome.answered(res.status);
  ctx.outcome.finish();
  return res;
}

/**
 * Runs `next` and adds `add` to its answer, or to the HttpError it throws (a rejected request
 * keeps its CORS and rate-limit headers). Headers already set are kept.
 */
export async function withAnswerHeaders(ctx: RequestContext, next: Next, add: Readonly<Record<string, string>>): Promise<Response> {
  let res: Response;
  try {
    res = await next(ctx);
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    throw errorWithHeaders(err, add);
  }
  for (const k in add) if (!res.headers.has(k)) res.headers.set(k, add[k]!);
  return res;
}

/** The same error with `add` among its headers (its own win). */
export function errorWithHeaders(err: HttpError, add: Record<string, string>): HttpError {
  const copy = new HttpError(err.status, err.message, { type: err.type, code: err.code, param: err.param, headers: { ...add, ...err.headers } });
  copy.stack = err.stack;
  return copy;
}
