/**
 * One function builds a provider target for both config styles (`ai` backends under binds and
 * routes, and `llm:` models): where it lives, the provider bound to its settings and base path,
 * its policies (with the provider's default credentials when none are configured and the host is
 * the provider's own), and its pinned model.
 */
import { TargetHealth } from "../../llm/failover/health.ts";
import type { ResolvedProvider } from "../../llm/providers/define.ts";
import { authPolicy } from "../../policies/backend-auth.ts";
import type { Policy } from "../../policies/types.ts";
import type { YamlPath } from "../errors.ts";
import type { ProviderTarget } from "../model.ts";
import type { CompileContext } from "./context.ts";
import { compileBackendPolicies, configured, type Layer } from "./policies.ts";
import { providerLocation } from "./provider-location.ts";

export interface ProviderInput {
  name: string;
  provider: ResolvedProvider;
  /** `scheme://host:port` from `hostOverride` / `params.baseUrl` */
  override: string | undefined;
  pathPrefix: string | undefined;
  pathOverride: string | undefined;
  /** backend policy layers, least specific first */
  layers: readonly Layer[];
  passthrough?: "detect" | "opaque" | undefined;
  /** credentials configured outside the policy layers (the llm: form's `params.apiKey`) */
  auth?: Policy | undefined;
  /** where a problem with the upstream host is reported */
  hostPath: YamlPath;
  /** the AWS region SigV4 signs for when the provider has none of its own (the llm: form's params.awsRegion) */
  region?: string | undefined;
}

export function providerTarget(ctx: CompileContext, p: ProviderInput): ProviderTarget | undefined {
  const location = providerLocation(p.provider, p.override, p.pathPrefix);
  if (typeof location === "string") {
    ctx.issue(p.hostPath, location);
    return undefined;
  }
  // a provider's own host with no configured credentials uses its default chain (cloud ADC, SigV4)
  const defaults: Policy[] = p.auth ? [p.auth] : [];
  if (!p.auth && p.override === undefined && !configured(p.layers, "backendAuth")) {
    const implicit = p.provider.defaultAuth();
    if (implicit) defaults.push(authPolicy(implicit, true));
  }
  const { origin, basePath, passthroughPath } = location;
  const settings = compileBackendPolicies(ctx, p.layers, p.provider.region ?? p.region, defaults);
  return {
    name: p.name,
    provider: p.provider.bind(basePath),
    model: p.provider.model,
    origin,
    basePath,
    passthroughPath,
    pathOverride: p.pathOverride,
    ...settings,
    passthrough: p.passthrough,
    health: new TargetHealth(),
    healthPolicy: settings.policies.find((x) => x.health)?.health,
  };
}
