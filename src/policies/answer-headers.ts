/**
 * What a policy puts on the answer: headers on whatever it is (a success, or an error from
 * further down), or an answer of its own.
 */
import type { RequestContext } from "../server/context.ts";

/** The policy's own answer (a preflight, a direct response, a redirect): the exchange is recorded and ends here. */
export function answerHere(ctx: RequestContext, res: Response): Response {
  ctx.outcome.answered(res.status);
  ctx.outcome.finish();
  return res;
}

/**
 * `add` goes on the exchange's answer, a success or an error from further down (a rejected
 * request keeps its CORS and rate-limit headers). The handler adds them when the answer comes
 * (`addAnswerHeaders`), not the policy after awaiting `next`: an async layer per policy cost a
 * frame, a promise and a turn of the microtask queue on every request.
 */
export function onAnswer(ctx: RequestContext, add: Readonly<Record<string, string>>): void {
  (ctx.answerHeaders ??= []).push(add);
}

/**
 * The headers of `onAnswer` on an answer's headers. Headers already set are kept: the answer's
 * own, and among the policies' the innermost policy's (it added last, so it goes first).
 */
export function addAnswerHeaders(headers: Headers, adds: readonly Readonly<Record<string, string>>[]): void {
  for (let i = adds.length - 1; i >= 0; i--) {
    const add = adds[i]!;
    for (const k in add) if (!headers.has(k)) headers.set(k, add[k]!);
  }
}
