/**
 * The `webhook` guard: agentgateway's guardrail webhook protocol.
 *   request   POST {target}/request   {"body": {"messages": [{"role", "content"}]}}
 *   response  POST {target}/response  {"body": {"choices": [{"message": {"role", "content"}}]}}
 * The answer is `{"action": ...}`: a pass (`{reason?}`), a mask (`{body: {messages | choices},
 * reason?}`, the texts rewritten in the same order) or a reject (`{body: "<message>",
 * status_code, reason?}`). Client headers matching `forwardHeaderMatches` are forwarded;
 * `headers` adds values computed by CEL, and its `:path`, `:method` and `:authority` entries set
 * the call's path, method and Host header (the host it connects to is always `target`).
 */
import { celField, celVars, evalString, prepareCel, type CelExpression } from "../../cel/index.ts";
import { upstreamOrigin, upstreamUrl } from "../../http/upstream-url.ts";
import { originOf } from "../../config/compile/backends.ts";
import { fullRegex } from "../../routing/router.ts";
import type { PolicyCompileContext } from "../../policies/types.ts";
import { callGuardService, compileGuardCall, GuardCallError } from "./side-call.ts";
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
  const target = upstreamOrigin(origin);
  if (!target) {
    ctx.issue([...ctx.path, "target"], "webhook: expected target.host as \"host:port\" or a URL");
    return undefined;
  }
  const call = compileGuardCall(undefined, ctx);
  const computed = compileHeaders(raw.headers, ctx);
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
    const pseudo = await computeHeaders(computed, headers, ctx);
    let url: URL;
    try {
      url = upstreamUrl(target, pseudo.path ?? `/${phase}`);
    } catch {
      throw new GuardCallError(`the guard webhook: its ':path' must be an absolute path, got ${JSON.stringify(pseudo.path)}`);
    }
    const answer = await callGuardService(ctx, call, url, body, "the guard webhook", headers, pseudo.method);
    return verdictOf(answer, slots, phase);
  };
}

/** Methods a webhook call may use (CONNECT and TRACE are not requests with a JSON body). */
const METHOD = /^(get|post|put|patch|delete|options|head)$/i;

interface ComputedHeader {
  name: string;
  expr: CelExpression;
}

function compileHeaders(raw: Readonly<Record<string, string>> | null | undefined, ctx: PolicyCompileContext): ComputedHeader[] {
  const out: ComputedHeader[] = [];
  for (const [name, source] of Object.entries(raw ?? {})) {
    const at = [...ctx.path, "headers", name];
    const lower = name.toLowerCase();
    if (lower.startsWith(":") && ![":path", ":method", ":authority"].includes(lower)) {
      ctx.issue(at, `webhook headers: '${name}' is not a pseudo-header the webhook call takes (':path', ':method', ':authority')`);
      continue;
    }
    const expr = celField(ctx, source, at);
    if (expr) out.push({ name: lower, expr });
  }
  return out;
}

/** Sets the computed headers on `headers`; a value that does not evaluate is left out. */
async function computeHeaders(computed: readonly ComputedHeader[], headers: Headers, ctx: RequestContext): Promise<{ path?: string; method?: string }> {
  if (computed.length === 0) return {};
  await prepareCel(ctx, computed.map((c) => c.expr));
  const vars = celVars(ctx);
  const pseudo: { path?: string; method?: string } = {};
  for (const { name, expr } of computed) {
    const value = evalString(expr, vars);
    if (value === undefined) continue;
    if (name === ":path") pseudo.path = value;
    else if (name === ":method") pseudo.method = METHOD.test(value) ? value.toUpperCase() : undefined;
    else {
      try {
        headers.set(name === ":authority" ? "host" : name, value);
      } catch {
        // not a valid header value (a newline, say): left out, like a value that does not evaluate
      }
    }
  }
  return pseudo;
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
