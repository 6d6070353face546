/** The `config:` section and `frontendPolicies.http`: process-wide settings, env overrides first. */
import { parseDuration } from "../duration.ts";
import type { GatewayConfig, ListenAddress, LogLevel } from "../model.ts";
import type { RawConfig } from "../schema.ts";
import { Duration } from "../schema/parts.ts";
import { USAGE_FIELDS } from "../../telemetry/access-log.ts";
import { compileCatalog } from "./catalog.ts";
import type { CompileContext } from "./context.ts";
import { compileNetworkAuthorization } from "./network-authorization.ts";
import { compileOperations } from "./operations.ts";
import { compileTelemetryFields } from "./telemetry-fields.ts";

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_SEC = 120;
const MAX_IDLE_TIMEOUT_SEC = 255; // Bun.serve's ceiling
const DEFAULT_TERMINATION_MS = 30_000;

export function compileSettings(ctx: CompileContext, raw: RawConfig): Omit<GatewayConfig, "binds" | "limitTable"> {
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
    termination: compileTermination(ctx, cfg),
  };
}

/** agentgateway's shutdown deadlines: the environment (`CONNECTION_MIN_TERMINATION_DEADLINE`, `CONNECTION_TERMINATION_DEADLINE`) over `config:`. */
function compileTermination(ctx: CompileContext, cfg: NonNullable<RawConfig["config"]>): GatewayConfig["termination"] {
  const deadline = (field: "connectionMinTerminationDeadline" | "connectionTerminationDeadline", env: string, fallback: number) => {
    const fromEnv = ctx.env[env];
    if (fromEnv === undefined || fromEnv === "") return cfg[field] ? parseDuration(cfg[field]) : fallback;
    if (Duration.safeParse(fromEnv).success) return parseDuration(fromEnv);
    ctx.issue(["config", field], `${env}=${JSON.stringify(fromEnv)} is not a duration (expected e.g. 5s, 500ms, 1m30s)`);
    return fallback;
  };
  const minMs = deadline("connectionMinTerminationDeadline", "CONNECTION_MIN_TERMINATION_DEADLINE", 0);
  const maxMs = deadline("connectionTerminationDeadline", "CONNECTION_TERMINATION_DEADLINE", Math.max(DEFAULT_TERMINATION_MS, minMs));
  if (maxMs < minMs) ctx.issue(["config", "connectionTerminationDeadline"], `connectionTerminationDeadline (${maxMs}ms) cannot be less than connectionMinTerminationDeadline (${minMs}ms)`);
  return { minMs, maxMs };
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
