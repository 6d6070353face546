/**
 * `delay` (agentgateway's fault injection): latency added before the request goes on to the
 * backend, to see how clients cope with a slow provider. `duration` is a duration (`2s`) or a CEL
 * expression giving a duration (`duration("500ms")`) or milliseconds (`random() < 0.1 ? 500 : 0`);
 * a non-positive or failing result adds nothing. A client that leaves during the delay ends it.
 */
import { z } from "zod";
import { celField, celVars, evalValue, type CelExpression } from "../cel/index.ts";
import { parseDuration } from "../config/duration.ts";
import type { RequestContext } from "../server/context.ts";
import { definePolicy } from "./types.ts";

const DelaySchema = z.strictObject({ duration: z.string().min(1) }).meta({ id: "DelayPolicy" });

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;

export const delay = definePolicy({
  key: "delay",
  schema: DelaySchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw, ctx) {
    const fixed = DURATION.test(raw.duration.trim()) ? parseDuration(raw.duration) : undefined;
    const expr = fixed === undefined ? celField(ctx, raw.duration, [...ctx.path, "duration"]) : undefined;
    if (fixed === undefined && !expr) return undefined;
    return {
      key: "delay",
      handle: (reqCtx, next) => {
        const ms = fixed ?? millisOf(expr!, reqCtx);
        return ms > 0 ? sleep(ms, reqCtx.signal).then(() => next(reqCtx)) : next(reqCtx);
      },
    };
  },
});

/** CEL's result as milliseconds: a duration, or a number of ms; anything else is no delay. */
function millisOf(expr: CelExpression, ctx: RequestContext): number {
  const v = evalValue(expr, celVars(ctx));
  if (typeof v === "number" || typeof v === "bigint") return Number(v);
  if (v !== null && typeof v === "object" && "seconds" in v && "nanos" in v) return Number(v.seconds) * 1000 + Number(v.nanos) / 1e6;
  return 0;
}

/** Resolves after `ms`, or as soon as the client leaves (the chain then sees the aborted signal). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
