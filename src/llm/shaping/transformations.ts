/**
 * Body fields computed by CEL: `ai.transformations` (and the `llm:` form's `transformation`) on
 * the request before translation, `ai.finalTransformations` (`finalTransformation`) on the body
 * as it goes to the provider, after translation. Each entry sets one top-level field to its
 * expression's value; a value that is null or fails to evaluate removes the field (agentgateway's
 * rule). Expressions read the body they change as `llmRequest` (and `llm.requestModel`), besides
 * the exchange's variables (`request`, `jwt`, `apiKey`, ...).
 */
import { z } from "zod";
import { celField, celVars, evalJson, withLlmRequest, type CelExpression, type IssueSink } from "../../cel/index.ts";
import type { YamlPath } from "../../config/errors.ts";
import { HttpError } from "../../http/errors.ts";
import type { BodyDraft } from "../../policies/types.ts";
import type { RequestContext } from "../../server/context.ts";

export const FieldTransformsSchema = z.record(z.string().min(1), z.string().min(1));

export type FieldTransforms = readonly (readonly [field: string, expr: CelExpression])[];

export function compileFieldTransforms(sink: IssueSink, raw: Readonly<Record<string, string>> | null | undefined, path: YamlPath): FieldTransforms | undefined {
  const out: [string, CelExpression][] = [];
  for (const [field, source] of Object.entries(raw ?? {})) {
    const expr = celField(sink, source, [...path, field]);
    if (expr) out.push([field, expr]);
  }
  return out.length > 0 ? out : undefined;
}

/** Applies the transforms to a draft of the request (every expression sees the body before any of them). */
export function transformDraft(transforms: FieldTransforms, draft: BodyDraft, ctx: RequestContext): void {
  const vars = withLlmRequest(celVars(ctx), draft.body);
  const values = transforms.map(([field, expr]) => [field, evalJson(expr, vars)] as const);
  for (const [field, value] of values) {
    if (value === undefined) draft.delete(field);
    else draft.set(field, value);
  }
}

/** Applies the transforms to the body as it goes upstream (JSON text). */
export function transformUpstreamBody(transforms: FieldTransforms, body: string | Uint8Array, ctx: RequestContext): string {
  const text = typeof body === "string" ? body : new TextDecoder().decode(body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new HttpError(500, "finalTransformations apply to JSON request bodies; this provider's request is not JSON", { code: "transformation_failed" });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) return text;
  const obj = parsed as Record<string, unknown>;
  const vars = withLlmRequest(celVars(ctx), obj);
  const values = transforms.map(([field, expr]) => [field, evalJson(expr, vars)] as const);
  for (const [field, value] of values) {
    if (value === undefined) delete obj[field];
    else obj[field] = value;
  }
  return JSON.stringify(obj);
}
