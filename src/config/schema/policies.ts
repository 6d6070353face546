/**
 * The policy objects of each level, composed from the policy registry: each implemented module's
 * schema at the levels it allows, and every other agentgateway field of that level declared "not
 * supported yet" (so using one fails the load by name). Adding a policy changes nothing here.
 */
import { z } from "zod";
import { POLICIES } from "../../policies/registry.ts";
import type { PolicyLevel } from "../../policies/types.ts";
import { notYet } from "./parts.ts";
import { PromptGuardSchema } from "../../llm/guard/schema.ts";

/** agentgateway's fields per level (`LocalGatewayPolicy`, `FilterOrPolicy`, `LocalBackendPolicies`, `LocalLLMPolicy`). */
const AGENTGATEWAY_FIELDS: Record<PolicyLevel, readonly string[]> = {
  gateway: ["oidc", "jwtAuth", "authorization", "extAuthz", "extProc", "cors", "transformations", "basicAuth", "apiKey"],
  route: [
    "requestHeaderModifier", "responseHeaderModifier", "requestRedirect", "urlRewrite", "requestMirror", "directResponse",
    "cors", "mcpAuthorization", "mcpGuardrails", "authorization", "mcpAuthentication", "a2a", "ai", "backendTLS",
    "backendTunnel", "backendAuth", "localRateLimit", "remoteRateLimit", "jwtAuth", "oidc", "basicAuth", "apiKey",
    "extAuthz", "extProc", "transformations", "csrf", "buffer", "timeout", "retry", "delay",
  ],
  backend: [
    "requestHeaderModifier", "responseHeaderModifier", "transformations", "backendTLS", "backendAuth", "http", "tcp",
    "backendTunnel", "requestRedirect", "health", "extAuthz", "authorization", "mcpAuthorization", "mcpGuardrails", "a2a",
    "inferenceRouting", "sessionAffinity", "ai",
  ],
  llm: ["oidc", "jwtAuth", "authorization", "extAuthz", "extProc", "cors", "transformations", "basicAuth", "apiKey", "guardrails", "localRateLimit", "remoteRateLimit"],
};

/** The fields of the policy object at `level`, implemented ones first. */
export function policyFields(level: PolicyLevel): Record<string, z.ZodType> {
  const fields: Record<string, z.ZodType> = {};
  for (const m of POLICIES) if (m.levels.includes(level)) fields[m.key] = m.schema.nullish();
  for (const name of AGENTGATEWAY_FIELDS[level]) fields[name] ??= notYet(name);
  return fields;
}

/** Policies that sit on a route (`FilterOrPolicy`). */
export const RoutePolicies = z.strictObject(policyFields("route")).meta({ id: "RoutePolicies" });

/** Policies that sit on a backend (`LocalBackendPolicies`). */
export const BackendPolicies = z.strictObject(policyFields("backend")).meta({ id: "BackendPolicies" });

/** Policies that sit on a gateway or listener (`LocalGatewayPolicy`: authentication-type policies). */
export const GatewayPolicies = z.strictObject(policyFields("gateway")).meta({ id: "GatewayPolicies" });

/**
 * `llm.policies` (`LocalLLMPolicy`): applied to every request of the `llm:` form, before model
 * selection; its `guardrails` run before each model's own (src/config/compile/llm.ts).
 */
export const LlmPolicies = z.strictObject({ ...policyFields("llm"), guardrails: PromptGuardSchema.nullish() }).meta({ id: "LlmPolicies" });

export type RawPolicyObject = Readonly<Record<string, unknown>>;
