/**
 * `promptGuard` (agentgateway's `PromptGuard`): guards on requests and responses, each one of
 * `regex`, `webhook`, `openAIModeration`, `bedrockGuardrails`, `googleModelArmor`,
 * `azureContentSafety`, with its `rejection` (and, for requests, `scope`). Also the `llm:`
 * form's `guardrails`.
 */
import { z } from "zod";
import { BackendAuthSchema } from "../../policies/backend-auth.ts";
import { BackendTlsSchema } from "../../policies/backend-tls.ts";
import { exactlyOne, HeaderMatch, HeaderModifier, notYetFields } from "../../config/schema/parts.ts";

const RegexRule = z.union([
  z.strictObject({ builtin: z.enum(["ssn", "creditCard", "phoneNumber", "email", "caSin"]) }),
  z.strictObject({ pattern: z.string().min(1) }),
]);

const RegexRules = z.strictObject({ action: z.enum(["mask", "reject"]).nullish(), rules: z.array(RegexRule).min(1) }).meta({ id: "RegexRules" });

/** The policies a guard service call may carry (agentgateway's `SimpleLocalBackendPolicies`). */
export const GuardCallPolicies = z
  .strictObject({
    requestHeaderModifier: HeaderModifier.nullish(),
    backendTLS: BackendTlsSchema.nullish(),
    backendAuth: BackendAuthSchema.nullish(),
    ...notYetFields(["transformations", "http", "tcp", "backendTunnel"]),
  })
  .meta({ id: "GuardCallPolicies" });

const Webhook = z
  .strictObject({
    target: z.strictObject({ host: z.string().min(1).optional(), ...notYetFields(["backend", "service"]) }),
    forwardHeaderMatches: z.array(HeaderMatch).nullish(),
    failureMode: z.enum(["failClosed", "failOpen"]).nullish(),
    /** header values computed by CEL; `:path`, `:method` and `:authority` set the call's path, method and Host */
    headers: z.record(z.string().min(1), z.string().min(1)).nullish(),
  })
  .meta({ id: "WebhookGuard" });

const Moderation = z.strictObject({ model: z.string().nullish(), policies: GuardCallPolicies.nullish() }).meta({ id: "OpenAIModeration" });

const BedrockGuardrails = z
  .strictObject({ guardrailIdentifier: z.string().min(1), guardrailVersion: z.string().min(1), region: z.string().min(1), policies: GuardCallPolicies.nullish() })
  .meta({ id: "BedrockGuardrails" });

const GoogleModelArmor = z
  .strictObject({ templateId: z.string().min(1), projectId: z.string().min(1), location: z.string().nullish(), policies: GuardCallPolicies.nullish() })
  .meta({ id: "GoogleModelArmor" });

const AzureContentSafety = z
  .strictObject({
    endpoint: z.string().min(1),
    policies: GuardCallPolicies.nullish(),
    analyzeText: z
      .strictObject({
        severityThreshold: z.int().min(0).max(7).nullish(),
        apiVersion: z.string().nullish(),
        blocklistNames: z.array(z.string()).nullish(),
        haltOnBlocklistHit: z.boolean().nullish(),
      })
      .nullish(),
    detectJailbreak: z.strictObject({ apiVersion: z.string().nullish() }).nullish(),
  })
  .meta({ id: "AzureContentSafety" });

const Rejection = z
  .strictObject({ status: z.int().min(100).max(599).nullish(), body: z.string().nullish(), headers: HeaderModifier.nullish() })
  .meta({ id: "GuardRejection" });

const KINDS = ["regex", "webhook", "openAIModeration", "bedrockGuardrails", "googleModelArmor", "azureContentSafety"] as const;

const guardFields = {
  regex: RegexRules.optional(),
  webhook: Webhook.optional(),
  bedrockGuardrails: BedrockGuardrails.optional(),
  googleModelArmor: GoogleModelArmor.optional(),
  azureContentSafety: AzureContentSafety.optional(),
  rejection: Rejection.nullish(),
};

export const RequestGuard = z
  .strictObject({
    ...guardFields,
    openAIModeration: Moderation.optional(),
    scope: z.array(z.enum(["systemPrompt", "messages", "toolOutput", "toolInput"])).min(1).nullish(),
  })
  .superRefine(exactlyOne(KINDS, "request guard"))
  .meta({ id: "RequestGuard" });

export const ResponseGuard = z
  .strictObject(guardFields)
  .superRefine(exactlyOne(KINDS.filter((k) => k !== "openAIModeration"), "response guard"))
  .meta({ id: "ResponseGuard" });

export const PromptGuardSchema = z
  .strictObject({
    streaming: z.enum(["Disabled", "Enabled"]).nullish(),
    request: z.array(RequestGuard).nullish(),
    response: z.array(ResponseGuard).nullish(),
  })
  .meta({ id: "PromptGuard" });

export type RawPromptGuard = z.output<typeof PromptGuardSchema>;
export type RawRequestGuard = z.output<typeof RequestGuard>;
export type RawResponseGuard = z.output<typeof ResponseGuard>;
export type RawGuardCallPolicies = z.output<typeof GuardCallPolicies>;

/** Two guard settings as one: an inner `streaming` wins, the lists are concatenated (outer first). */
export function mergePromptGuards(outer: RawPromptGuard | null | undefined, inner: RawPromptGuard | null | undefined): RawPromptGuard | undefined {
  if (!outer || !inner) return inner ?? outer ?? undefined;
  return {
    streaming: inner.streaming ?? outer.streaming,
    request: [...(outer.request ?? []), ...(inner.request ?? [])],
    response: [...(outer.response ?? []), ...(inner.response ?? [])],
  };
}
