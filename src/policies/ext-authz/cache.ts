/**
 * `extAuthz.cache`: verdicts reused for requests with the same key (CEL values, e.g.
 * `request.headers["authorization"]`) for the `ttl` expression's time, as agentgateway does.
 * Allowing verdicts and denials are kept, never a service failure. A key expression that does not
 * evaluate, or no key at all, means no caching for that request; a TTL that is not a duration, a
 * future timestamp or unix seconds in the future means the verdict is not stored. At most
 * `maxEntries` (default 10,000) are kept, the oldest inserted leaving first.
 *
 * Safety (agentgateway's warning too): the key must cover everything the service decides on, or
 * one caller may be served another's verdict.
 */
import { celField, evalValue, stringOf, type CelExpression, type CelVars } from "../../cel/index.ts";
import type { YamlPath } from "../../config/errors.ts";
import type { PolicyCompileContext } from "../types.ts";
import type { Verdict } from "./verdict.ts";

export interface RawCache {
  key: string[];
  ttl: string;
  maxEntries?: number | null | undefined;
}

type Kept = Exclude<Verdict, { kind: "failed" }>;

export interface VerdictCache {
  readonly exprs: readonly CelExpression[];
  /** the request's key; undefined: not cached */
  keyOf(vars: CelVars): string | undefined;
  get(key: string): Kept | undefined;
  put(key: string, verdict: Verdict, vars: CelVars): void;
}

export function compileCache(raw: RawCache, path: YamlPath, ctx: PolicyCompileContext): VerdictCache | undefined {
  const keys = raw.key.map((k, i) => celField(ctx, k, [...path, "key", i]));
  const ttl = celField(ctx, raw.ttl, [...path, "ttl"]);
  if (!ttl || keys.some((k) => !k)) return undefined;
  const key = keys.filter((k): k is CelExpression => k !== undefined);
  const max = raw.maxEntries ?? 10_000;
  const entries = new Map<string, { verdict: Kept; expiresAt: number }>();
  return {
    exprs: [...key, ttl],
    keyOf(vars) {
      if (key.length === 0) return undefined;
      const values: (string | null)[] = [];
      for (const k of key) {
        const v = evalValue(k, vars);
        if (v === undefined) return undefined; // the expression failed
        values.push(stringOf(v) ?? null);
      }
      return JSON.stringify(values);
    },
    get(k) {
      const e = entries.get(k);
      if (!e) return undefined;
      if (e.expiresAt > Date.now()) return e.verdict;
      entries.delete(k);
      return undefined;
    },
    put(k, verdict, vars) {
      if (verdict.kind === "failed") return;
      const ms = ttlMs(evalValue(ttl, vars));
      if (ms === undefined || ms <= 0 || max === 0) return;
      entries.delete(k);
      entries.set(k, { verdict, expiresAt: Date.now() + ms });
      if (entries.size > max) entries.delete(entries.keys().next().value!);
    },
  };
}

/** A CEL duration, a timestamp, or unix seconds, as milliseconds from now. */
function ttlMs(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime() - Date.now();
  if (typeof v === "number" || typeof v === "bigint") return Number(v) * 1000 - Date.now();
  if (v !== null && typeof v === "object" && "seconds" in v && "nanos" in v) return Number(v.seconds) * 1000 + Number(v.nanos) / 1e6;
  return undefined;
}
