/**
 * The `webhook` guard: agentgateway's guardrail webhook protocol.
 *   request   POST {target}/request   {"body": {"messages": [{"role", "content"}]}}
 *   response  POST {target}/response  {"body": {"choices": [{"message": {"role", "content"}}]}}
 * The answer is `{"action": ...}`: a pass (`{reason?}`), a mask (`{body: {messages | choices},
 * reason?}`, the texts rewritten in the same order) or a reject (`{body: "<message>",
 * status_code, reason?}`). Client headers matching `forwardHeaderMatches` are forwarded.
 */
import { originOf } from "../../config/compile/backends.ts";
import { fullRegex } from "../../routing/router.ts";
import type { PolicyCompileContext } from "../../policies/types.ts";
import { callGuardService, compileGuardCall } from "./side-call.ts";
import type { RawRequestGuard } from "./schema.ts";
import type { Phase, TextSlot, Verdict } from "./types.ts";
import type { RequestContext } from "../../server/context.ts";

type RawWebhook = NonNullable<RawRequestGuard["webhook"]>;
type Check = (slots: readonly TextSlot[], phase: Phase, ctx: RequestContext) => Promise<Verdict>;

export function webhookGuard(raw: RawWebhook, ctx: PolicyCompileContext): Check | undefined {
  const origin = raw.target.host ? originOf(raw.target.host, false) : undefined;
  if (!origin) {
    ctx.issue([...ctx.path, "target"], "webhook: expected target.host as \"host:port\" or a URL");
    return undefined;
  }
  const call = compileGuardCall(undefined, ctx);
  const forward = (raw.forwardHeaderMatches ?? []).map((h) => {
    const name = h.name.toLowerCase();
    const test = h.value.exact !== undefined ? (v: string) => v === h.value.exact : ((re: RegExp) => (v: string) => re.test(v))(fullRegex(h.value.regex!));
    return { name, test };
  });
  return async (slots, phase, ctx) => {
    const headers = new Headers();
    for (const f of forward) {
      const v = ctx.req.headers.get(f.name);
      if (v !== null && f.test(v)) headers.set(f.name, v);
    }
    const body =
      phase === "request"
        ? { body: { messages: slots.map((s) => ({ role: s.role, content: s.text })) } }
        : { body: { choices: slots.map((s) => ({ message: { role: s.role, content: s.text } })) } };
    const answer = await callGuardService(ctx, call, new URL(`${origin}/${phase}`), body, "the guard webhook", headers);
    return verdictOf(answer, slots, phase);
  };
}

function verdictOf(answer: unknown, slots: readonly TextSlot[], phase: Phase): Verdict {
  const action = (answer as { action?: Record<string, unknown> } | null)?.action;
  if (!action || typeof action !== "object") return { action: "pass" };
  if (typeof action.body === "string" && typeof action.status_code === "number") {
    return { action: "reject", status: action.status_code, message: action.body };
  }
  const body = action.body as { messages?: { content?: unknown }[]; choices?: { message?: { content?: unknown } }[] } | undefined;
  if (!body || typeof body !== "object") return { action: "pass" };
  const contents = phase === "request" ? body.messages?.map((m) => m?.content) : body.choices?.map((c) => c?.message?.content);
  if (!Array.isArray(contents)) return { action: "pass" };
  return { action: "mask", texts: slots.map((s, i) => (typeof contents[i] === "string" ? (contents[i] as string) : s.text)) };
}
