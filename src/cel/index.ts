/**
 * CEL for the config: compile once at load, evaluate per request.
 *
 *   const expr = celField(ctx, raw.condition, [...path, "condition"]); // PolicyCompileContext; reports a located error
 *   await prepareCel(reqCtx, [expr]);                                 // reads the body first when the expression needs it
 *   if (evalBool(expr, celVars(reqCtx))) ...                          // agentgateway's eval_bool: an error is false
 *   const key = evalString(expr, celVars(reqCtx));                    // undefined when it does not evaluate
 *
 * The variables are agentgateway's (`request`, `jwt`, `apiKey`, `basicAuth`, `llm`, `source`,
 * ... see src/cel/vars.ts); integers are bigint, as in CEL. The dialect (agentgateway's
 * functions) is in src/cel/functions.ts; add a function there and it is available everywhere.
 */
import type { Environment } from "@marcbachmann/cel-js";
import type { YamlPath } from "../config/errors.ts";
import { CEL_VARIABLES, createEnvironment, type CelVariable } from "./functions.ts";

export { celVars, metadataOf, prepareCel, withLlmRequest, withResponse, withValues, type CelVars } from "./vars.ts";

export interface CelExpression {
  readonly source: string;
  /** the top-level variables it references (`request`, `jwt`, ...) */
  readonly roots: ReadonlySet<CelVariable>;
  /** it reads the request body (`request.body`, `llmRequest`, `llm.*` at request time) */
  readonly needsBody: boolean;
  /** it reads the body's content (`request.body`, `llmRequest`), not only what `llm.*` derives from it */
  readonly readsBody: boolean;
  /** evaluates; throws when the expression fails (a missing key, a type mismatch) */
  run(vars: object): unknown;
}

export class CelCompileError extends Error {
  constructor(
    message: string,
    /** 0-based offset in the expression */
    readonly offset: number | undefined,
  ) {
    super(message);
    this.name = "CelCompileError";
  }
}

let environment: Environment | undefined;
/** One environment per process (creating it registers the whole dialect: a few ms). */
function env(): Environment {
  return (environment ??= createEnvironment());
}

/** Parses and type-checks `source`; throws a CelCompileError saying what is wrong and where. */
export function compileCel(source: string): CelExpression {
  let parsed: ReturnType<Environment["parse"]>;
  try {
    parsed = env().parse(source);
  } catch (err) {
    throw compileError(err);
  }
  // type-checked once here: unchecked, the library would check on every evaluation
  const checked = parsed.check();
  if (!checked.valid) throw compileError(checked.error);
  const roots = referencedRoots(parsed.ast);
  const readsBody = roots.has("llmRequest") || /\brequest\s*\.\s*body\b|\brequest\s*\[\s*["']body/.test(source);
  return {
    source,
    roots,
    readsBody,
    needsBody: readsBody || roots.has("llm"),
    run: (vars) => parsed(vars),
  };
}

function compileError(err: unknown): CelCompileError {
  const e = err as { summary?: string; message?: string; range?: { start: number } } | undefined;
  const summary = e?.summary ?? e?.message ?? String(err);
  return new CelCompileError(summary, e?.range?.start);
}

/** What a compile step needs to report a problem where it is. */
export interface IssueSink {
  issue(path: YamlPath, message: string): void;
}

/** Compiles a CEL field of the config, reporting a bad expression at `path` (undefined then). */
export function celField(sink: IssueSink, source: string, path: YamlPath): CelExpression | undefined {
  try {
    return compileCel(source);
  } catch (err) {
    const e = err instanceof CelCompileError ? err : new CelCompileError(String(err), undefined);
    const at = e.offset !== undefined ? ` (at character ${e.offset + 1})` : "";
    sink.issue(path, `invalid CEL expression ${JSON.stringify(source)}: ${e.message}${at}`);
    return undefined;
  }
}

/** agentgateway's `eval_bool`: true only when the expression evaluates to true; an error is false. */
export function evalBool(expr: CelExpression, vars: object): boolean {
  try {
    return expr.run(vars) === true;
  } catch {
    return false;
  }
}

/** The value, or undefined when the expression fails. */
export function evalValue(expr: CelExpression, vars: object): unknown {
  try {
    return expr.run(vars);
  } catch {
    return undefined;
  }
}

/** A string form of the value (for keys and headers), or undefined when it fails or is null. */
export function evalString(expr: CelExpression, vars: object): string | undefined {
  return stringOf(evalValue(expr, vars));
}

/** A CEL value as a string: scalars as written, bytes as UTF-8, maps and lists as JSON; undefined for null. */
export function stringOf(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return JSON.stringify(jsonData(v));
  } catch {
    return undefined;
  }
}

/** The value as JSON data (for request bodies), or undefined when it fails or is null. */
export function evalJson(expr: CelExpression, vars: object): unknown {
  const v = evalValue(expr, vars);
  return v === undefined || v === null ? undefined : jsonData(v);
}

/** CEL values -> JSON data: integers (bigint) as numbers, maps as objects, recursively. */
function jsonData(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(jsonData);
  if (v instanceof Map) return Object.fromEntries([...v].map(([k, x]) => [String(k), jsonData(x)]));
  if (v !== null && typeof v === "object" && !(v instanceof Uint8Array)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonData(x)]));
  return v;
}

function referencedRoots(ast: unknown): Set<CelVariable> {
  const names = new Set<string>(CEL_VARIABLES);
  const found = new Set<CelVariable>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (node === null || typeof node !== "object") return;
    const { op, args } = node as { op?: unknown; args?: unknown };
    if (op === "id" && typeof args === "string" && names.has(args)) found.add(args as CelVariable);
    else walk(args);
  };
  walk(ast);
  return found;
}
