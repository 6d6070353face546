/**
 * agentgateway's CEL dialect on @marcbachmann/cel-js: the functions its docs use in conditions,
 * rule sets and keys (agentgateway's `schema/cel-functions.md`), registered once per process.
 *
 * Lazy functions (`default`, `coalesce`, `x.with(v, expr)`) are macros: the library hands them
 * their arguments unevaluated, so they can fall back on a missing key the way agentgateway does.
 * The macro hooks receive the library's checker and evaluator; only the few methods used below
 * are relied on (the same ones the library's own `cel.bind` uses), and the version is pinned.
 */
import { Cidr, parseCidr, parseIp, type Ip } from "./ip.ts";
import { Environment } from "@marcbachmann/cel-js";

/** The top-level names of agentgateway's CEL context; every one is bound on each evaluation (null when absent). */
export const CEL_VARIABLES = ["request", "response", "jwt", "apiKey", "basicAuth", "llm", "llmRequest", "source", "backend", "metadata"] as const;
export type CelVariable = (typeof CEL_VARIABLES)[number];

// the library's macro hooks (its checker, evaluator and scope objects are not typed publicly)
interface AstNode {
  op: string;
  args: unknown;
}
interface Checker {
  check(node: AstNode, scope: Scope): unknown;
  getType(name: string): unknown;
}
interface Evaluator {
  run(node: AstNode, scope: Scope): unknown;
}
interface Scope {
  forkWithVariable(name: string, type: unknown): Scope;
  reuse(scope: Scope): { setIterValue(value: unknown, ev: Evaluator): Scope };
}
interface MacroCall {
  args: AstNode[];
  receiver?: AstNode;
}

const isMissing = (e: unknown) => {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "no_such_key" || code === "unknown_variable";
};

/** JSON text -> CEL values (integers as bigint, as agentgateway's serde_json -> CEL Int). */
export function celJson(text: string): unknown {
  return JSON.parse(text, (_k, v) => (typeof v === "number" && Number.isSafeInteger(v) ? BigInt(v) : v));
}

/** JSON data -> CEL values: the same conversion as `celJson`, on data already parsed. */
export function celData(value: unknown): unknown {
  if (typeof value === "number") return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(celData);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k in value) out[k] = celData((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

/** CEL values -> JSON text (bigints as numbers, maps as objects). */
export function celToJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? Number(v) : v instanceof Map ? Object.fromEntries(v) : v));
}

const text = (v: unknown) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v));

export function createEnvironment(): Environment {
  const env = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false, enableOptionalTypes: true, limits: { maxAstNodes: 10_000 } });
  for (const v of CEL_VARIABLES) env.registerVariable(v, "dyn");
  registerPlain(env);
  registerMinMax(env);
  registerNamespaces(env);
  registerNetwork(env);
  registerMacros(env);
  return env;
}

function registerPlain(env: Environment): void {
  env.registerFunction("json(dyn): dyn", (v: unknown) => celJson(text(v)));
  env.registerFunction("toJson(dyn): string", celToJson);
  env.registerFunction("string.stripPrefix(string): string", (s: string, p: string) => (s.startsWith(p) ? s.slice(p.length) : s));
  env.registerFunction("string.stripSuffix(string): string", (s: string, p: string) => (s.endsWith(p) ? s.slice(0, s.length - p.length) : s));
  env.registerFunction("string.replace(string, string): string", (s: string, a: string, b: string) => s.split(a).join(b));
  env.registerFunction("string.regexReplace(string, string): string", (s: string, re: string, by: string) => s.replace(new RegExp(re, "g"), by));
  // redacted values (apiKey.key, jwt.rawToken) are never the secret itself here: see src/cel/vars.ts
  env.registerFunction("string.unredacted(): string", (s: string) => s);
  env.registerFunction("list.contains(dyn): bool", (l: unknown[], x: unknown) => l.some((v) => v === x));
  env.registerFunction("map.merge(map): map", (a: unknown, b: unknown) => ({ ...entries(a), ...entries(b) }));
  env.registerFunction("random(): double", () => Math.random());
  env.registerFunction("uuid(): string", () => crypto.randomUUID());
  env.registerFunction("fail(string): dyn", (m: string) => {
    throw new Error(m);
  });
}

/**
 * agentgateway's `min` and `max` (its CEL registers both): of two to eight values, or of one list
 * (`min(llmRequest.max_tokens, 1024)`, `max([a, b])`). Ints and doubles compare by value and the
 * winner keeps its type; strings compare with strings; anything else, or an empty list, fails.
 */
function registerMinMax(env: Environment): void {
  for (const [name, wins] of [["min", (c: number) => c < 0], ["max", (c: number) => c > 0]] as const) {
    const pick = (values: readonly unknown[]) => {
      if (values.length === 0) throw new Error(`${name}() of an empty list`);
      return values.reduce((best, v) => (wins(compare(v, best, name)) ? v : best));
    };
    env.registerFunction(`${name}(list): dyn`, (l: unknown[]) => pick(l));
    for (let n = 2; n <= 8; n++) env.registerFunction(`${name}(${Array(n).fill("dyn").join(", ")}): dyn`, (...args: unknown[]) => pick(args));
  }
}

function compare(a: unknown, b: unknown, fn: string): number {
  const numeric = (v: unknown) => typeof v === "number" || typeof v === "bigint";
  if (numeric(a) && numeric(b)) return a! < b! ? -1 : a! > b! ? 1 : 0; // bigint and number compare by value in JS
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  throw new Error(`${fn}() compares numbers with numbers and strings with strings`);
}

