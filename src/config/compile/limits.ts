/**
 * `config.redis` (our extension): where rate-limit buckets and budgets live. Set, every bucket
 * and budget is in that Redis (shared by all replicas); unset, in this process (reset by a
 * restart or a reload).
 */
import { z } from "zod";
import { parseDuration } from "../duration.ts";
import { Duration } from "../schema/parts.ts";
import { redisStore } from "../../limits/redis.ts";
import { memoryStore, type LimitStore } from "../../limits/store.ts";
import type { CompileContext } from "./context.ts";

export const RedisSchema = z
  .strictObject({
    url: z.string().regex(/^rediss?:\/\/.+/, { error: "expected a redis:// or rediss:// URL" }),
    keyPrefix: z.string().min(1).optional(),
    failureMode: z.enum(["failOpen", "failClosed", "FailOpen", "FailClosed"]).optional(),
    timeout: Duration.optional(),
  })
  .meta({
    id: "RedisSettings",
    description: "Extension: keep every rate-limit bucket and budget in this Redis, so several gateway replicas enforce one limit.",
  });

export function compileLimitStore(ctx: CompileContext, raw: z.output<typeof RedisSchema> | null | undefined): LimitStore {
  if (!raw) return memoryStore();
  const timeoutMs = raw.timeout ? parseDuration(raw.timeout) : 100;
  if (timeoutMs <= 0) ctx.issue(["config", "redis", "timeout"], "the timeout must be more than 0");
  return redisStore({
    url: raw.url,
    keyPrefix: raw.keyPrefix ?? "agw",
    failureMode: raw.failureMode === "failClosed" || raw.failureMode === "FailClosed" ? "failClosed" : "failOpen",
    timeoutMs: timeoutMs > 0 ? timeoutMs : 100,
  });
}
