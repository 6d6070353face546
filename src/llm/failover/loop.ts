/**
 * The candidate loop of one exchange: tries its candidates in order until one gives an answer to
 * present, deciding on each failure before anything reaches the client.
 *
 * A failure is an answer with status 429 or 5xx, a refused or broken connection, a timeout
 * before the first byte, or a stream that failed before its first content. On a failure:
 *   1. the target's health learns it (and may evict it: health.ts);
 *   2. failover: the next untried candidate that is not evicted gets the same request, at once;
 *   3. else, with a `retry` policy and an attempt left, a retriable failure (its `codes`, a
 *      refused connection) is tried again after the backoff (or the provider's retry-after, up
 *      to 10 s) on the next candidate not evicted, the same one when it is the only one;
 *   4. else the failure is the answer: the provider's own error, status and retry headers.
 * An answer that is not a failure (2xx, 4xx other than 429 unless `retry.codes` lists it) ends the
 * loop; after the first byte of an answer there is no failover (a stream that breaks later ends
 * with an error event). When every candidate is evicted, the answer is a 503 with the soonest
 * `retry-after`.
 *
 * Answers are screened where they arrive (`screenAnswer`, called by the LLM upstream call), so
 * the chat, embeddings and passthrough code presents only the answer the loop keeps.
 */
import type { ProviderTarget, UpstreamTarget } from "../../config/model.ts";
import { HttpError } from "../../http/errors.ts";
import { backoffDelay, MAX_RETRY_AFTER_MS, retriable, type RetrySettings } from "../../policies/retry.ts";
import type { Policy } from "../../policies/types.ts";
import type { RequestContext } from "../../server/context.ts";
import { celVars, evalBool, prepareCel, type CelExpression } from "../../cel/index.ts";
import { evictionApplies, isUnhealthy, type AttemptReport } from "./health.ts";
import { retryAfterMs } from "./retry-hints.ts";

interface Step {
  target: ProviderTarget;
  delayMs: number;
}

/** Thrown from an upstream call whose answer the loop discards: the exchange moves on. */
class MovedOn extends Error {
  constructor(readonly step: Step) {
    super("moved on to the next candidate");
  }
}

/** (kept on the request's context, `ctx.candidateLoop`: a WeakMap entry per request cost more) */
export class CandidateLoop {
  current: ProviderTarget | undefined;
  /** the current attempt reached its upstream call (failures before it are the request's) */
  called = false;
  /** the current attempt's fate is decided (a fanned-out call failed first) */
  decided = false;
  /** the candidates tried so far (a list: there are a handful) */
  private readonly tried: ProviderTarget[] = [];
  private retries = 0;

  constructor(
    private readonly ctx: RequestContext,
    private readonly candidates: readonly ProviderTarget[],
    private readonly retry: RetrySettings | undefined,
  ) {}

  private evicts(t: ProviderTarget): boolean {
    return evictionApplies(t.healthPolicy, this.candidates.length);
  }

  private available(i: number): boolean {
    const t = this.candidates[i]!;
    // (a target never evicted needs no clock and no settings: the usual case)
    return t.health.evictedUntil === 0 || !this.evicts(t) || t.health.available(this.ctx.deps.now(), t.healthPolicy);
  }

  /** The first candidate not evicted; a 503 with the soonest retry-after when there is none. */
  first(): ProviderTarget {
    for (let i = 0; i < this.candidates.length; i++) if (this.available(i)) return this.candidates[i]!;
    throw allEvicted(this.candidates, this.ctx.deps.now());
  }

  begin(target: ProviderTarget): void {
    this.current = target;
    if (!this.tried.includes(target)) this.tried.push(target);
    this.called = false;
    this.decided = false;
  }

  /** A failure of the current attempt: health learns it, and the next step, if any. */
  failed(report: AttemptReport): Step | undefined {
    this.decided = true;
    const target = this.current!;
    const i = this.candidates.indexOf(target);
    const now = this.ctx.deps.now();
    if (isUnhealthy(report, target.healthPolicy, this.ctx)) target.health.failed(now, report, target.healthPolicy, this.evicts(target));
    this.ctx.outcome.attemptFailed(target.name, report.status);
    const failover = report.status === undefined || report.status === 429 || report.status >= 500;
    if (failover) {
      const next = this.candidates.findIndex((t, j) => !this.tried.includes(t) && this.available(j));
      if (next !== -1) return { target: this.candidates[next]!, delayMs: 0 };
    }
    return this.retryStep(report, i);
  }

  private retryStep(report: AttemptReport, current: number): Step | undefined {
    const r = this.retry;
    if (!r || this.retries >= r.attempts - 1 || !retriable(r, report, () => celVars(this.ctx))) return undefined;
    const hint = report.retryAfterMs;
    if (hint !== undefined && hint > MAX_RETRY_AFTER_MS) return undefined;
    const n = this.candidates.length;
    for (let k = 1; k <= n; k++) {
      const j = (current + k) % n;
      if (!this.available(j)) continue;
      this.retries++;
      this.ctx.outcome.retried();
      const delayMs = Math.max(backoffDelay(r, this.retries, this.ctx.deps.random), hint ?? 0);
      return { target: this.candidates[j]!, delayMs };
    }
    return undefined;
  }

  succeeded(): void {
    this.current!.health.succeeded();
  }
}

/**
 * Runs `attempt` on the candidates in turn (see the top of this file). `candidates` are in the
 * order to try them (src/llm/failover/order.ts).
 */
/** One attempt of an exchange on one candidate. */
export type Attempt<A> = (ctx: RequestContext, target: ProviderTarget, arg: A) => Promise<Response>;

