/**
 * One side (request or response) of a `transformations` policy: compiled from its CEL fields,
 * and applied in agentgateway's order: metadata, then `replace`, `add`, `set`, `remove` on the
 * headers, then the body. A value that fails to evaluate changes nothing (a header is not set);
 * a failing `body` is an empty body, as in agentgateway.
 */
import { z } from "zod";
import { celField, evalValue, stringOf, type CelExpression, type IssueSink } from "../cel/index.ts";
import type { YamlPath } from "../config/errors.ts";
import { gatewayManagedHeader } from "../http/headers.ts";

const CelMap = z.record(z.string(), z.string().min(1));

export const TransformSchema = z
  .strictObject({
    add: CelMap.nullish(),
    set: CelMap.nullish(),
    remove: z.array(z.string()).nullish(),
    replace: z.string().min(1).nullish().meta({ description: "CEL: a map of header name to a string or a list of strings; replaces every header (before add/set/remove)." }),
    body: z.string().min(1).nullish(),
    metadata: CelMap.nullish(),
  })
  .meta({ id: "LocalTransform" });

export type RawTransform = z.output<typeof TransformSchema>;

type Named = readonly (readonly [string, CelExpression])[];

export interface Transform {
  readonly metadata: Named;
  readonly replace: CelExpression | undefined;
  readonly add: Named;
  readonly set: Named;
  readonly remove: readonly string[];
  readonly body: CelExpression | undefined;
}

/** Compiles one side, reporting every bad expression or header name at its path (undefined then). */
export function compileTransform(raw: RawTransform, sink: IssueSink, path: YamlPath): Transform | undefined {
  let ok = true;
  const cel = (source: string, at: YamlPath) => {
    const e = celField(sink, source, at);
    if (!e) ok = false;
    return e;
  };
  const headers = (field: "add" | "set") =>
    Object.entries(raw[field] ?? {}).flatMap(([name, source]) => {
      const at: YamlPath = [...path, field, name];
      if (!headerNameAllowed(name, sink, at)) ok = false;
      const e = cel(source, at);
      return e ? [[name.toLowerCase(), e] as const] : [];
    });
  const add = headers("add");
  const set = headers("set");
  (raw.remove ?? []).forEach((name, i) => headerNameAllowed(name, sink, [...path, "remove", i]) || (ok = false));
  const metadata = Object.entries(raw.metadata ?? {}).flatMap(([key, source]) => {
    const e = cel(source, [...path, "metadata", key]);
    return e ? [[key, e] as const] : [];
  });
  const replace = raw.replace ? cel(raw.replace, [...path, "replace"]) : undefined;
  const body = raw.body ? cel(raw.body, [...path, "body"]) : undefined;
  if (!ok) return undefined;
  return { metadata, replace, add, set, remove: (raw.remove ?? []).map((h) => h.toLowerCase()), body };
}

/**
 * `host`, `:authority` and the framing headers are the gateway's: the upstream it connects to
 * and what it announces there come from the config only, never from a CEL value.
 */
function headerNameAllowed(name: string, sink: IssueSink, at: YamlPath): boolean {
  const n = name.toLowerCase();
  if (n === "host" || n === ":authority") {
    sink.issue(at, `a transformation cannot change '${name}': the upstream host comes from the backend's configuration`);
    return false;
  }
  if (n.startsWith(":")) {
    sink.issue(at, `pseudo-header '${name}' is not supported yet by this gateway's transformations`);
    return false;
  }
  if (gatewayManagedHeader(n)) {
    sink.issue(at, `a transformation cannot change '${name}': the gateway sets it for the connection`);
    return false;
  }
  try {
    new Headers().set(n, "");
  } catch {
    sink.issue(at, `'${name}' is not a valid header name`);
    return false;
  }
  return true;
}

export function transformExpressions(t: Transform | undefined): CelExpression[] {
  if (!t) return [];
  return [...t.metadata.map(([, e]) => e), ...(t.replace ? [t.replace] : []), ...t.add.map(([, e]) => e), ...t.set.map(([, e]) => e), ...(t.body ? [t.body] : [])];
}

/** Metadata and header edits; `vars` are read as they are (metadata set here is visible to the header values). */
export function applyHeaders(t: Transform, headers: Headers, vars: object, metadata: Record<string, unknown>): void {
  for (const [key, e] of t.metadata) {
    const v = evalValue(e, vars);
    if (v !== undefined) metadata[key] = v;
  }
  if (t.replace) replaceHeaders(headers, evalValue(t.replace, vars));
  for (const [name, e] of t.add) edit(() => headers.append(name, stringOf(evalValue(e, vars)) ?? skip()));
  for (const [name, e] of t.set) edit(() => headers.set(name, stringOf(evalValue(e, vars)) ?? skip()));
  for (const name of t.remove) headers.delete(name);
}

/** The new body (`body` set), else undefined; a failing expression gives an empty body. */
export function bodyOf(t: Transform, vars: object): string | Uint8Array | undefined {
  if (!t.body) return undefined;
  const v = evalValue(t.body, vars);
  return v instanceof Uint8Array ? v : (stringOf(v) ?? "");
}

class Skip extends Error {}
const skip = (): never => {
  throw new Skip();
};

/** A header edit whose value did not evaluate, or is not a valid header value (a newline), is skipped. */
function edit(change: () => void): void {
  try {
    change();
  } catch (err) {
    if (!(err instanceof Skip) && !(err instanceof TypeError)) throw err;
  }
}

/**
 * `replace`: every header the config may edit goes, the map's entries come in (a list value
 * is one header line per item). Names the gateway manages are ignored on both sides. A value
 * that is not a map changes nothing.
 */
function replaceHeaders(headers: Headers, value: unknown): void {
  if (value === null || typeof value !== "object" || Array.isArray(value) || value instanceof Uint8Array) return;
  const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
  for (const name of [...headers.keys()]) if (!gatewayManagedHeader(name)) headers.delete(name);
  for (const [name, v] of entries) {
    if (typeof name !== "string" || gatewayManagedHeader(name)) continue;
    for (const item of Array.isArray(v) ? v : [v]) edit(() => headers.append(name, stringOf(item) ?? skip()));
  }
}
