/**
 * Compiling the policies of a route and of the backends below it.
 *
 * A route's filters (modules with `atRoute: "filter"`) run once per exchange. Backend policies
 * come in layers, least specific first: the route (its backend-scoped modules only), a named
 * backend, the route's reference to it, an `ai` provider. Per module the most specific layer
 * wins, or the layers merge when the module says how (`ai`).
 */
import type { FetchTls, UpstreamTarget } from "../model.ts";
import { composeChain, type Chain } from "../../policies/chain.ts";
import { POLICIES } from "../../policies/registry.ts";
import type { Policy, PolicyModule } from "../../policies/types.ts";
import type { YamlPath } from "../errors.ts";
import type { CompileContext } from "./context.ts";

export type RawPolicies = Readonly<Record<string, unknown>> | null | undefined;

export interface Layer {
  path: YamlPath;
  policies: RawPolicies;
  /** a route's layer contributes only backend-scoped modules (its filters run once, not per backend) */
  route?: boolean;
  /**
   * Where a problem at a policy's path is in the user's file, when the layer's fields are not
   * written as policies (the `llm:` form's `transformation` is `ai.transformations`).
   */
  userPath?: (policyPath: YamlPath) => YamlPath;
}

/** The route's filters, in registry order, and their composed `handle` chain. */
export function compileRouteFilters(ctx: CompileContext, raw: RawPolicies, path: YamlPath): { policies: Policy[]; chain: Chain } {
  const policies: Policy[] = [];
  for (const m of POLICIES) {
    const value = raw?.[m.key];
    if (m.atRoute !== "filter" || value === undefined || value === null) continue;
    const compiled = m.compile(value, ctx.policy([...path, m.key]));
    if (compiled) policies.push(compiled);
  }
  return { policies, chain: composeChain(policies) };
}

type DerivedSettings = Pick<UpstreamTarget, "policies" | "tls" | "stripClientAuth" | "secrets" | "consumesUsage">;

/**
 * The backend policies of one upstream, compiled from its layers, plus `extra` (a provider's
 * default credentials) after them.
 */
export function compileBackendPolicies(ctx: CompileContext, layers: readonly Layer[], region?: string, extra: readonly Policy[] = []): DerivedSettings & { routes: Policy["routes"] } {
  const policies: Policy[] = [];
  for (const m of POLICIES) {
    const found = effective(m, layers);
    if (!found) continue;
    const pc = ctx.policy(found.path, region, true);
    const toUser = found.userPath;
    const compiled = m.compile(found.value, toUser ? { ...pc, issue: (p, message) => pc.issue(toUser(p), message) } : pc);
    if (compiled) policies.push(compiled);
  }
  policies.push(...extra);
  return { ...derive(policies), routes: [...policies].reverse().find((p) => p.routes)?.routes };
}

/** Whether any layer configures `key` (e.g. a backendAuth that replaces the provider's default credentials). */
export function configured(layers: readonly Layer[], key: string): boolean {
  return layers.some((l) => l.policies?.[key] !== undefined && l.policies?.[key] !== null);
}

function effective(m: PolicyModule, layers: readonly Layer[]): { value: unknown; path: YamlPath; userPath: Layer["userPath"] } | undefined {
  let found: { value: unknown; path: YamlPath; userPath: Layer["userPath"] } | undefined;
  for (const layer of layers) {
    if (layer.route && m.atRoute !== "backend") continue;
    const value = layer.policies?.[m.key];
    if (value === undefined || value === null) continue;
    const path = [...layer.path, m.key];
    found = { value: found && m.merge ? m.merge(found.value, value) : value, path, userPath: layer.userPath };
  }
  return found;
}

/** What the upstream call reads of the policies once, not per request. */
export function derive(policies: readonly Policy[]): DerivedSettings {
  let tls: FetchTls | undefined;
  let stripClientAuth = false;
  let consumesUsage = false;
  const secrets = [];
  for (const p of policies) {
    if (p.consumesUsage) consumesUsage = true;
    if (p.tls) tls = p.tls;
    if (p.replacesClientAuth) stripClientAuth = true;
    if (p.secrets) secrets.push(...p.secrets);
  }
  return { policies, tls, stripClientAuth, secrets, consumesUsage };
}
