/**
 * Calls to guard services (a webhook, OpenAI moderation, Bedrock Guardrails, Model Armor, Azure
 * Content Safety): a JSON POST with the guard's own `policies` (credentials, header edits, TLS)
 * or the service's default credentials, a 10 s deadline (agentgateway's) within the exchange's,
 * and the JSON answer. Any failure (unreachable, non-2xx, not JSON, too slow) throws
 * `GuardCallError`; the guard's `failureMode` decides what that means.
 */
import type { FetchTls } from "../../config/model.ts";
import { answerText } from "../../http/answer-body.ts";
import { HttpError } from "../../http/errors.ts";
import { callUpstream } from "../../http/upstream.ts";
import { compileBackendAuth, authPolicy } from "../../policies/backend-auth.ts";
import { backendTls } from "../../policies/backend-tls.ts";
import { runSend } from "../../policies/chain.ts";
import { requestHeaderModifier } from "../../policies/request-header-modifier.ts";
import type { Policy, PolicyCompileContext } from "../../policies/types.ts";
import type { RequestContext } from "../../server/context.ts";
import type { Authorizer, UpstreamRequest } from "../types.ts";
import type { RawGuardCallPolicies } from "./schema.ts";
import { GUARD_TIMEOUT_MS } from "./types.ts";

export class GuardCallError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GuardCallError";
  }
}

export interface GuardCall {
  policies: readonly Policy[];
  tls: FetchTls | undefined;
}

/** A guard's `policies`, compiled; `implicit` credentials when it configures none. */
export function compileGuardCall(raw: RawGuardCallPolicies | null | undefined, ctx: PolicyCompileContext, implicit?: () => Authorizer | undefined): GuardCall {
  const at = (key: string) => ({ ...ctx, path: [...ctx.path, "policies", key] });
  const policies: Policy[] = [];
  if (raw?.requestHeaderModifier) {
    const p = requestHeaderModifier.compile(raw.requestHeaderModifier, at("requestHeaderModifier"));
    if (p) policies.push(p);
  }
  let tls: FetchTls | undefined;
  if (raw?.backendTLS) tls = backendTls.compile(raw.backendTLS, at("backendTLS"))?.tls;
  if (raw?.backendAuth) {
    const p = compileBackendAuth(raw.backendAuth, at("backendAuth"), [...ctx.path, "policies", "backendAuth"]);
    if (p) policies.push(p);
  } else {
    const auth = implicit?.();
    if (auth) policies.push(authPolicy(auth, true));
  }
  return { policies, tls };
}

/** POSTs `body` as JSON to `url` and returns the parsed answer. */
export async function callGuardService(ctx: RequestContext, call: GuardCall, url: URL, body: unknown, what: string, headers?: Headers, method = "POST"): Promise<unknown> {
  const h = headers ?? new Headers();
  h.set("content-type", "application/json");
  h.set("accept", "application/json");
  const req: UpstreamRequest = { url, method, headers: h, body: JSON.stringify(body) };
  await runSend(call.policies, req, ctx);
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(GUARD_TIMEOUT_MS)]);
  let res: Response;
  try {
    res = await callUpstream({ method: req.method, url: req.url, headers: req.headers, body: req.body as string, tls: call.tls, signal });
  } catch (err) {
    throw new GuardCallError(`${what}: ${(err as Error).message}`);
  }
  let text: string;
  try {
    text = await answerText(res, ctx.bufferLimit);
  } catch (err) {
    throw new GuardCallError(err instanceof HttpError ? `${what}: ${err.message}` : `${what}: the answer broke off`);
  }
  if (!res.ok) throw new GuardCallError(`${what} answered HTTP ${res.status}`);
  try {
    return JSON.parse(text);
  } catch {
    throw new GuardCallError(`${what} answered with something that is not JSON`);
  }
}

/**
 * A service's base URL: an environment override (tests, private endpoints) or its own. An
 * override that is not an http(s) URL is a config error (at the guard) rather than a crash.
 */
export function serviceBase(ctx: PolicyCompileContext, envName: string, fallback: string): string {
  const override = ctx.env?.[envName] || undefined;
  const usable = override !== undefined && isHttpUrl(override);
  if (override !== undefined && !usable) ctx.issue(ctx.path, `${envName} must be an http(s) URL (found ${JSON.stringify(override.slice(0, 80))})`);
  return (usable ? override : fallback).replace(/\/+$/, "");
}

/** Whether `text` is an absolute http or https URL. */
export function isHttpUrl(text: string): boolean {
  return /^https?:$/.test(URL.parse(text)?.protocol ?? "");
}
