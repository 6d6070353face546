/**
 * `budgets` (our extension): spend limits in USD, `[{key?: <CEL>, maxCost, window: 1h | 24h |
 * 30d | total}]`, at the same levels as `localRateLimit`. Windows are fixed (UTC hours, UTC days,
 * 30-day periods counted from the Unix epoch). Cost comes from `config.modelCatalog` prices (the
 * outcome record's `cost`, agentgateway's algorithm) and is charged when the answer or stream
 * ends; a model without a price is charged 0 and logged once. Once a key has spent `maxCost` in
 * the current window, its requests get a 429 `insufficient_quota` with `x-should-retry: false`
 * (the OpenAI SDKs then do not retry). Requests already running when the budget runs out finish:
 * the overshoot is at most their cost.
 */
import { z } from "zod";
import { celField, celVars, evalString, prepareCel, type CelExpression } from "../cel/index.ts";
import { HttpError } from "../http/errors.ts";
import { notice } from "../limits/notice.ts";
import { observe, observedLimit, type ObservedLimit } from "../limits/observed.ts";
import type { BudgetSpec, LimitStore } from "../limits/store.ts";
import { policyMetrics } from "../telemetry/metrics/policy-metrics.ts";
import type { ExchangeOutcome } from "../telemetry/outcome.ts";
import { definePolicy } from "./types.ts";

const WINDOWS = { "1h": 3_600_000, "24h": 86_400_000, "30d": 30 * 86_400_000, total: 0 } as const;

export const BudgetsSchema = z
  .array(
    z.strictObject({
      key: z.string().min(1).optional(),
      maxCost: z.number().min(0),
      window: z.enum(["1h", "24h", "30d", "total"]),
    }),
  )
  .meta({ id: "BudgetsPolicy", description: "Extension: spend limits in USD per key and window, priced from config.modelCatalog." });

interface Budget {
  spec: BudgetSpec;
  observed: ObservedLimit;
  max: number;
  window: string;
  key: CelExpression | undefined;
}

export const budgets = definePolicy({
  key: "budgets",
  schema: BudgetsSchema,
  levels: ["route", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const list: Budget[] = [];
    raw.forEach((b, i) => {
      const key = b.key === undefined ? undefined : celField(ctx, b.key, [...ctx.path, i, "key"]);
      if (b.key !== undefined && !key) return;
      const id = `${ctx.path.join(".")}~${i}~${b.window}~${Bun.hash(b.key ?? "").toString(36)}`;
      list.push({ spec: { id, windowMs: WINDOWS[b.window] }, observed: observedLimit(ctx.limitTable, [...ctx.path, i].join("."), "budget", b.maxCost, b.key), max: b.maxCost, window: b.window, key });
    });
    if (list.length === 0) return undefined;
    const exprs = list.map((b) => b.key);
    const store = ctx.limits;
    return {
      key: "budgets",
      consumesUsage: true,
      async handle(reqCtx, next) {
        await prepareCel(reqCtx, exprs);
        const keys = list.map((b) => (b.key ? (evalString(b.key, celVars(reqCtx)) ?? "") : ""));
        for (const [i, b] of list.entries()) {
          const got = store.spent(b.spec, keys[i]!);
          const spent = got instanceof Promise ? await got : got;
          seen(b, keys[i]!, spent);
          if (spent >= b.max) throw exhausted(b, spent);
        }
        reqCtx.outcome.onFinish((rec) => charge(rec, list, keys, store));
        return await next(reqCtx);
      },
    };
  },
});

function charge(rec: Readonly<ExchangeOutcome>, list: readonly Budget[], keys: readonly string[], store: LimitStore): void {
  if (!rec.usage) return;
  const cost = rec.cost;
  if (!cost || cost.status !== "Exact") {
    const model = rec.responseModel ?? rec.requestModel ?? "(unknown)";
    notice("warn", `unpriced:${rec.provider}:${model}`, `budgets: no price for model ${model} (provider ${rec.provider ?? "?"}) in config.modelCatalog; its requests are charged 0`, { model, provider: rec.provider }, Infinity);
    return;
  }
  if (cost.total <= 0) return;
  list.forEach((b, i) => void store.charge(b.spec, keys[i]!, cost.total));
}

/** The admin page's view of the key's spend, and agentgateway_rate_limit_checks_total. */
function seen(b: Budget, key: string, spent: number): void {
  policyMetrics.rateLimit("budget", spent >= b.max ? "limited" : "allowed");
  // a total budget never resets: its entry lives until the page's table is full
  const end = b.spec.windowMs === 0 ? undefined : (Math.floor(Date.now() / b.spec.windowMs) + 1) * b.spec.windowMs;
  observe(b.observed, key, spent, end, end ?? Infinity);
}

function exhausted(b: Budget, spent: number): HttpError {
  const period = b.window === "total" ? "" : ` for this ${b.window} window`;
  return new HttpError(429, `budget exhausted: $${spent.toFixed(4)} of $${b.max} spent${period}${b.key ? " for this key" : ""}; raise the budget or wait for the next window`, {
    type: "insufficient_quota",
    code: "insufficient_quota",
    headers: { "x-should-retry": "false" },
  });
}
