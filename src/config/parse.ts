/**
 * Text -> validated raw config, with every problem located (file, line, column, YAML path).
 * Pure: the environment comes in as a parameter; nothing here touches the file system.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parse as parseYamlValue, parseDocument, visit } from "yaml";
import type { Document, Node as YamlNode, Pair, Scalar } from "yaml";
import type { z } from "zod";
import { expandEnv, type Env } from "./env.ts";
import { formatPath, type ConfigIssue, type YamlPath } from "./errors.ts";
import { ConfigSchema, type RawConfig } from "./schema.ts";

export type Result<T, E> = { ok: true; value: T } | { ok: false; errors: E };

/** Where things are in the parsed document; used by later stages to report their own errors. */
export interface Locator {
  file: string;
  issue(path: YamlPath, message: string, at?: "key" | "value"): ConfigIssue;
}

export interface ParsedConfig {
  config: RawConfig;
  locator: Locator;
}

export function parseConfig(text: string, file: string, env: Env): Result<ParsedConfig, ConfigIssue[]> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const locator = makeLocator(doc, lineCounter, file);
  const issues: ConfigIssue[] = [];

  for (const err of [...doc.errors, ...doc.warnings]) {
    const pos = lineCounter.linePos(err.pos[0]);
    issues.push({ file, line: pos.line, column: pos.col, path: "", message: firstLine(err.message) });
  }
  if (doc.errors.length > 0) return { ok: false, errors: issues };

  // Schema problems are reported together with missing variables (all at once), except at the
  // places whose value was missing: those would only repeat the same problem.
  const expanded = expandScalars(doc, env, locator);
  issues.push(...expanded.issues, ...emptiedKeys(expanded.emptied, locator));
  const unset = new Set(expanded.issues.map((i) => i.path));

  const data = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const described = describeIssue(issue, [], data, locator).filter((i) => !unset.has(i.path));
      issues.push(...described.map((i) => withEmptyHint(i, expanded.emptied)));
    }
  }
  if (issues.length > 0 || !parsed.success) return { ok: false, errors: dedupe(issues) };
  return { ok: true, value: { config: parsed.data, locator } };
}

// ---------------------------------------------------------------------------------------------

function firstLine(message: string): string {
  return message.split("\n")[0]!.trim();
}

function makeLocator(doc: Document, lc: LineCounter, file: string): Locator {
  return {
    file,
    issue(path, message, at = "value") {
      const found = locate(doc, path);
      const node = at === "key" && found.key ? found.key : found.node;
      const offset = node?.range?.[0];
      const pos = offset === undefined ? { line: 1, col: 1 } : lc.linePos(offset);
      return { file, line: pos.line, column: pos.col, path: formatPath(path), message };
    },
  };
}

/** The deepest node along `path` (and the key node of the last map entry, for "unknown field"). */
function locate(doc: Document, path: YamlPath): { node: YamlNode | null; key: YamlNode | null } {
  let node = doc.contents as YamlNode | null;
  let key: YamlNode | null = null;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg)) as
        | Pair<YamlNode, YamlNode | null>
        | undefined;
      if (!pair) return { node, key: null };
      key = pair.key;
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg]) {
      key = null;
      node = node.items[seg] as YamlNode;
    } else {
      return { node, key: null };
    }
  }
  return { node, key };
}

/**
 * Expands `$VAR` in every scalar (keys and values), never in comments. Besides the issues of unset
 * variables, it returns where a value came out empty from variables set to "" (by located path):
 * `key: $KEY` with KEY empty is no value at all, and the schema's complaint there ("does not match
 * any of the accepted forms") would not say why.
 */
function expandScalars(doc: Document, env: Env, locator: Locator): { issues: ConfigIssue[]; emptied: Map<string, Emptied> } {
  const issues: ConfigIssue[] = [];
  const emptied = new Map<string, Emptied>();
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== "string" || !node.value.includes("$")) return;
      const result = expandEnv(node.value, env);
      const path = yamlPathOf(ancestors, node);
      for (const name of result.missing) {
        issues.push(
          locator.issue(path, `environment variable '${name}' is not set (use \${${name}:-default} for a fallback)`),
        );
      }
      if (result.empty.length > 0 && result.value.trim() === "") emptied.set(formatPath(path), { path, names: result.empty });
      if (result.changed) setExpanded(node, result.value);
    },
  });
  return { issues, emptied };
}

/**
 * An `apiKey` left empty by a variable set to "": the schema takes it as absent, and a model
 * without a key passes the client's own credentials on to the provider (agentgateway's rule, meant
 * for deliberate passthrough). An empty variable is far more likely a key that was not exported, so
 * the load fails instead of sending the client's credentials upstream.
 */
