/**
 * What every compile step shares: reporting a located problem, reading files next to the config,
 * resolving secrets, and the context policies compile in.
 */
import { isAbsolute, resolve } from "node:path";
import type { PolicyCompileContext } from "../../policies/types.ts";
import type { Env } from "../env.ts";
import type { ConfigIssue, YamlPath } from "../errors.ts";
import type { Locator } from "../parse.ts";
import type { RawFileOrInline } from "../schema/parts.ts";
import { Secret } from "../secret.ts";
import { limitTable, type LimitTable } from "../../limits/observed.ts";
import { memoryStore, type LimitStore } from "../../limits/store.ts";

export interface CompileOptions {
  /** relative file references (`{file: ...}`, certificates) resolve against this directory */
  baseDir: string;
  readFile(path: string): string;
  env: Env;
}

export interface CompileContext {
  readonly env: Env;
  readonly issues: ConfigIssue[];
  /** the store limits and budgets compile against (set from `config.redis` before policies compile) */
  limits: LimitStore;
  /** what the limits and budgets of this config last saw per key (the admin page) */
  readonly limitTable: LimitTable;
  issue(path: YamlPath, message: string, at?: "key" | "value"): void;
  readFile(file: string, path: YamlPath): string | undefined;
  resolveFile(file: string): string;
  secret(raw: RawFileOrInline, path: YamlPath): Secret | undefined;
  /** the context a policy at `path` compiles in */
  policy(path: YamlPath, region?: string, atBackend?: boolean): PolicyCompileContext;
}

export function compileContext(locator: Locator, opts: CompileOptions): CompileContext {
  const issues: ConfigIssue[] = [];
  const ctx: CompileContext = {
    env: opts.env,
    issues,
    limits: memoryStore(),
    limitTable: limitTable(),
    issue: (path, message, at) => void issues.push(locator.issue(path, message, at)),
    resolveFile: (file) => (isAbsolute(file) ? file : resolve(opts.baseDir, file)),
    readFile(file, path) {
      const full = ctx.resolveFile(file);
      try {
        return opts.readFile(full);
      } catch (err) {
        ctx.issue(path, `cannot read file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        return undefined;
      }
    },
    secret(raw, path) {
      if (typeof raw === "string") return new Secret(raw);
      const text = ctx.readFile(raw.file, [...path, "file"]);
      return text === undefined ? undefined : new Secret(text.trim());
    },
    policy: (path, region, atBackend) => ({ path, issue: (p, m) => ctx.issue(p, m), secret: ctx.secret, readFile: ctx.readFile, resolveFile: ctx.resolveFile, region, atBackend, limits: ctx.limits, limitTable: ctx.limitTable, env: opts.env }),
  };
  return ctx;
}
