/**
 * `ai`: what an LLM backend does with requests before they are translated.
 *   routes        path suffix -> route type (which API a path speaks)
 *   defaults      body fields set when the client left them out
 *   overrides     body fields always set
 *   transformations       body fields computed by CEL (src/llm/shaping/transformations.ts)
 *   finalTransformations  the same, on the body as it goes to the provider (after translation)
 *   modelAliases  the client's model renamed: exact names first, then `*` patterns, longest first
 *   prompts       messages added before / after the client's (src/llm/shaping/prompts.ts)
 *   promptCaching cache markers for Anthropic and Bedrock (src/llm/shaping/prompt-caching.ts)
 *   promptGuard   guards on requests and answers (src/llm/guard/)
 * A backend policy: set on a route and on a backend, the settings merge field by field (the
 * backend's win).
 */
import { z } from "zod";
import type { ProviderTarget } from "../config/model.ts";
import { JsonRecord, RouteTypeName } from "../config/schema/parts.ts";
import { compileGuards } from "../llm/guard/compile.ts";
import { checkGuardable, guardRequest } from "../llm/guard/request.ts";
import { mergePromptGuards, PromptGuardSchema } from "../llm/guard/schema.ts";
import type { GuardSet } from "../llm/guard/types.ts";
import { modelPattern, type ModelMatcher } from "../llm/model-pattern.ts";
import { compilePromptCaching, PromptCachingSchema, takesCacheMarkers } from "../llm/shaping/prompt-caching.ts";
import { compilePrompts, PromptsSchema } from "../llm/shaping/prompts.ts";
import { compileFieldTransforms, FieldTransformsSchema, transformDraft, transformUpstreamBody, type FieldTransforms } from "../llm/shaping/transformations.ts";
import type { RequestContext } from "../server/context.ts";
import { sortTable } from "../llm/route-type.ts";
import type { RouteType } from "../llm/types.ts";
import { definePolicy, type BodyDraft, type Policy } from "./types.ts";

export const AiPolicySchema = z
  .strictObject({
    routes: z.record(z.string(), RouteTypeName).nullish(),
    defaults: JsonRecord.nullish(),
    overrides: JsonRecord.nullish(),
    modelAliases: z.record(z.string(), z.string()).nullish(),
    prompts: PromptsSchema.nullish(),
    promptCaching: PromptCachingSchema.nullish(),
    promptGuard: PromptGuardSchema.nullish(),
    transformations: FieldTransformsSchema.nullish(),
    finalTransformations: FieldTransformsSchema.nullish(),
  })
  .meta({ id: "AiPolicy" });

export type RawAiPolicy = z.output<typeof AiPolicySchema>;

export const ai = definePolicy({
  key: "ai",
  schema: AiPolicySchema,
  levels: ["route", "backend"],
  atRoute: "backend",
  merge: (outer, inner) => ({
    routes: inner.routes ?? outer.routes,
    defaults: merged(outer.defaults, inner.defaults),
    overrides: merged(outer.overrides, inner.overrides),
    transformations: merged(outer.transformations, inner.transformations),
    finalTransformations: merged(outer.finalTransformations, inner.finalTransformations),
    modelAliases: merged(outer.modelAliases, inner.modelAliases),
    prompts: inner.prompts ?? outer.prompts,
    promptCaching: inner.promptCaching ?? outer.promptCaching,
    promptGuard: mergePromptGuards(outer.promptGuard, inner.promptGuard),
  }),
  compile(raw, ctx) {
    const prepare = compileBodyChanges(raw, compileFieldTransforms(ctx, raw.transformations, [...ctx.path, "transformations"]));
    const final = compileFieldTransforms(ctx, raw.finalTransformations, [...ctx.path, "finalTransformations"]);
    const upstreamBody = final ? (body: string | Uint8Array, rc: RequestContext) => transformUpstreamBody(final, body, rc) : undefined;
    const guards = raw.promptGuard ? compileGuards(raw.promptGuard, { ...ctx, path: [...ctx.path, "promptGuard"] }) : undefined;
    const hubRequest = compileHubRequest(raw, guards);
    const routes = raw.routes
      ? { table: sortTable(Object.entries(raw.routes)), fallback: raw.routes["*"] ?? ("completions" as RouteType) }
      : undefined;
    if (!prepare && !routes && !hubRequest && !guards && !upstreamBody) return undefined;
    return {
      key: "ai",
      ...(prepare ? { prepare } : {}),
      ...(hubRequest ? { hubRequest } : {}),
      ...(upstreamBody ? { upstreamBody } : {}),
      ...(routes ? { routes } : {}),
      ...(guards ? { guards } : {}),
    };
  },
});

