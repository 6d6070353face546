/**
 * Guard services, each an HTTP call to its documented API (agentgateway's requests and verdicts):
 *   openAIModeration    POST {base}/moderations {model, input: [texts]}; rejected when a result is flagged
 *   bedrockGuardrails   POST /guardrail/{id}/version/{v}/apply {source: INPUT|OUTPUT, content: [{text: {text}}]},
 *                       SigV4; GUARDRAIL_INTERVENED with a BLOCKED assessment rejects, else its
 *                       outputs mask (anonymised PII)
 *   googleModelArmor    POST /v1/projects/{p}/locations/{l}/templates/{t}:sanitizeUserPrompt |
 *                       :sanitizeModelResponse; rejected when a filter reports MATCH_FOUND
 *   azureContentSafety  POST {endpoint}/contentsafety/text:analyze (blocklist hits, or a category at
 *                       or above severityThreshold, default 2) and text:detectJailbreak (requests)
 * Each uses its `policies` for credentials, else the cloud's default chain (AWS, GCP ADC, Entra ID).
 * Endpoints can be redirected (tests, private endpoints) with AGW_OPENAI_MODERATION_BASE_URL,
 * AWS_ENDPOINT_URL_BEDROCK_RUNTIME, AGW_MODEL_ARMOR_BASE_URL; Azure's `endpoint` may be a URL.
 */
import { cloudAuth } from "../../auth/index.ts";
import type { PolicyCompileContext } from "../../policies/types.ts";
import type { RequestContext } from "../../server/context.ts";
import type { RawRequestGuard } from "./schema.ts";
import { callGuardService, compileGuardCall, GuardCallError, serviceBase } from "./side-call.ts";
import type { Phase, TextSlot, Verdict } from "./types.ts";

type Check = (slots: readonly TextSlot[], phase: Phase, ctx: RequestContext) => Promise<Verdict>;
type Raw<K extends keyof RawRequestGuard> = NonNullable<RawRequestGuard[K]>;

const PASS: Verdict = { action: "pass" };
const REJECT: Verdict = { action: "reject" };
/**
 * The endpoint as written may be a placeholder (agentgateway's docs load with
 * `<resource-name>.cognitiveservices.azure.com`, as they do there): a call to it fails as the
 * guard's failure (failureMode decides), not as a crash.
 */
function serviceUrl(text: string, what: string): URL {
  const url = URL.parse(text);
  if (!url) throw new GuardCallError(`${what}: the endpoint ${JSON.stringify(text.slice(0, 80))} is not a URL`);
  return url;
}

const joined = (slots: readonly TextSlot[]) => slots.map((s) => s.text).join("\n");

export function moderationGuard(raw: Raw<"openAIModeration">, ctx: PolicyCompileContext): Check {
  const call = compileGuardCall(raw.policies, ctx);
  const url = new URL(`${serviceBase(ctx, "AGW_OPENAI_MODERATION_BASE_URL", "https://api.openai.com/v1")}/moderations`);
  const model = raw.model ?? "omni-moderation-latest";
  return async (slots, _phase, ctx) => {
    if (slots.length === 0) return PASS;
    const answer = (await callGuardService(ctx, call, url, { model, input: slots.map((s) => s.text) }, "OpenAI moderation")) as { results?: { flagged?: unknown }[] };
    return answer?.results?.some((r) => r?.flagged === true) ? REJECT : PASS;
  };
}

export function bedrockGuard(raw: Raw<"bedrockGuardrails">, ctx: PolicyCompileContext): Check {
  const path = [...ctx.path, "policies", "backendAuth"];
  const at = { ...ctx, region: raw.region }; // SigV4 in the guardrail's region
  const call = compileGuardCall(raw.policies, at, () => cloudAuth.aws?.({ region: raw.region, serviceName: "bedrock" }, at, path));
  const base = serviceBase(ctx, "AWS_ENDPOINT_URL_BEDROCK_RUNTIME", `https://bedrock-runtime.${raw.region}.amazonaws.com`);
  const url = new URL(`${base}/guardrail/${encodeURIComponent(raw.guardrailIdentifier)}/version/${encodeURIComponent(raw.guardrailVersion)}/apply`);
  return async (slots, phase, ctx) => {
    if (slots.length === 0) return PASS;
    const body = { source: phase === "request" ? "INPUT" : "OUTPUT", content: slots.map((s) => ({ text: { text: s.text } })) };
    const answer = (await callGuardService(ctx, call, url, body, "Bedrock Guardrails")) as { action?: unknown; outputs?: { text?: unknown }[]; assessments?: unknown };
    if (answer?.action !== "GUARDRAIL_INTERVENED") return PASS;
    if (hasValue(answer.assessments, "action", "BLOCKED")) return REJECT;
    const outputs = (answer.outputs ?? []).map((o) => (typeof o?.text === "string" ? o.text : ""));
    if (outputs.length === slots.length) return { action: "mask", texts: outputs };
    // one output for several inputs: the masked text replaces the first, the others are emptied
    return outputs.length === 0 ? PASS : { action: "mask", texts: slots.map((_, i) => (i === 0 ? outputs.join("\n") : "")) };
  };
}

