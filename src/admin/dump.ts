/**
 * What the admin page and `/config_dump` show of the running config: binds, listeners, routes,
 * backends and providers, the `llm:` models, the build, and the `config:` settings in effect
 * (agentgateway's dump: `version` snake_case, `config` camelCase). Built from the compiled model,
 * where every credential is a `Secret` that serialises as "[redacted]"; nothing here reveals one.
 */
import { buildInfo } from "../build-info.ts";
import type { Backend, CustomField, GatewayConfig, ListenAddress, ProviderTarget, RouteConfig, UpstreamTarget } from "../config/model.ts";
import { providerHealth } from "../llm/failover/status.ts";
import { limitsView } from "../limits/observed.ts";

export interface TargetView {
  name: string;
  kind: "host" | "provider";
  provider?: string;
  model?: string;
  upstream: string;
  policies: string[];
  /** group index (priority order) for provider groups */
  group?: number;
}

export interface BackendView {
  name: string;
  kind: Backend["kind"];
  targets: TargetView[];
  models?: { name: string; visibility: string; target: string }[];
}

export function addressText(a: ListenAddress | null): string {
  if (!a) return "off";
  return `${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}`;
}

function target(t: UpstreamTarget, extra: Partial<TargetView>): TargetView {
  return { name: t.name, kind: "host", upstream: t.origin.base, policies: t.policies.map((p) => p.key), ...extra };
}

function providerView(t: ProviderTarget, group?: number): TargetView {
  return target(t, { kind: "provider", provider: t.provider.telemetryName, ...(t.model ? { model: t.model } : {}), ...(group !== undefined ? { group } : {}) });
}

export function backendView(b: Backend): BackendView {
  switch (b.kind) {
    case "host":
      return { name: b.name, kind: "host", targets: [target(b, {})] };
    case "ai":
      return { name: b.name, kind: "ai", targets: b.groups.flatMap((g, i) => g.map((t) => providerView(t, i))) };
    case "llm":
      return {
        name: b.name,
        kind: "llm",
        targets: b.models.map((m) => providerView(m.target)),
        models: b.models.map((m) => ({ name: m.name, visibility: m.visibility, target: m.target.name })),
      };
  }
}

function routeView(r: RouteConfig) {
  return { key: r.key, policies: r.policies.map((p) => p.key), backends: r.backends.map((b) => ({ weight: b.weight, name: b.backend.name, kind: b.backend.kind })) };
}

/** Listeners and their routes, per bind. */
export function bindsView(config: GatewayConfig) {
  return [...config.binds.values()].map((b) => ({
    key: `bind/${b.port}`,
    port: b.port,
    protocol: b.tls.length > 0 ? "https" : "http",
    listeners: b.listeners.map((l) => ({ name: l.name, hostname: l.hostname ?? "*", routes: l.router.routes.map(routeView) })),
  }));
}

/** Every backend once (a named backend used by several routes is listed once). */
export function backendsView(config: GatewayConfig): BackendView[] {
  const seen = new Set<Backend>();
  const out: BackendView[] = [];
  for (const b of config.binds.values())
    for (const l of b.listeners)
      for (const r of l.router.routes)
        for (const wb of r.backends)
          if (!seen.has(wb.backend)) {
            seen.add(wb.backend);
            out.push(backendView(wb.backend));
          }
  return out;
}

/** The `config:` settings in effect (camelCase, as agentgateway's dump). */
export function settingsView(config: GatewayConfig) {
  const t = config.tracing;
  return {
    adminAddr: addressText(config.admin),
    statsAddr: addressText(config.stats),
    readinessAddr: addressText(config.readiness),
    histograms: "classic",
    logging: { format: config.logging.format, level: config.logging.level, remove: [...config.accessLogRemove], add: fieldSources(config.telemetryFields?.log), filter: config.telemetryFields?.logFilter?.source },
    metrics: { remove: [...config.metricsRemove], add: fieldSources(config.telemetryFields?.metrics) },
    tracing: t
      ? { endpoint: t.endpoint, protocol: t.protocol, headers: Object.fromEntries([...t.headers.keys()].map((k) => [k, "[redacted]"])), randomSampling: t.randomSampling, clientSampling: t.clientSampling, remove: [...t.remove], add: fieldSources(config.telemetryFields?.trace), filter: config.telemetryFields?.traceFilter?.source, resources: t.resources }
      : null,
    modelCatalog: config.catalogSource,
    maxBufferSize: config.maxBodyBytes,
    http1IdleTimeout: `${config.idleTimeoutSec}s`,
  };
}

/** `/config_dump`. */
export function configDump(config: GatewayConfig) {
  return { binds: bindsView(config), backends: backendsView(config), version: buildInfo, config: settingsView(config) };
}

/**
 * The page's state view: backends and providers with their health (learnt from traffic; the
 * clock is the gateway's default, performance.now), and rate-limit and budget state per key.
 */
export function stateView(config: GatewayConfig) {
  return { backends: backendsView(config), health: providerHealth(config, performance.now()), limits: limitsView(config.limitTable) };
}

/** Every credential the compiled config holds, revealed only to scrub it from what the page shows. */
export function configSecrets(config: GatewayConfig): string[] {
  const out = new Set<string>();
  const add = (t: UpstreamTarget) => {
    for (const s of t.secrets) out.add(s.reveal());
  };
  for (const b of config.binds.values())
    for (const l of b.listeners)
      for (const r of l.router.routes)
        for (const { backend } of r.backends) {
          if (backend.kind === "host") add(backend);
          else if (backend.kind === "ai") backend.groups.flat().forEach(add);
          else backend.models.forEach((m) => add(m.target));
        }
  for (const v of config.tracing?.headers.values() ?? []) out.add(v.reveal());
  return [...out];
}

/** custom fields as configured: name -> CEL source */
function fieldSources(fields: readonly CustomField[] | undefined): Record<string, string> {
  return Object.fromEntries((fields ?? []).map((f) => [f.name, f.expr.source]));
}