/** What the ai policy does to the hub request: prompt enrichment, request guards, cache markers. */
function compileHubRequest(raw: RawAiPolicy, guards: GuardSet | undefined): Policy["hubRequest"] {
  const prompts = compilePrompts(raw.prompts);
  const caching = compilePromptCaching(raw.promptCaching);
  const guarded = guards && guards.request.length > 0 ? guards : undefined;
  const streamGuards = guards && guards.streaming && guards.response.length > 0 ? guards : undefined;
  if (!prompts && !caching && !guarded && !streamGuards) return undefined;
  const mark = (draft: BodyDraft, target: ProviderTarget) => {
    if (caching && takesCacheMarkers(target.provider.telemetryName, target.provider.chat !== undefined)) caching(draft);
  };
  if (!guarded) {
    return (draft, _ctx, target) => {
      if (streamGuards) checkGuardable(streamGuards, draft);
      prompts?.(draft);
      mark(draft, target);
    };
  }
  // synchronous while the guards answer at once (regex): no promise on the request's path
  return (draft, ctx, target) => {
    if (streamGuards) checkGuardable(streamGuards, draft);
    prompts?.(draft);
    const judging = guardRequest(guarded, draft, ctx);
    if (judging) return judging.then(() => mark(draft, target));
    mark(draft, target);
  };
}

function merged<V>(outer: Record<string, V> | null | undefined, inner: Record<string, V> | null | undefined): Record<string, V> | undefined {
  return outer || inner ? { ...outer, ...inner } : undefined;
}

/**
 * overrides, transformations, defaults, then aliases (agentgateway's order: a field a
 * transformation removes can come back as a default), compiled into one function.
 */
function compileBodyChanges(raw: RawAiPolicy, transforms: FieldTransforms | undefined): ((draft: BodyDraft, ctx: RequestContext) => void) | undefined {
  const defaults = Object.entries(raw.defaults ?? {});
  const overrides = Object.entries(raw.overrides ?? {});
  const alias = compileAliases(raw.modelAliases ?? {});
  if (defaults.length === 0 && overrides.length === 0 && !alias && !transforms) return undefined;
  return (draft, ctx) => {
    for (const [k, v] of overrides) draft.set(k, v);
    if (transforms) transformDraft(transforms, draft, ctx);
    for (const [k, v] of defaults) if (draft.body[k] === undefined) draft.set(k, v);
    const model = draft.body.model;
    if (alias && typeof model === "string") {
      const to = alias(model);
      if (to !== model) draft.set("model", to);
    }
  };
}

/** `modelAliases` as one lookup: exact names first, then patterns, the longest pattern first. */
export function compileAliases(aliases: Record<string, string>): ((model: string) => string) | undefined {
  const entries = Object.entries(aliases);
  if (entries.length === 0) return undefined;
  const exact = new Map(entries.filter(([k]) => !k.includes("*")));
  const patterns: [ModelMatcher, string][] = entries
    .filter(([k]) => k.includes("*"))
    .sort((a, b) => b[0].length - a[0].length)
    .map(([k, v]) => [modelPattern(k), v]);
  return (model) => {
    const hit = exact.get(model);
    if (hit !== undefined) return hit;
    for (const [matches, to] of patterns) if (matches(model)) return to;
    return model;
  };
}
