/** The `config:` section and `frontendPolicies.http`: process-wide settings, env overrides first. */
import { parseDuration } from "../duration.ts";
import type { GatewayConfig, ListenAddress, LogLevel } from "../model.ts";
import type { RawConfig } from "../schema.ts";
import { USAGE_FIELDS } from "../../telemetry/access-log.ts";
import type { z } from "zod";
import { CatalogSchema, mergeCatalogs, type Catalog, type ModelCatalogSources, type RawCatalog } from "../../telemetry/cost/catalog.ts";
import type { CompileContext } from "./context.ts";

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
  const addr = ctx.env.READINESS_ADDR ?? cfg.readinessAddr ?? "[::]:15021";
  let readiness = parseListenAddress(addr);
  if (readiness === "invalid") {
    ctx.issue(["config", "readinessAddr"], `invalid address ${JSON.stringify(addr)}: expected "ip:port" or "off"`);
    readiness = null;
  }
  const http = raw.frontendPolicies?.http;
  const idleTimeoutSec = http?.http1IdleTimeout
    ? Math.max(1, Math.min(MAX_IDLE_TIMEOUT_SEC, Math.round(parseDuration(http.http1IdleTimeout) / 1000)))
    : DEFAULT_IDLE_TIMEOUT_SEC;
  const accessLogRemove = new Set([...(raw.frontendPolicies?.accessLog?.remove ?? []), ...(cfg.logging?.fields?.remove ?? [])]);
  // access lines are written at info; below that level (or with every usage field removed) no one reads usage
  const logsUsage = logging.level !== "error" && logging.level !== "warn" && USAGE_FIELDS.some((f) => !accessLogRemove.has(f));
  const keepAlive = cfg.streamKeepAlive ?? "15s";
  const streamKeepAliveMs = keepAlive === "off" ? undefined : parseDuration(keepAlive);
  return { readiness, logging, accessLogRemove, streamKeepAliveMs, catalog: compileCatalog(ctx, cfg.modelCatalog ?? undefined), usageWanted: logsUsage, maxBodyBytes: http?.maxBufferSize ?? DEFAULT_MAX_BODY_BYTES, idleTimeoutSec };
}

/** The catalog sources, read and merged in order (a source that cannot be read or parsed is reported where it is). */
function compileCatalog(ctx: CompileContext, sources: z.output<typeof ModelCatalogSources> | undefined): Catalog | undefined {
  if (!sources) return undefined;
  const catalogs: RawCatalog[] = [];
  sources.forEach((source, i) => {
    const path = ["config", "modelCatalog", i];
    const text = "file" in source ? ctx.readFile(source.file, [...path, "file"]) : typeof source.inline === "string" ? source.inline : undefined;
    if (text === undefined) {
      if ("inline" in source && typeof source.inline !== "string") catalogs.push(source.inline);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      ctx.issue(path, `the model catalog is not JSON: ${(err as Error).message}`);
      return;
    }
    const parsed = CatalogSchema.safeParse(json);
    if (parsed.success) catalogs.push(parsed.data);
    else ctx.issue(path, `not a model catalog: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  });
  return mergeCatalogs(catalogs);
}

function parseListenAddress(addr: string): ListenAddress | null | "invalid" {
  if (addr === "off") return null;
  const m = /^(?:\[([0-9a-fA-F:.]*)\]|([^:\s]*)):(\d{1,5})$/.exec(addr);
  if (!m) return "invalid";
  const hostname = m[1] ?? (m[2] === "" ? "0.0.0.0" : m[2]!);
  return { hostname, port: Number(m[3]) };
}
