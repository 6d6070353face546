/**
 * The operations settings of `config:` (read once at start-up, as agentgateway reads them): the
 * admin and stats addresses, `metrics.remove`, and `tracing` with agentgateway's environment
 * overrides (OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT,
 * the matching `_HEADERS` and `_PROTOCOL` variables).
 */
import type { z } from "zod";
import type { GatewayConfig, TracingSettings } from "../model.ts";
import type { RawConfig } from "../schema.ts";
import type { FrontendTracing, TracingSection } from "../schema/operations.ts";
import { celField, evalValue } from "../../cel/index.ts";
import { CEL_VARIABLES } from "../../cel/functions.ts";
import { Secret } from "../secret.ts";
import type { CompileContext } from "./context.ts";
import { listenAddress } from "./settings.ts";

type RawSection = NonNullable<RawConfig["config"]>;

type RawFrontendTracing = z.output<typeof FrontendTracing>;

export function compileOperations(ctx: CompileContext, cfg: RawSection, frontend: RawFrontendTracing | undefined): Pick<GatewayConfig, "admin" | "stats" | "metricsRemove" | "tracing"> {
  if (frontend && cfg.tracing) ctx.issue(["frontendPolicies", "tracing"], "traces are configured twice (config.tracing, deprecated, and frontendPolicies.tracing): keep frontendPolicies.tracing");
  return {
    admin: listenAddress(ctx, "adminAddr", ctx.env.ADMIN_ADDR ?? cfg.adminAddr ?? "localhost:15000"),
    stats: listenAddress(ctx, "statsAddr", ctx.env.STATS_ADDR ?? cfg.statsAddr ?? "[::]:15020"),
    metricsRemove: new Set(cfg.metrics?.remove ?? []),
    tracing: frontend ? compileFrontendTracing(ctx, frontend) : compileTracing(ctx, cfg.tracing ?? undefined),
  };
}

/** `frontendPolicies.tracing`: the collector by `host`; sampling, `remove` and `resources` here, `attributes` and `filter` with the custom fields. */
function compileFrontendTracing(ctx: CompileContext, raw: RawFrontendTracing): TracingSettings | undefined {
  const protocol = raw.protocol ?? "grpc";
  const url = collectorUrl(raw.host, protocol, raw.path ?? "/v1/traces");
  if (url === undefined) {
    ctx.issue(["frontendPolicies", "tracing", "host"], `invalid collector ${JSON.stringify(raw.host)}: expected host:port, http://host:port, https://host:port or grpc://host:port`);
    return undefined;
  }
  return {
    endpoint: raw.host,
    url,
    protocol,
    headers: new Map(),
    randomSampling: ratio(raw.randomSampling, 0),
    clientSampling: ratio(raw.clientSampling, 1),
    remove: new Set(raw.remove ?? []),
    resources: resourceAttributes(ctx, raw.resources ?? {}),
  };
}

/** Resource attributes are the process's, not a request's: each expression is evaluated once, here, with no request. */
function resourceAttributes(ctx: CompileContext, raw: Readonly<Record<string, string>>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, source] of Object.entries(raw)) {
    const path = ["frontendPolicies", "tracing", "resources", name];
    const expr = celField(ctx, source, path);
    if (!expr) continue;
    const v = evalValue(expr, NO_REQUEST);
    if (typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))) out[name] = v;
    else if (typeof v === "bigint") out[name] = Number(v);
    else ctx.issue(path, `resource attributes are evaluated once, when the config loads, without a request: expected an expression giving a string, number or bool, such as '"my-gateway"'`);
  }
  return out;
}

const NO_REQUEST = Object.fromEntries(CEL_VARIABLES.map((k) => [k, null]));

const first = (...values: (string | undefined)[]) => values.find((v) => v !== undefined && v !== "");

function compileTracing(ctx: CompileContext, raw: z.output<typeof TracingSection> | undefined): TracingSettings | undefined {
  const env = ctx.env;
  const endpoint = first(env.OTLP_ENDPOINT, env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, env.OTEL_EXPORTER_OTLP_ENDPOINT, raw?.otlpEndpoint ?? undefined);
  if (endpoint === undefined) {
    if (raw) ctx.issue(["config", "tracing"], "tracing needs 'otlpEndpoint' (or OTLP_ENDPOINT in the environment)");
    return undefined;
  }
  const protocolText = first(env.OTLP_PROTOCOL, env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, env.OTEL_EXPORTER_OTLP_PROTOCOL);
  const protocol = protocolText === undefined ? (raw?.otlpProtocol ?? "grpc") : protocolText.startsWith("http") ? "http" : "grpc";
  const headers = new Map<string, Secret>();
  for (const [k, v] of Object.entries(raw?.headers ?? {})) headers.set(k.toLowerCase(), new Secret(v));
  for (const text of [env.OTEL_EXPORTER_OTLP_HEADERS, env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, env.OTLP_HEADERS]) {
    for (const pair of text?.split(",") ?? []) {
      const eq = pair.indexOf("=");
      if (eq > 0) headers.set(decodeURIComponent(pair.slice(0, eq).trim()).toLowerCase(), new Secret(decodeURIComponent(pair.slice(eq + 1).trim())));
    }
  }
  const url = collectorUrl(endpoint, protocol, raw?.path ?? "/v1/traces");
  if (url === undefined) {
    ctx.issue(["config", "tracing", "otlpEndpoint"], `invalid OTLP endpoint ${JSON.stringify(endpoint)}: expected http://host:port, https://host:port, grpc://host:port or host:port`);
    return undefined;
  }
  return {
    endpoint,
    url,
    protocol,
    headers,
    randomSampling: ratio(raw?.randomSampling, 0),
    clientSampling: ratio(raw?.clientSampling, 1),
    remove: new Set(raw?.fields?.remove ?? []),
    resources: {},
  };
}

/** agentgateway's endpoint forms: http (port 80), https (443), grpc (4317) or bare host:port. */
export function collectorUrl(endpoint: string, protocol: "grpc" | "http", path: string): string | undefined {
  const m = /^(?:(https?|grpc):\/\/)?([^/?#\s]+)(\/[^?#\s]*)?$/.exec(endpoint);
  if (!m) return undefined;
  const scheme = m[1] === "https" ? "https" : "http";
  const defaultPort = m[1] === "https" ? 443 : m[1] === "grpc" ? 4317 : m[1] === "http" ? 80 : 4317;
  let hostPort = m[2]!;
  if (!/:\d+$/.test(hostPort) || hostPort.endsWith("]")) hostPort = `${hostPort}:${defaultPort}`;
  if (protocol === "grpc") return `${scheme}://${hostPort}`;
  const own = m[3] && m[3] !== "/" ? m[3] : path;
  return `${scheme}://${hostPort}${own}`;
}

function ratio(v: boolean | number | string | null | undefined, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  return v === "true" ? 1 : v === "false" ? 0 : Number(v);
}
