/**
 * `authorization`: CEL rules over the request and the caller (`jwt.*`, `apiKey.*`,
 * `basicAuth.*`, `request.*`, `source.*`, `llm.*`). A rule is a plain string or `{allow}` (the
 * same), `{deny}` or `{require}`; as agentgateway decides: any deny that is true denies; every
 * require must be true; then any true allow allows; with allow rules and none true, deny; with
 * deny rules only, allow. A rule that fails to evaluate counts as false (so a failing require
 * denies, a failing deny does not). A denial is a 403 naming the rule that decided.
 *
 * On a route or the listener it runs once per request; on a backend, before each upstream call.
 */
import { z } from "zod";
import { celField, celVars, evalBool, prepareCel, type CelExpression, type IssueSink } from "../cel/index.ts";
import type { YamlPath } from "../config/errors.ts";
import type { RequestContext } from "../server/context.ts";
import { forbidden } from "./credential.ts";
import { definePolicy } from "./types.ts";

const Rule = z.union([
  z.string().min(1),
  z.strictObject({ allow: z.string().min(1) }),
  z.strictObject({ deny: z.string().min(1) }),
  z.strictObject({ require: z.string().min(1) }),
], { error: "expected a CEL expression, or {allow | deny | require: <CEL>}" });

export const AuthorizationSchema = z.strictObject({ rules: z.array(Rule) }).meta({ id: "AuthorizationPolicy" });

export interface Rules {
  allow: CelExpression[];
  deny: CelExpression[];
  require: CelExpression[];
}

/** Undefined when allowed, else why not. */
export function decide(rules: Rules, vars: object): string | undefined {
  const denied = rules.deny.find((r) => evalBool(r, vars));
  if (denied) return `denied by the rule ${JSON.stringify(denied.source)}`;
  const unmet = rules.require.find((r) => !evalBool(r, vars));
  if (unmet) return `the required rule ${JSON.stringify(unmet.source)} does not hold`;
  if (rules.allow.length === 0 || rules.allow.some((r) => evalBool(r, vars))) return undefined;
  return rules.allow.length === 1 ? `the rule ${JSON.stringify(rules.allow[0]!.source)} does not allow it` : `none of the ${rules.allow.length} allow rules matches`;
}

/** The rules compiled (a rule that does not compile is reported at its path and left out). */
export function compileRules(raw: z.output<typeof AuthorizationSchema>, sink: IssueSink, path: YamlPath): Rules {
  const rules: Rules = { allow: [], deny: [], require: [] };
  raw.rules.forEach((r, i) => {
    const [kind, source, at] = typeof r === "string" ? (["allow", r, [i]] as const) : "allow" in r ? (["allow", r.allow, [i, "allow"]] as const) : "deny" in r ? (["deny", r.deny, [i, "deny"]] as const) : (["require", r.require, [i, "require"]] as const);
    const expr = celField(sink, source, [...path, "rules", ...at]);
    if (expr) rules[kind].push(expr);
  });
  return rules;
}

export const authorization = definePolicy({
  key: "authorization",
  schema: AuthorizationSchema,
  levels: ["gateway", "route", "backend", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const rules = compileRules(raw, ctx, ctx.path);
    const all = [...rules.allow, ...rules.deny, ...rules.require];
    if (all.length === 0) return undefined;
    const check = async (reqCtx: RequestContext) => {
      await prepareCel(reqCtx, all);
      const why = decide(rules, celVars(reqCtx));
      if (why) throw forbidden(`request not authorized: ${why}`, "authorization_denied");
    };
    return {
      key: "authorization",
      async handle(reqCtx, next) {
        await check(reqCtx);
        return await next(reqCtx);
      },
      // compiled on a backend, `handle` never runs: the rules are checked before each upstream call
      ...(ctx.atBackend ? { handle: undefined, send: (_req, reqCtx) => check(reqCtx) } : {}),
    };
  },
});