export async function runCandidates<A>(ctx: RequestContext, candidates: readonly ProviderTarget[], attempt: Attempt<A>, arg: A): Promise<Response> {
  const policy = retryOf(ctx.route.policies);
  const retry = policy?.precondition ? await preconditioned(ctx, policy, policy.precondition) : policy;
  const only = candidates.length === 1 ? candidates[0]! : undefined;
  if (only && !retry && !only.healthPolicy?.evicts) return stamped(await attempt(ctx, only, arg), only); // nothing to decide
  // (most loops have no expression to prepare: no array, no await for them)
  if (retry?.condition || someUnhealthyExpression(candidates)) await prepareCel(ctx, [retry?.condition, ...candidates.map((t) => t.healthPolicy?.unhealthy)]);
  // a body that may be sent more than once is buffered (within the body limit)
  if (ctx.req.body !== null && !ctx.bodyRead && ctx.method !== "GET" && ctx.method !== "HEAD") await ctx.bytes();
  const loop = new CandidateLoop(ctx, candidates, retry);
  ctx.candidateLoop = loop;
  let target = loop.first();
  for (;;) {
    loop.begin(target);
    try {
      const res = await attempt(ctx, target, arg);
      if (res.ok) loop.succeeded();
      return stamped(res, target);
    } catch (err) {
      if (ctx.signal.aborted) throw err;
      const report = err instanceof MovedOn || !loop.called || loop.decided ? undefined : thrownReport(err);
      const step = err instanceof MovedOn ? err.step : report ? loop.failed(report) : undefined;
      if (!step) throw err;
      if (step.delayMs > 0) await sleep(step.delayMs, ctx.signal);
      target = step.target;
    }
  }
}

// (loops, not find/some callbacks: these run on every request a loop serves)
function retryOf(policies: readonly Policy[]): RetrySettings | undefined {
  for (const p of policies) if (p.retry) return p.retry;
  return undefined;
}

function someUnhealthyExpression(candidates: readonly ProviderTarget[]): boolean {
  for (const t of candidates) if (t.healthPolicy?.unhealthy) return true;
  return false;
}

/** The route's retry policy for this request: none when its `precondition` is not true. */
async function preconditioned(ctx: RequestContext, retry: RetrySettings, precondition: CelExpression): Promise<RetrySettings | undefined> {
  await prepareCel(ctx, [precondition]);
  return evalBool(precondition, celVars(ctx)) ? retry : undefined;
}

/**
 * An upstream answer, as the loop sees it before anything else does: passed on when it is the
 * answer; a failure the loop can move on from is discarded (its body cancelled) and the attempt
 * ends here. Called for every LLM upstream call; outside a loop it does nothing.
 */
export function screenAnswer(ctx: RequestContext, target: UpstreamTarget, res: Response): Response {
  const loop = ctx.candidateLoop;
  if (!loop || loop.current !== target || loop.decided || res.status < 400) return res;
  const step = loop.failed({ status: res.status, headers: res.headers, retryAfterMs: retryAfterMs(res.headers, ctx.deps.wallClock()) });
  if (!step) return res;
  res.body?.cancel().catch(() => {});
  throw new MovedOn(step);
}

/**
 * Whether a failed answer of this exchange could still be replaced by another attempt (several
 * candidates, a retry policy, an evicting health policy): then an answer is only given once its
 * first event is read, never on its headers alone.
 */
export function mayMoveOn(ctx: RequestContext): boolean {
  return ctx.candidateLoop !== undefined;
}

/**
 * When a relayed stream of this exchange answers (pipeline.ts `answerAt`): at its first content
 * while another attempt could still replace it, else as soon as the upstream pauses.
 */
export function answerAt(ctx: RequestContext): "content" | "pause" {
  return mayMoveOn(ctx) ? "content" : "pause";
}

/** The current attempt of `ctx`'s loop reached its upstream call. */
export function upstreamCalled(ctx: RequestContext): void {
  const loop = ctx.candidateLoop;
  if (loop) loop.called = true;
}

/**
 * What a thrown failure says of the provider: no answer (connection, timeout), or the status it
 * stands for; undefined for the gateway's own verdicts (guards, unsupported features, bugs).
 */
function thrownReport(err: unknown): AttemptReport | undefined {
  if (!(err instanceof HttpError) || err.code?.startsWith("guardrail") || err.status === 501 || err.status === 499) return undefined;
  if (err.code === "upstream_unreachable") return { status: undefined };
  // a stream silent before its first event until the deadline cut it is a timeout too
  if (err.code === "upstream_timeout" || (err.status === 504 && err.code === "upstream_stream_error")) return { status: undefined, timedOut: true };
  return { status: err.status };
}

/** The 503 when every candidate is evicted, with the soonest return as its retry-after. */
function allEvicted(candidates: readonly ProviderTarget[], now: number): HttpError {
  let soonest = Infinity;
  for (const t of candidates) soonest = Math.min(soonest, t.health.evictedUntil - now);
  const seconds = Math.max(1, Math.ceil(soonest / 1000));
  return new HttpError(503, `every provider of this backend is evicted after failures; the first is back in ${seconds}s`, {
    code: "no_healthy_backend",
    headers: { "retry-after": String(seconds) },
  });
}

function stamped(res: Response, target: ProviderTarget): Response {
  try {
    res.headers.set("x-agw-provider", target.name);
  } catch {
    // an immutable upstream response (never returned by the LLM layer today)
  }
  return res;
}

/** Waits `ms`; rejects like an aborted upstream call when the exchange is cancelled or times out. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      const timedOut = (signal.reason as Error | undefined)?.name === "TimeoutError";
      reject(timedOut ? new HttpError(504, "the request timed out while waiting to retry", { code: "upstream_timeout" }) : new HttpError(499, "client closed the request", { code: "client_closed_request" }));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", done);
      resolve();
    }, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
