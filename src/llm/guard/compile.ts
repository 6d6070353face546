/**
 * `promptGuard` compiled once at load into the guards of each provider target: regex rules
 * checked (a bad custom pattern fails the load, located), services bound to their endpoints and
 * credentials, rejections and scopes resolved.
 */
import type { YamlPath } from "../../config/errors.ts";
import type { PolicyCompileContext } from "../../policies/types.ts";
import { applyMasks, builtinRule, findMatches, patternRule, type Rule } from "./regex.ts";
import type { RawPromptGuard, RawRequestGuard } from "./schema.ts";
import { azureGuard, bedrockGuard, modelArmorGuard, moderationGuard } from "./services.ts";
import { DEFAULT_REJECTION, type Guard, type GuardSet, type Rejection, type Scope, type TextSlot, type Verdict } from "./types.ts";
import { webhookGuard } from "./webhook.ts";

const KINDS = ["webhook", "openAIModeration", "bedrockGuardrails", "googleModelArmor", "azureContentSafety"] as const;
const DEFAULT_SCOPE: ReadonlySet<Scope> = new Set(["systemPrompt", "messages"]);

export function compileGuards(raw: RawPromptGuard, ctx: PolicyCompileContext): GuardSet | undefined {
  const request = (raw.request ?? []).map((g, i) => compileGuard(g, { ...ctx, path: [...ctx.path, "request", i] })).filter((g): g is Guard => g !== undefined);
  const response = (raw.response ?? []).map((g, i) => compileGuard(g, { ...ctx, path: [...ctx.path, "response", i] })).filter((g): g is Guard => g !== undefined);
  if (request.length === 0 && response.length === 0) return undefined;
  return { request, response, streaming: raw.streaming === "Enabled", key: JSON.stringify(raw) };
}

/** A response guard has the same shape without `scope` and `openAIModeration`. */
function compileGuard(raw: RawRequestGuard, ctx: PolicyCompileContext): Guard | undefined {
  const base = {
    scope: raw.scope ? new Set<Scope>(raw.scope) : DEFAULT_SCOPE,
    rejection: rejectionOf(raw.rejection),
    failOpen: raw.webhook?.failureMode === "failOpen",
  };
  const at = (key: string): PolicyCompileContext => ({ ...ctx, path: [...ctx.path, key] });
  if (raw.regex) {
    const rules = regexRules(raw.regex.rules, ctx, [...ctx.path, "regex", "rules"]);
    const reject = raw.regex.action === "reject";
    return { kind: "regex", ...base, regex: { rules, reject }, check: (slots) => regexVerdict(rules, reject, slots) };
  }
  const check = raw.webhook
    ? webhookGuard(raw.webhook, at("webhook"))
    : raw.openAIModeration
      ? moderationGuard(raw.openAIModeration, at("openAIModeration"))
      : raw.bedrockGuardrails
        ? bedrockGuard(raw.bedrockGuardrails, at("bedrockGuardrails"))
        : raw.googleModelArmor
          ? modelArmorGuard(raw.googleModelArmor, at("googleModelArmor"))
          : raw.azureContentSafety
            ? azureGuard(raw.azureContentSafety, at("azureContentSafety"))
            : undefined;
  return check ? { kind: KINDS.find((k) => raw[k]) ?? "guard", ...base, check } : undefined;
}

function regexRules(raw: NonNullable<RawRequestGuard["regex"]>["rules"], ctx: PolicyCompileContext, path: YamlPath): Rule[] {
  const rules: Rule[] = [];
  raw.forEach((r, i) => {
    if ("builtin" in r) return void rules.push(builtinRule(r.builtin));
    try {
      rules.push(patternRule(r.pattern));
    } catch (err) {
      ctx.issue([...path, i, "pattern"], `invalid regex ${JSON.stringify(r.pattern)}: ${(err as Error).message}`);
    }
  });
  return rules;
}

const PASS: Verdict = Object.freeze({ action: "pass" });

/**
 * Masks every slot's text; a match rejects instead when the action is `reject`. The masked list
 * is made only once something matched (most texts match nothing: no array, no object for them).
 */
function regexVerdict(rules: readonly Rule[], reject: boolean, slots: readonly TextSlot[]): Verdict {
  let masked: string[] | undefined;
  for (let i = 0; i < slots.length; i++) {
    const text = slots[i]!.text;
    const matches = findMatches(rules, text);
    if (matches.length === 0) {
      masked?.push(text);
      continue;
    }
    if (reject) return { action: "reject" };
    masked ??= slots.slice(0, i).map((s) => s.text);
    masked.push(applyMasks(text, matches));
  }
  return masked ? { action: "mask", texts: masked } : PASS;
}

function rejectionOf(raw: RawRequestGuard["rejection"]): Rejection {
  if (!raw) return DEFAULT_REJECTION;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.headers?.add ?? {})) headers[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(raw.headers?.set ?? {})) headers[k.toLowerCase()] = v;
  return { status: raw.status ?? DEFAULT_REJECTION.status, message: raw.body ?? DEFAULT_REJECTION.message, headers };
}
