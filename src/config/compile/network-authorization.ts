/**
 * `frontendPolicies.networkAuthorization`: CEL rules over the connection (`source.address`,
 * `source.port`; `cidr("10.0.0.0/8").containsIP(source.address)`), decided as `authorization`
 * decides (any true deny denies, every require must hold, then any allow allows). agentgateway
 * refuses the TCP connection; Bun gives a request handler no way to drop its socket, so a refused
 * client gets a 403 with `connection: close` before any routing or policy runs (a deliberate,
 * documented difference: the client learns why instead of seeing a reset). `source.tls` is null:
 * client certificates are not requested.
 */
import { compileRules, decide } from "../../policies/authorization.ts";
import type { RawConfig } from "../schema.ts";
import type { CompileContext } from "./context.ts";

/** Undefined when the connection may go on, else why not. */
export type NetworkAuthorization = (source: { address: string; port: number } | undefined) => string | undefined;

export function compileNetworkAuthorization(ctx: CompileContext, raw: RawConfig): NetworkAuthorization | undefined {
  const policy = raw.frontendPolicies?.networkAuthorization;
  if (!policy) return undefined;
  const rules = compileRules(policy, ctx, ["frontendPolicies", "networkAuthorization"]);
  if (rules.allow.length + rules.deny.length + rules.require.length === 0) return undefined;
  return (source) => decide(rules, { source: source ? { address: source.address, port: BigInt(source.port), tls: null } : null });
}