function emptiedKeys(emptied: ReadonlyMap<string, Emptied>, locator: Locator): ConfigIssue[] {
  const keys = [...emptied.values()].filter((e) => e.path.at(-1) === "apiKey");
  return keys.map((e) =>
    locator.issue(
      e.path,
      `environment variable ${quotedNames(e.names)} is set but empty: without a key, requests would carry the client's own credentials to the provider (set it, or remove 'apiKey' to pass the client's credentials on deliberately)`,
    ),
  );
}

/** Where variables set to "" left a value empty, and which. */
interface Emptied {
  path: YamlPath;
  names: string[];
}

const quotedNames = (names: readonly string[]) => names.map((n) => `'${n}'`).join(", ");

/** A schema issue at a value that variables set to "" left empty: the message says so. */
function withEmptyHint(issue: ConfigIssue, emptied: ReadonlyMap<string, Emptied>): ConfigIssue {
  const e = emptied.get(issue.path);
  if (!e) return issue;
  return { ...issue, message: `${issue.message}: environment variable ${quotedNames(e.names)} is set but empty, which leaves no value here` };
}

/** A plain (unquoted) scalar keeps YAML's typing after expansion: `port: $PORT` is a number. */
function setExpanded(node: Scalar, value: string): void {
  if (node.type === "PLAIN") {
    try {
      const typed: unknown = parseYamlValue(value);
      if (typeof typed === "number" || typeof typed === "boolean" || typed === null) {
        node.value = typed;
        return;
      }
    } catch {
      // not a scalar on its own: keep the string
    }
  }
  node.value = value;
}

function yamlPathOf(ancestors: readonly unknown[], leaf: unknown): (string | number)[] {
  const path: (string | number)[] = [];
  const chain = [...ancestors, leaf];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent)) {
      if (child === parent.key) return path; // a key: its path is the map holding it
      if (isScalar(parent.key)) path.push(String(parent.key.value));
    } else if (isSeq(parent)) {
      path.push(parent.items.findIndex((item) => item === child));
    }
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// zod issue -> located, readable messages

type ZodIssue = z.core.$ZodIssue;

function describeIssue(issue: ZodIssue, base: readonly PropertyKey[], data: unknown, locator: Locator): ConfigIssue[] {
  const path = [...base, ...issue.path].filter((p): p is string | number => typeof p !== "symbol");
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((k) => locator.issue([...path, k], `unknown field '${k}'`, "key"));
    case "invalid_union": {
      const branch = bestBranch(issue.errors, path, data);
      if (branch) return branch.flatMap((i) => describeIssue(i, path, data, locator));
      return [locator.issue(path, unionMessage(issue.message))];
    }
    case "invalid_type": {
      const value = valueAt(data, path);
      if (value === undefined) {
        const field = path[path.length - 1];
        const parent = path.slice(0, -1);
        return [locator.issue(parent, `missing required field '${String(field)}' (expected ${issue.expected})`)];
      }
      if (issue.message.startsWith("Invalid input")) {
        return [locator.issue(path, `expected ${issue.expected}, got ${describeValue(value)}`)];
      }
      return [locator.issue(path, issue.message)];
    }
    case "invalid_value":
      if (issue.message.startsWith("Invalid")) {
        const options = issue.values.map((v) => JSON.stringify(v)).join(", ");
        return [locator.issue(path, `expected one of ${options}`)];
      }
      return [locator.issue(path, issue.message)];
    case "invalid_key":
      // a record's key refused: the key's own check says why (zod's own message is "Invalid key in record")
      return [locator.issue(path, `'${String(path[path.length - 1])}': ${issue.issues[0]?.message ?? issue.message}`, "key")];
    default:
      return [locator.issue(path, issue.message)];
  }
}

function unionMessage(message: string): string {
  return message.startsWith("Invalid input") ? "value does not match any of the accepted forms" : message;
}

/** The union branch the user most plausibly meant: one whose top-level type matched, with fewest issues. */
function bestBranch(branches: ZodIssue[][], path: YamlPath, data: unknown): ZodIssue[] | undefined {
  const value = valueAt(data, path);
  const candidates = branches.filter(
    (issues) => !issues.some((i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "invalid_value")),
  );
  if (candidates.length === 0) return undefined;
  // An object that names a key of one branch most likely meant that branch.
  candidates.sort((a, b) => score(a, value) - score(b, value));
  return candidates[0];
}

function score(issues: ZodIssue[], value: unknown): number {
  let s = issues.length;
  for (const i of issues) {
    if (i.code === "unrecognized_keys") s += i.keys.length * 2;
    if (i.path.length === 1 && i.code === "invalid_type" && typeof value === "object" && value !== null) {
      if (!(String(i.path[0]) in value)) s += 3; // a required key of this branch is absent
    }
  }
  return s;
}

function valueAt(data: unknown, path: YamlPath): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return "a string";
  return `${typeof v} ${String(v)}`;
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