function entries(m: unknown): Record<string, unknown> {
  return m instanceof Map ? Object.fromEntries(m) : { ...(m as Record<string, unknown>) };
}

/** `base64.encode(...)` and friends: a constant of a namespace type, with methods on it. */
function registerNamespaces(env: Environment): void {
  const ns = (name: string, fns: Record<string, [string, (v: never) => unknown]>) => {
    const type = `agw.${name}Namespace`;
    class Namespace {}
    env.registerType(type, Namespace);
    env.registerConstant(name, type, new Namespace());
    for (const [fn, [sig, impl]] of Object.entries(fns)) env.registerFunction(`${type}.${fn}${sig}`, (_ns: unknown, v: never) => impl(v));
  };
  ns("base64", {
    encode: ["(dyn): string", (v: string | Uint8Array) => Buffer.from(v).toString("base64")],
    decode: ["(dyn): bytes", (v: string) => new Uint8Array(Buffer.from(text(v), "base64"))],
  });
  ns("sha256", { encode: ["(dyn): string", (v: string | Uint8Array) => new Bun.CryptoHasher("sha256").update(v).digest("hex")] });
}

/** `cidr("10.0.0.0/8").containsIP(source.address)`, `.containsCIDR(...)`, `ip(...)` (Kubernetes CEL's network library, as agentgateway). */
function registerNetwork(env: Environment): void {
  env.registerType("net.CIDR", Cidr);
  env.registerType("net.IP", IpAddress);
  env.registerFunction("cidr(string): net.CIDR", (s: string) => parseCidr(s));
  env.registerFunction("ip(string): net.IP", (s: string) => new IpAddress(parseIp(s)));
  env.registerFunction("net.CIDR.containsIP(string): bool", (c: Cidr, s: string) => c.containsIP(parseIp(s)));
  env.registerFunction("net.CIDR.containsIP(net.IP): bool", (c: Cidr, a: IpAddress) => c.containsIP(a.ip));
  env.registerFunction("net.CIDR.containsCIDR(string): bool", (c: Cidr, s: string) => c.containsCIDR(parseCidr(s)));
  env.registerFunction("net.IP.family(): int", (a: IpAddress) => (a.ip.v6 ? 6n : 4n));
}

/** An `ip(...)` value for CEL (a class: CEL types are told apart by constructor). */
class IpAddress {
  constructor(readonly ip: Ip) {}
}

function registerMacros(env: Environment): void {
  const dyn = (chk: Checker) => chk.getType("dyn");
  const checkLenient = (chk: Checker, node: AstNode, scope: Scope) => {
    try {
      chk.check(node, scope);
    } catch (e) {
      if (!isMissing(e)) throw e;
    }
  };

  // default(expr, fallback): the fallback when expr is null or names a missing key/variable
  env.registerFunction("default(ast, ast): dyn", ({ args }: MacroCall) => ({
    expr: args[0]!,
    fallback: args[1]!,
    typeCheck(chk: Checker, m: { expr: AstNode; fallback: AstNode }, scope: Scope) {
      checkLenient(chk, m.expr, scope);
      chk.check(m.fallback, scope);
      return dyn(chk);
    },
    evaluate(ev: Evaluator, m: { expr: AstNode; fallback: AstNode }, scope: Scope) {
      try {
        const v = ev.run(m.expr, scope);
        if (v !== null && v !== undefined) return v;
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
      return ev.run(m.fallback, scope);
    },
  }));

  // coalesce(a, b, ...): the first that evaluates to a non-null value
  for (let n = 2; n <= 5; n++) {
    env.registerFunction(`coalesce(${Array(n).fill("ast").join(", ")}): dyn`, ({ args }: MacroCall) => ({
      exprs: args,
      typeCheck(chk: Checker, m: { exprs: AstNode[] }, scope: Scope) {
        for (const e of m.exprs) checkLenient(chk, e, scope);
        return dyn(chk);
      },
      evaluate(ev: Evaluator, m: { exprs: AstNode[] }, scope: Scope) {
        let last: unknown = null;
        for (const e of m.exprs) {
          try {
            const v = ev.run(e, scope);
            if (v !== null && v !== undefined) return v;
          } catch (err) {
            last = err;
          }
        }
        if (last) throw last;
        return null;
      },
    }));
  }

  // x.with(name, expr): expr with `name` bound to x
  env.registerFunction("dyn.with(ast, ast): dyn", ({ args, receiver }: MacroCall) => {
    const name = args[0]!;
    if (name.op !== "id") throw new Error("with(): the first argument must be a name");
    return {
      receiver: receiver!,
      name: String(name.args),
      body: args[1]!,
      scope: undefined as Scope | undefined,
      typeCheck(chk: Checker, m: { receiver: AstNode; name: string; body: AstNode; scope?: Scope }, scope: Scope) {
        m.scope = scope.forkWithVariable(m.name, chk.check(m.receiver, scope));
        return chk.check(m.body, m.scope);
      },
      evaluate(ev: Evaluator, m: { receiver: AstNode; body: AstNode; scope?: Scope }, scope: Scope) {
        return ev.run(m.body, m.scope!.reuse(scope).setIterValue(ev.run(m.receiver, scope), ev));
      },
    };
  });
}
