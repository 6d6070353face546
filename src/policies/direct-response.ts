/**
 * `directResponse`: the gateway answers the route itself, with no backend call (a retired API
 * version, a maintenance page, a placeholder route). agentgateway's shape: `status`, a static
 * `body` or a CEL `bodyExpression`, `headers` computed by CEL; or `conditional` entries, the
 * first whose `condition` is true answering (an entry without one is the fallback; when none
 * applies the request goes on to the backend).
 */
import { z } from "zod";
import { celField, celVars, evalBool, evalValue, prepareCel, stringOf, type CelExpression } from "../cel/index.ts";
import type { YamlPath } from "../config/errors.ts";
import { HeaderName, HeaderValue } from "../config/schema/parts.ts";
import type { RequestContext } from "../server/context.ts";
import { answerHere } from "./answer-headers.ts";
import { conditionalEntries } from "./conditional.ts";
import { definePolicy, type Next, type PolicyCompileContext } from "./types.ts";

const Fields = {
  status: z.number().int().min(100).max(599),
  body: z.string().nullish(),
  bodyExpression: z.string().min(1).nullish(),
  headers: z.record(HeaderName.min(1), HeaderValue.min(1)).nullish(),
};

const ConditionalEntry = z.strictObject({ condition: z.string().min(1).nullish(), ...Fields });
type RawEntry = z.output<typeof ConditionalEntry>;

const DirectResponseSchema = z
  .union([z.strictObject({ conditional: z.array(ConditionalEntry) }), z.strictObject(Fields)])
  .meta({ id: "DirectResponsePolicy" });

interface Answer {
  condition: CelExpression | undefined;
  status: number;
  body: string | CelExpression | undefined;
  headers: readonly (readonly [string, CelExpression])[];
}

export const directResponse = definePolicy({
  key: "directResponse",
  schema: DirectResponseSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw, ctx) {
    const entries: [RawEntry, YamlPath][] = "conditional" in raw ? conditionalEntries(raw.conditional, ctx) : [[raw, ctx.path]];
    const all = entries.map(([e, path]) => compileAnswer(e, path, ctx)).filter((a): a is Answer => a !== undefined);
    if (all.length !== entries.length) return undefined; // each failure was reported
    const exprs = all.flatMap((a) => [a.condition, typeof a.body === "string" ? undefined : a.body, ...a.headers.map(([, e]) => e)]);
    const needsBody = exprs.some((e) => e?.needsBody);
    const respond = (reqCtx: RequestContext, next: Next) => {
      const vars = celVars(reqCtx);
      const a = all.find((x) => !x.condition || evalBool(x.condition, vars));
      return a ? Promise.resolve(answerWith(a, reqCtx)) : next(reqCtx);
    };
    return {
      key: "directResponse",
      handle: (reqCtx, next) => (needsBody ? prepareCel(reqCtx, exprs).then(() => respond(reqCtx, next)) : respond(reqCtx, next)),
    };
  },
});

function compileAnswer(e: RawEntry, path: YamlPath, ctx: PolicyCompileContext): Answer | undefined {
  if (e.body != null && e.bodyExpression != null) ctx.issue(path, "set 'body' or 'bodyExpression', not both");
  const condition = e.condition ? celField(ctx, e.condition, [...path, "condition"]) : undefined;
  const body = e.bodyExpression ? celField(ctx, e.bodyExpression, [...path, "bodyExpression"]) : (e.body ?? undefined);
  const headers = Object.entries(e.headers ?? {}).map(([name, source]) => [name.toLowerCase(), celField(ctx, source, [...path, "headers", name])] as const);
  if ((e.condition && !condition) || (e.bodyExpression && !body) || headers.some(([, x]) => !x)) return undefined;
  return { condition, status: e.status, body, headers: headers as [string, CelExpression][] };
}

/** The answer, recorded as the exchange's outcome (it ends here). A header whose expression fails is left out. */
function answerWith(a: Answer, ctx: RequestContext): Response {
  const vars = celVars(ctx);
  const headers = new Headers();
  for (const [name, expr] of a.headers) {
    const v = stringOf(evalValue(expr, vars));
    if (v !== undefined) headers.set(name, v);
  }
  const body = typeof a.body === "string" || a.body === undefined ? a.body : (stringOf(evalValue(a.body, vars)) ?? "");
  if (body !== undefined && !headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
  return answerHere(ctx, new Response(a.status === 204 || a.status === 304 ? null : (body ?? null), { status: a.status, headers }));
}
