/**
 * Loading a config end to end: text (or file) -> parsed and validated -> compiled runtime model.
 * Returns every problem at once; never throws for a bad config.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { compileConfig } from "./compile/index.ts";
import type { Env } from "./env.ts";
import type { ConfigIssue } from "./errors.ts";
import type { GatewayConfig } from "./model.ts";
import { parseConfig, type Result } from "./parse.ts";
import { Secret } from "./secret.ts";

export interface LoadOptions {
  env?: Env;
  /** directory relative `{file: ...}` references resolve against (default: the config's, or cwd) */
  baseDir?: string;
  readFile?: (path: string) => string;
}

const readText = (path: string) => readFileSync(path, "utf8");

export function loadConfigText(text: string, label: string, opts: LoadOptions = {}): Result<GatewayConfig, ConfigIssue[]> {
  const env = opts.env ?? process.env;
  const parsed = parseConfig(text, label, env);
  if (!parsed.ok) return parsed;
  const compiled = compileConfig(parsed.value.config, parsed.value.locator, {
    env,
    baseDir: opts.baseDir ?? process.cwd(),
    readFile: opts.readFile ?? readText,
  });
  return compiled.ok ? { ok: true, value: { ...compiled.value, source: { label, text: new Secret(text) } } } : compiled;
}

export function loadConfigFile(path: string, opts: LoadOptions = {}): Result<GatewayConfig, ConfigIssue[]> {
  let text: string;
  try {
    text = (opts.readFile ?? readText)(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : code === "EACCES" ? "permission denied" : (err as Error).message;
    return { ok: false, errors: [{ file: path, line: 0, column: 0, path: "", message: `cannot read config: ${why}` }] };
  }
  return loadConfigText(text, path, { ...opts, baseDir: opts.baseDir ?? dirname(resolve(path)) });
}
