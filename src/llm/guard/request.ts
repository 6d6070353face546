/**
 * Guards on requests: each request guard, in order, reads the texts of its scope from the hub
 * request (so every client format the gateway translates into it is guarded), and passes,
 * masks (the next guard and the provider see the masked texts) or rejects with its rejection.
 */
import { HttpError } from "../../http/errors.ts";
import type { BodyDraft } from "../../policies/types.ts";
import type { RequestContext } from "../../server/context.ts";
import { GuardCallError } from "./side-call.ts";
import { requestTexts } from "./texts.ts";
import type { Guard, GuardSet, Phase, TextSlot, Verdict } from "./types.ts";

/** Streamed answers are guarded as one text: a stream of several choices cannot be. */
export function checkGuardable(set: GuardSet, draft: BodyDraft): void {
  const n = draft.body.n;
  if (set.streaming && set.response.length > 0 && draft.body.stream === true && typeof n === "number" && n > 1) {
    throw new HttpError(400, "n > 1 is not supported for streamed answers when response guards apply to streams", { code: "unsupported_parameter", param: "n" });
  }
}

export async function guardRequest(set: GuardSet, draft: BodyDraft, ctx: RequestContext): Promise<void> {
  const initial = draft.body.messages;
  if (!isList(initial) || set.request.length === 0) return;
  let messages = initial;
  let changed = false;
  for (const guard of set.request) {
    const texts = requestTexts(messages, guard.scope);
    if (texts.slots.length === 0) continue;
    const verdict = await runGuard(guard, texts.slots, "request", ctx);
    if (verdict.action === "mask") {
      messages = texts.apply(verdict.texts);
      changed = true;
    }
  }
  if (changed) draft.set("messages", messages);
}

function isList(x: unknown): x is Record<string, unknown>[] {
  return Array.isArray(x);
}

/**
 * One guard's verdict: a rejection is thrown as the guard's HTTP error; a guard service that
 * failed is a 503 (`failClosed`, the default) or a pass (`failOpen`). Recorded in the outcome.
 */
export async function runGuard(guard: Guard, slots: readonly TextSlot[], phase: Phase, ctx: RequestContext): Promise<Verdict> {
  let verdict: Verdict;
  try {
    verdict = await guard.check(slots, phase, ctx);
  } catch (err) {
    if (!(err instanceof GuardCallError)) throw err;
    if (guard.failOpen) {
      ctx.outcome.guarded(phase, guard.kind, "failOpen");
      return { action: "pass" };
    }
    ctx.outcome.guarded(phase, guard.kind, "reject");
    throw new HttpError(503, `prompt guard failed (${guard.kind}): ${err.message}`, { code: "guardrail_failed" });
  }
  ctx.outcome.guarded(phase, guard.kind, verdict.action === "pass" ? "allow" : verdict.action);
  if (verdict.action === "reject") throw rejectionError(guard, verdict);
  return verdict;
}

export function rejectionError(guard: Guard, verdict: { status?: number | undefined; message?: string | undefined }): HttpError {
  const status = verdict.status ?? guard.rejection.status;
  return new HttpError(status, verdict.message ?? guard.rejection.message, { code: "guardrail_rejected", headers: guard.rejection.headers });
}
