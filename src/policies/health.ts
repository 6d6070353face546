/**
 * `health`: when a provider (or any backend of an LLM route) counts as unhealthy and for how long
 * it is evicted. A backend policy; the state it drives is src/llm/failover/health.ts.
 *   unhealthyExpression  CEL on the answer (`response.code`); default: 429, 5xx, no answer
 *   eviction             duration, consecutiveFailures, healthThreshold (0..1), restoreHealth (0..1)
 */
import { z } from "zod";
import { parseDuration } from "../config/duration.ts";
import { celField } from "../cel/index.ts";
import { Duration, notYetFields } from "../config/schema/parts.ts";
import type { HealthSettings } from "../llm/failover/health.ts";
import { definePolicy } from "./types.ts";

const Score = z.number().min(0).max(1);

export const HealthSchema = z
  .strictObject({
    eviction: z
      .strictObject({
        duration: Duration.nullish(),
        restoreHealth: Score.nullish(),
        consecutiveFailures: z.int().min(0).nullish(),
        healthThreshold: Score.nullish(),
      })
      .nullish(),
    unhealthyExpression: z.string().min(1).nullish(),
    ...notYetFields(["active"]),
  })
  .meta({ id: "HealthPolicy" });

export type RawHealth = z.output<typeof HealthSchema>;

export const health = definePolicy({
  key: "health",
  schema: HealthSchema,
  levels: ["backend"],
  atRoute: "backend",
  compile(raw, ctx) {
    const e = raw.eviction ?? undefined;
    const settings: HealthSettings = {
      evicts: e !== undefined,
      durationMs: e?.duration ? parseDuration(e.duration) : undefined,
      consecutiveFailures: e?.consecutiveFailures ?? undefined,
      healthThreshold: e?.healthThreshold ?? undefined,
      restoreHealth: e?.restoreHealth ?? undefined,
      unhealthy: raw.unhealthyExpression ? celField(ctx, raw.unhealthyExpression, [...ctx.path, "unhealthyExpression"]) : undefined,
    };
    return { key: "health", health: settings };
  },
});
