/**
 * `timeout`: `requestTimeout` bounds the whole exchange (headers and body, streams included);
 * `backendRequestTimeout` bounds each upstream call. Past either, the upstream call is aborted:
 * a 504 before the answer started, an error event once a stream is under way.
 */
import { z } from "zod";
import { parseDuration } from "../config/duration.ts";
import { Duration } from "../config/schema/parts.ts";
import { definePolicy } from "./types.ts";

const TimeoutSchema = z
  .strictObject({
    requestTimeout: Duration.nullish(),
    backendRequestTimeout: Duration.nullish(),
  })
  .meta({ id: "TimeoutPolicy" });

export const timeout = definePolicy({
  key: "timeout",
  schema: TimeoutSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw) {
    const requestMs = raw.requestTimeout ? parseDuration(raw.requestTimeout) : undefined;
    const backendMs = raw.backendRequestTimeout ? parseDuration(raw.backendRequestTimeout) : undefined;
    if (requestMs === undefined && backendMs === undefined) return undefined;
    return {
      key: "timeout",
      handle(ctx, next) {
        if (requestMs !== undefined) ctx.signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(requestMs)]);
        if (backendMs !== undefined) ctx.backendTimeoutMs = backendMs;
        return next(ctx);
      },
    };
  },
});
