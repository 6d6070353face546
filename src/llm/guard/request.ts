/**
 * Guards on requests: each request guard, in order, reads the texts of its scope from the hub
 * request (so every client format the gateway translates into it is guarded), and passes,
 * masks (the next guard and the provider see the masked texts) or rejects with its rejection.
 */
import { HttpError } from "../../http/errors.ts";
import type { BodyDraft } from "../../policies/types.ts";
import type { RequestContext } from "../../server/context.ts";
import { GuardCallError } from "./side-call.ts";
import { requestTexts, type RequestTexts } from "./texts.ts";
import type { Guard, GuardSet, Phase, TextSlot, Verdict } from "./types.ts";

/** Streamed answers are guarded as one text: a stream of several choices cannot be. */
export function checkGuardable(set: GuardSet, draft: BodyDraft): void {
  const n = draft.body.n;
  if (set.streaming && set.response.length > 0 && draft.body.stream === true && typeof n === "number" && n > 1) {
    throw new HttpError(400, "n > 1 is not supported for streamed answers when response guards apply to streams", { code: "unsupported_parameter", param: "n" });
  }
}

/** A request's messages as one guard set judged them: what it let through (masked or not). */
interface Judged {
  key: string;
  input: unknown[];
  /** `input` as JSON, computed when a later attempt's messages are not the same array */
  json?: string;
  output: unknown[];
}

/** The verdicts of each client request so far (guards run before each failover attempt's call). */
const judgedIn = new WeakMap<RequestContext, Judged[]>();

/**
 * Runs the request guards once per client request: a failover attempt whose target has the same
 * guards (by configuration) and sends the same messages gets the first verdict, so a guard
 * service is not called again (and the log does not count its verdict twice). A target whose
 * prompts, overrides or transformations change the messages, or whose guards differ, is judged
 * anew: its provider gets other texts, and only a verdict on those texts covers them.
 */
export function guardRequest(set: GuardSet, draft: BodyDraft, ctx: RequestContext): void | Promise<void> {
  const initial = draft.body.messages;
  if (!isList(initial) || set.request.length === 0) return;
  const judged = judgedIn.get(ctx);
  if (judged) {
    for (const earlier of judged) {
      if (earlier.key !== set.key || !sameMessages(earlier, initial)) continue;
      if (earlier.output !== earlier.input) draft.set("messages", earlier.output);
      return;
    }
  }
  const messages = judge(set, initial, ctx, 0);
  if (messages instanceof Promise) return settleLater(messages, set, draft, ctx, initial);
  settle(set, draft, ctx, initial, messages);
}

/* (the promise continuations below live in their own functions: see resumeHubRequest in src/policies/chain.ts) */
function settleLater(pending: Promise<Record<string, unknown>[]>, set: GuardSet, draft: BodyDraft, ctx: RequestContext, initial: unknown[]): Promise<void> {
  return pending.then((m) => settle(set, draft, ctx, initial, m));
}

/** Records a verdict for the later attempts of the same request, and puts the masked messages in the draft. */
function settle(set: GuardSet, draft: BodyDraft, ctx: RequestContext, initial: unknown[], messages: Record<string, unknown>[]): void {
  const entry = { key: set.key, input: initial, output: messages };
  const judged = judgedIn.get(ctx);
  if (judged) judged.push(entry);
  else judgedIn.set(ctx, [entry]);
  if (messages !== initial) draft.set("messages", messages);
}

function sameMessages(j: Judged, messages: unknown[]): boolean {
  if (j.input === messages) return true;
  j.json ??= JSON.stringify(j.input);
  return j.json === JSON.stringify(messages);
}

/**
 * The messages after every request guard from the `from`th on: the same array when none masked
 * anything. Synchronous while the guards answer at once (regex guards: no promise or microtask on
 * the request's path); from the first guard service on, a promise.
 */
function judge(set: GuardSet, initial: Record<string, unknown>[], ctx: RequestContext, from: number): Record<string, unknown>[] | Promise<Record<string, unknown>[]> {
  let messages = initial;
  for (let i = from; i < set.request.length; i++) {
    const guard = set.request[i]!;
    const texts = requestTexts(messages, guard.scope);
    if (texts.slots.length === 0) continue;
    const verdict = runGuard(guard, texts.slots, "request", ctx);
    if (verdict instanceof Promise) return judgeLater(verdict, set, texts, messages, ctx, i + 1);
    if (verdict.action === "mask") messages = texts.apply(verdict.texts);
  }
  return messages;
}

function judgeLater(verdict: Promise<Verdict>, set: GuardSet, texts: RequestTexts, messages: Record<string, unknown>[], ctx: RequestContext, next: number): Promise<Record<string, unknown>[]> {
  return verdict.then((v) => judge(set, v.action === "mask" ? texts.apply(v.texts) : messages, ctx, next));
}

function isList(x: unknown): x is Record<string, unknown>[] {
  return Array.isArray(x);
}

/**
 * One guard's verdict: a rejection is thrown as the guard's HTTP error; a guard service that
 * failed is a 503 (`failClosed`, the default) or a pass (`failOpen`). Recorded in the outcome.
 */
export function runGuard(guard: Guard, slots: readonly TextSlot[], phase: Phase, ctx: RequestContext): Verdict | Promise<Verdict> {
  let pending: Verdict | Promise<Verdict>;
  try {
    pending = guard.check(slots, phase, ctx);
  } catch (err) {
    return failedGuard(guard, err, phase, ctx);
  }
  if (pending instanceof Promise) return settledLater(pending, guard, phase, ctx);
  return settled(guard, pending, phase, ctx);
}

function settledLater(pending: Promise<Verdict>, guard: Guard, phase: Phase, ctx: RequestContext): Promise<Verdict> {
  return pending.then((v) => settled(guard, v, phase, ctx), (err: unknown) => failedGuard(guard, err, phase, ctx));
}

/** A guard that could not judge: a 503 (`failClosed`, the default) or a pass (`failOpen`). */
function failedGuard(guard: Guard, err: unknown, phase: Phase, ctx: RequestContext): Verdict {
  if (!(err instanceof GuardCallError)) throw err;
  if (guard.failOpen) {
    ctx.outcome.guarded(phase, guard.kind, "failOpen");
    return { action: "pass" };
  }
  ctx.outcome.guarded(phase, guard.kind, "reject");
  throw new HttpError(503, `prompt guard failed (${guard.kind}): ${err.message}`, { code: "guardrail_failed" });
}

/** A guard's verdict, recorded; a rejection thrown as the guard's HTTP error. */
function settled(guard: Guard, verdict: Verdict, phase: Phase, ctx: RequestContext): Verdict {
  ctx.outcome.guarded(phase, guard.kind, verdict.action === "pass" ? "allow" : verdict.action);
  if (verdict.action === "reject") throw rejectionError(guard, verdict);
  return verdict;
}

export function rejectionError(guard: Guard, verdict: { status?: number | undefined; message?: string | undefined }): HttpError {
  const status = verdict.status ?? guard.rejection.status;
  return new HttpError(status, verdict.message ?? guard.rejection.message, { code: "guardrail_rejected", headers: guard.rejection.headers });
}
