/**
 * `transformations` (agentgateway's `LocalTransformationConfig`): CEL-valued edits of the
 * request as it goes upstream and of the answer as it goes to the client. Each side has `add`,
 * `set`, `remove`, `replace` (every header at once), `body` (a new body) and `metadata` (values
 * later expressions read as `metadata.<key>`). `{conditional: [...]}` applies the first entry
 * whose `condition` holds (only the last may omit it), chosen once per exchange.
 *
 * Where it runs, and why there:
 *   request   a `send` hook, after the gateway's translation (the body it replaces is the raw
 *             upstream body) and before `backendAuth` and provider credentials: the registry
 *             lists it first, and route hooks run before backend ones. CEL reads the client's
 *             request (`request.*`), never the upstream request, so the backend's key is out of
 *             reach, and a transform setting `authorization` is overwritten by the gateway's.
 *   response  a `present` hook (`response.code`, `response.headers`), and `presentBody` for a
 *             complete answer's body (a stream keeps its body).
 * `host`, `:authority` and framing headers cannot be edited (a config error; ignored in
 * `replace`): the upstream the gateway connects to comes only from the config.
 */
import { z } from "zod";
import { celField, celVars, evalBool, metadataOf, prepareCel, withResponse, type CelExpression } from "../cel/index.ts";
import type { YamlPath } from "../config/errors.ts";
import type { UpstreamRequest } from "../llm/types.ts";
import type { RequestContext } from "../server/context.ts";
import { applyHeaders, bodyOf, compileTransform, transformExpressions, TransformSchema, type RawTransform, type Transform } from "./transform-ops.ts";
import { definePolicy, type Policy, type PolicyCompileContext } from "./types.ts";

const Sides = { request: TransformSchema.nullish(), response: TransformSchema.nullish() };

export const TransformationsSchema = z
  .union([
    z.strictObject(Sides),
    z.strictObject({ conditional: z.array(z.strictObject({ condition: z.string().min(1).nullish(), ...Sides })).min(1) }),
  ], { error: "expected {request, response} or {conditional: [{condition, request, response}, ...]}" })
  .meta({ id: "TransformationPolicy" });

interface Branch {
  condition: CelExpression | undefined;
  request: Transform | undefined;
  response: Transform | undefined;
}

type RawBranch = { condition?: string | null | undefined; request?: RawTransform | null | undefined; response?: RawTransform | null | undefined };

function compileBranch(raw: RawBranch, ctx: PolicyCompileContext, path: YamlPath): Branch | undefined {
  const condition = raw.condition ? celField(ctx, raw.condition, [...path, "condition"]) : undefined;
  const request = raw.request ? compileTransform(raw.request, ctx, [...path, "request"]) : undefined;
  const response = raw.response ? compileTransform(raw.response, ctx, [...path, "response"]) : undefined;
  if ((raw.condition && !condition) || (raw.request && !request) || (raw.response && !response)) return undefined;
  return { condition, request, response };
}

export const transformations = definePolicy({
  key: "transformations",
  schema: TransformationsSchema,
  levels: ["gateway", "route", "backend", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const conditional = "conditional" in raw;
    const entries: [RawBranch, YamlPath][] = conditional ? raw.conditional.map((b, i) => [b, [...ctx.path, "conditional", i]]) : [[raw, ctx.path]];
    const unconditioned = conditional ? entries.slice(0, -1).filter(([b]) => !b.condition) : [];
    for (const [, p] of unconditioned) ctx.issue(p, "only the last conditional entry may omit 'condition'");
    const compiled = entries.map(([b, p]) => compileBranch(b, ctx, p));
    const branches = compiled.filter((b): b is Branch => b !== undefined);
    if (branches.length < compiled.length || unconditioned.length > 0) return undefined;
    return transformationPolicy(branches);
  },
});

function transformationPolicy(branches: readonly Branch[]): Policy | undefined {
  const exprs = branches.flatMap((b) => [b.condition, ...transformExpressions(b.request), ...transformExpressions(b.response)]);
  const chosen = new WeakMap<RequestContext, Branch | null>();
  // the first entry that holds, once per exchange: its response side goes with its request side
  const pick = (ctx: RequestContext): Branch | undefined => {
    if (branches.length === 1 && !branches[0]!.condition) return branches[0];
    if (!chosen.has(ctx)) chosen.set(ctx, branches.find((b) => !b.condition || evalBool(b.condition, celVars(ctx))) ?? null);
    return chosen.get(ctx) ?? undefined;
  };
  const hasRequest = branches.some((b) => b.request);
  const hasResponse = branches.some((b) => b.response);
  if (!hasRequest && !hasResponse) return undefined;
  const response = (ctx: RequestContext, headers: Headers, status: number) => {
    const t = pick(ctx)?.response;
    return t ? { t, vars: withResponse(celVars(ctx), status, headers) } : undefined;
  };
  return {
    key: "transformations",
    // prepared even without a request side: a condition may read the body
    send: async (req, ctx) => {
      await prepareBody(req, ctx, exprs);
      if (hasRequest) applyRequest(pick(ctx)?.request, req, ctx);
    },
    ...(hasResponse
      ? {
          present(headers, ctx, status) {
            const r = response(ctx, headers, status);
            if (r) applyHeaders(r.t, headers, r.vars, metadataOf(ctx));
          },
          presentBody(headers, ctx, status) {
            const r = response(ctx, headers, status);
            return r ? bodyOf(r.t, r.vars) : undefined;
          },
        }
      : {}),
  };
}

/**
 * Reads the body for expressions that need it. On a plain proxy the client's body may still be
 * the stream about to go upstream: once read here, the bytes go instead.
 */
async function prepareBody(req: UpstreamRequest, ctx: RequestContext, exprs: readonly (CelExpression | undefined)[]): Promise<void> {
  const clientStream = req.body instanceof ReadableStream && req.body === ctx.req.body;
  await prepareCel(ctx, exprs);
  if (clientStream && ctx.bodyRead) req.body = await ctx.bytes();
}

function applyRequest(t: Transform | undefined, req: UpstreamRequest, ctx: RequestContext): void {
  if (!t) return;
  const vars = celVars(ctx);
  applyHeaders(t, req.headers, vars, metadataOf(ctx));
  const body = bodyOf(t, vars);
  if (body !== undefined) req.body = body;
}