export function modelArmorGuard(raw: Raw<"googleModelArmor">, ctx: PolicyCompileContext): Check {
  const location = raw.location ?? "us-central1";
  const path = [...ctx.path, "policies", "backendAuth"];
  const call = compileGuardCall(raw.policies, ctx, () => cloudAuth.gcp?.({}, ctx, path));
  const base = serviceBase(ctx, "AGW_MODEL_ARMOR_BASE_URL", `https://modelarmor.${location}.rep.googleapis.com`);
  const template = `${base}/v1/projects/${encodeURIComponent(raw.projectId)}/locations/${encodeURIComponent(location)}/templates/${encodeURIComponent(raw.templateId)}`;
  return async (slots, phase, ctx) => {
    if (slots.length === 0) return PASS;
    const text = joined(slots);
    const [action, body] = phase === "request" ? ["sanitizeUserPrompt", { userPromptData: { text } }] : ["sanitizeModelResponse", { modelResponseData: { text } }];
    const answer = (await callGuardService(ctx, call, new URL(`${template}:${action}`), body, "Google Model Armor")) as { sanitizationResult?: { filterResults?: unknown } };
    return hasValue(answer?.sanitizationResult?.filterResults, "matchState", "MATCH_FOUND") ? REJECT : PASS;
  };
}

export function azureGuard(raw: Raw<"azureContentSafety">, ctx: PolicyCompileContext): Check {
  const path = [...ctx.path, "policies", "backendAuth"];
  const call = compileGuardCall(raw.policies, ctx, () => cloudAuth.azure?.({ implicit: {} }, ctx, path));
  const endpoint = raw.endpoint.replace(/\/+$/, "");
  const base = /^https?:\/\//.test(endpoint) ? endpoint : `https://${endpoint}`;
  const analyze = raw.analyzeText ?? (raw.detectJailbreak ? undefined : {});
  const jailbreak = raw.detectJailbreak ?? undefined;
  const threshold = analyze?.severityThreshold ?? 2;
  return async (slots, phase, ctx) => {
    if (slots.length === 0) return PASS;
    const text = joined(slots);
    if (analyze) {
      const url = serviceUrl(`${base}/contentsafety/text:analyze?api-version=${analyze.apiVersion ?? "2024-09-01"}`, "Azure Content Safety");
      const body = { text, ...(analyze.blocklistNames?.length ? { blocklistNames: analyze.blocklistNames } : {}), ...(analyze.haltOnBlocklistHit != null ? { haltOnBlocklistHit: analyze.haltOnBlocklistHit } : {}) };
      const answer = (await callGuardService(ctx, call, url, body, "Azure Content Safety")) as { blocklistsMatch?: unknown[]; categoriesAnalysis?: { severity?: unknown }[] };
      if ((answer?.blocklistsMatch?.length ?? 0) > 0) return REJECT;
      if (answer?.categoriesAnalysis?.some((c) => typeof c?.severity === "number" && c.severity >= threshold)) return REJECT;
    }
    if (jailbreak && phase === "request") {
      const url = serviceUrl(`${base}/contentsafety/text:detectJailbreak?api-version=${jailbreak.apiVersion ?? "2024-02-15-preview"}`, "Azure Content Safety");
      const answer = (await callGuardService(ctx, call, url, { text }, "Azure Content Safety")) as { jailbreakAnalysis?: { detected?: unknown } };
      if (answer?.jailbreakAnalysis?.detected === true) return REJECT;
    }
    return PASS;
  };
}

/** Whether `key: value` appears anywhere in a JSON value (objects and arrays searched). */
function hasValue(node: unknown, key: string, value: string): boolean {
  if (Array.isArray(node)) return node.some((n) => hasValue(n, key, value));
  if (node === null || typeof node !== "object") return false;
  const o = node as Record<string, unknown>;
  if (o[key] === value) return true;
  return Object.values(o).some((v) => hasValue(v, key, value));
}
