/** The `config:` section and `frontendPolicies.http`: process-wide settings, env overrides first. */
import { parseDuration } from "../duration.ts";
import type { GatewayConfig, ListenAddress, LogLevel } from "../model.ts";
import type { RawConfig } from "../schema.ts";
import { USAGE_FIELDS } from "../../telemetry/access-log.ts";
import { compileCatalog } from "./catalog.ts";
import type { CompileContext } from "./context.ts";
import { compileNetworkAuthorization } from "./network-authorization.ts";
import { compileOperations } from "./operations.ts";
import { compileTelemetryFields } from "./telemetry-fields.ts";

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_SEC = 120;
const MAX_IDLE_TIMEOUT_SEC = 255; // Bun.serve's ceiling

export function compileSettings(ctx: CompileContext, raw: RawConfig): Omit<GatewayConfig, "binds"> {
  const cfg = raw.config ?? {};
  const envFormat = ctx.env.LOG_FORMAT?.toLowerCase();
  const logging = {
    format: envFormat === "json" ? ("json" as const) : (cfg.logging?.format ?? "text"),
    level: (cfg.logging?.level ?? "info") as LogLevel,
  };
  const readiness = listenAddress(ctx, "readinessAddr", ctx.env.READINESS_ADDR ?? cfg.readinessAddr ?? "[::]:15021");
  const http = raw.frontendPolicies?.http;
  const idleTimeoutSec = http?.http1IdleTimeout
    ? Math.max(1, Math.min(MAX_IDLE_TIMEOUT_SEC, Math.round(parseDuration(http.http1IdleTimeout) / 1000)))
    : DEFAULT_IDLE_TIMEOUT_SEC;
  const accessLogRemove = new Set([...(raw.frontendPolicies?.accessLog?.remove ?? []), ...(cfg.logging?.fields?.remove ?? [])]);
  // access lines are written at info; below that level (or with every usage field removed) no one reads usage
  const logsUsage = logging.level !== "error" && logging.level !== "warn" && USAGE_FIELDS.some((f) => !accessLogRemove.has(f));
  const keepAlive = cfg.streamKeepAlive ?? "15s";
  const streamKeepAliveMs = keepAlive === "off" ? undefined : parseDuration(keepAlive);
  return {
    networkAuthorization: compileNetworkAuthorization(ctx, raw),
    streamKeepAliveMs,
    readiness,
    logging,
    accessLogRemove,
    ...compileCatalog(ctx, cfg.modelCatalog ?? undefined),
    ...compileOperations(ctx, cfg, raw.frontendPolicies?.tracing ?? undefined),
    telemetryFields: compileTelemetryFields(ctx, raw),
    usageWanted: logsUsage,
    maxBodyBytes: http?.maxBufferSize ?? DEFAULT_MAX_BODY_BYTES,
    idleTimeoutSec,
  };
}

/** An `ip:port` address of `config:` (the environment's override already applied); "off" is null. */
export function listenAddress(ctx: CompileContext, field: string, addr: string): ListenAddress | null {
  const parsed = parseListenAddress(addr);
  if (parsed !== "invalid") return parsed;
  ctx.issue(["config", field], `invalid address ${JSON.stringify(addr)}: expected "ip:port", "localhost:port", "[::]:port" or "off"`);
  return null;
}

export function parseListenAddress(addr: string): ListenAddress | null | "invalid" {
  if (addr === "off") return null;
  const m = /^(?:\[([0-9a-fA-F:.]*)\]|([^:\s]*)):(\d{1,5})$/.exec(addr);
  if (!m) return "invalid";
  const hostname = m[1] ?? (m[2] === "" ? "0.0.0.0" : m[2]!);
  return { hostname, port: Number(m[3]) };
}
