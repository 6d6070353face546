/**
 * Operational notices from limits and budgets (Redis unreachable, a model without a price): the
 * gateway's logger when one is running (startGateway sets it), stderr otherwise; each distinct
 * notice at most once per `everyMs`.
 */
import type { Logger } from "../telemetry/log.ts";

let logger: Logger | undefined;
const last = new Map<string, number>();

export function setNoticeLogger(l: Logger): void {
  logger = l;
}

/** Logs `message` unless the same `key` was logged less than `everyMs` ago (Infinity: once per process). */
export function notice(level: "warn" | "error", key: string, message: string, fields: Record<string, unknown> = {}, everyMs = 10_000): void {
  const now = Date.now();
  const prev = last.get(key);
  if (prev !== undefined && now - prev < everyMs) return;
  last.set(key, now);
  if (logger) logger[level](message, fields);
  else process.stderr.write(`${level} ${message} ${JSON.stringify(fields)}\n`);
}
