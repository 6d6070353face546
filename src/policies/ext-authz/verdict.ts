/**
 * What an authorization service said, whatever its protocol, and what the check request carries.
 */
import type { RequestContext } from "../../server/context.ts";
import { gatewayManagedHeader } from "../../http/headers.ts";
import { requestOrigin } from "../url-parts.ts";

/** How an allowing answer edits the upstream request's headers (Envoy's HeaderAppendAction). */
export type HeaderEdit = { name: string; value: string; action: "append" | "set" | "addIfAbsent" | "setIfExists" };

export type Verdict =
  | { kind: "allow"; upstream: readonly HeaderEdit[]; remove: readonly string[]; answer: readonly (readonly [string, string])[] }
  | { kind: "deny"; status: number; body: string; headers: readonly (readonly [string, string])[] }
  /** the service could not decide (unreachable, timed out, malformed answer): the failure mode decides */
  | { kind: "failed"; reason: string };

export interface CheckInput {
  ctx: RequestContext;
  /** the headers the service sees, pseudo headers included */
  headers: readonly (readonly [string, string])[];
  /** the body the service sees (empty when not configured) and the client's body size */
  body: Uint8Array;
  size: number;
  partial: boolean;
}

/** Headers passed back to the client from a verdict: not the ones the gateway manages, nor the body's type. */
export function answerable(name: string): boolean {
  return !gatewayManagedHeader(name) && name.toLowerCase() !== "content-type";
}

/** The pseudo headers of the client's request, as Envoy names them. */
export function pseudoHeaders(ctx: RequestContext): [string, string][] {
  const { scheme, authority } = requestOrigin(ctx.req);
  return [
    [":method", ctx.method],
    [":path", ctx.query ? `${ctx.path}?${ctx.query}` : ctx.path],
    [":authority", authority],
    [":scheme", scheme],
  ];
}

/** `include` (names, pseudo ones too) of the client's request; every header and pseudo header when `include` is undefined. */
export function selectHeaders(ctx: RequestContext, include: readonly string[] | undefined): [string, string][] {
  const pseudo = pseudoHeaders(ctx);
  if (include === undefined) return [...pseudo, ...ctx.req.headers];
  const out: [string, string][] = [];
  for (const name of include) {
    const lower = name.toLowerCase();
    const value = lower.startsWith(":") ? pseudo.find(([p]) => p === lower)?.[1] : (ctx.req.headers.get(lower) ?? undefined);
    if (value !== undefined) out.push([lower, value]);
  }
  return out;
}

export function applyEdits(headers: Headers, edits: readonly HeaderEdit[], remove: readonly string[]): void {
  // the upstream's host and the framing are the gateway's, never the service's
  for (const name of remove) if (!gatewayManagedHeader(name)) headers.delete(name);
  for (const e of edits) {
    if (gatewayManagedHeader(e.name)) continue;
    const has = headers.has(e.name);
    if (e.action === "append") headers.append(e.name, e.value);
    else if (e.action === "set" || (e.action === "addIfAbsent" && !has) || (e.action === "setIfExists" && has)) headers.set(e.name, e.value);
  }
}
