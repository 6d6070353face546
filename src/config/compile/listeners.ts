/**
 * Binds, gateways and their listeners, the routes attached to them (binds' own, top-level
 * `routes` by gateway reference, the `llm:` route), and the final per-port bind configs.
 */
import { composeChain } from "../../policies/chain.ts";
import type { Policy } from "../../policies/types.ts";
import { compileRouter, fullRegex, type RouteInput } from "../../routing/router.ts";
import type { YamlPath } from "../errors.ts";
import type { Backend, BindConfig, ListenerConfig, RouteConfig, ServerTls, WeightedBackend } from "../model.ts";
import type { RawConfig, RawRoute } from "../schema.ts";
import type { BackendCompiler } from "./backends.ts";
import type { CompileContext } from "./context.ts";
import { compileRouteFilters } from "./policies.ts";

interface PendingListener {
  name: string;
  hostname: string | undefined;
  tls: ServerTls | undefined;
  routes: RouteInput[];
  /** gateway-level policies (the gateway's, then the listener's own) */
  policies?: Policy[];
}

type RawListener = { hostname?: string | null | undefined; protocol?: "HTTP" | "HTTPS" | null | undefined; tls?: { cert: string; key: string } | null | undefined };

export interface ListenerSet {
  /** attaches a route to gateways by reference (`gw` or `gw/listener`; default `default`) */
  attach(refs: string | string[] | null | undefined, path: YamlPath, input: RouteInput): void;
  has(ref: string): boolean;
  /** a port of its own (the legacy `llm.port`) */
  addPort(port: number, path: YamlPath, listener: PendingListener): boolean;
  binds(): Map<number, BindConfig>;
}

export function compileRoute(ctx: CompileContext, backends: BackendCompiler, r: RawRoute, path: YamlPath, label: string): RouteInput {
  const policiesPath = [...path, "policies"];
  for (const [mi, m] of (r.matches ?? []).entries()) {
    try {
      if (m.path?.regex !== undefined) fullRegex(m.path.regex);
      for (const h of [...(m.headers ?? []), ...(m.query ?? [])]) if (h.value.regex !== undefined) fullRegex(h.value.regex);
    } catch (err) {
      ctx.issue([...path, "matches", mi], (err as Error).message);
    }
  }
  const routeLayer = { path: policiesPath, policies: r.policies, route: true };
  const list: WeightedBackend[] = [];
  for (const [bi, b] of (r.backends ?? []).entries()) {
    const backend = backends.compile(b, [...path, "backends", bi], routeLayer, `${label}/backend${bi}`);
    if (backend) list.push({ weight: b.weight ?? 1, backend });
  }
  return { route: routeConfig(r.name ?? label, compileRouteFilters(ctx, r.policies, policiesPath), list), hostnames: r.hostnames ?? [], matches: r.matches };
}

export function routeConfig(key: string, filters: Pick<RouteConfig, "policies" | "chain">, backends: WeightedBackend[]): RouteConfig {
  const rewritePath = filters.policies.find((p) => p.rewritePath)?.rewritePath;
  return { key, ...filters, consumesUsage: filters.policies.some((p) => p.consumesUsage), rewritePath, backends, totalWeight: backends.reduce((s, b) => s + b.weight, 0) };
}

/** A route that sends everything to one backend (the `llm:` form's, with `llm.policies` as its filters). */
export function singleBackendRoute(key: string, backend: Backend | undefined, filters: Pick<RouteConfig, "policies" | "chain"> = { policies: [], chain: composeChain([]) }): RouteInput {
  return { route: routeConfig(key, filters, backend ? [{ weight: 1, backend }] : []), hostnames: [], matches: [{ path: { pathPrefix: "/" } }] };
}

export function compileListeners(ctx: CompileContext, raw: RawConfig, backends: BackendCompiler): ListenerSet {
  const ports = new Map<number, { path: YamlPath; listeners: PendingListener[] }>();
  const byRef = new Map<string, PendingListener[]>(); // "gw" and "gw/listener"

  const addPort = (port: number, path: YamlPath, listener: PendingListener) => {
    const entry = ports.get(port);
    if (entry) entry.listeners.push(listener);
    else ports.set(port, { path, listeners: [listener] });
  };

  for (const [bi, bind] of (raw.binds ?? []).entries()) {
    const bpath: YamlPath = ["binds", bi];
    if ((raw.binds ?? []).findIndex((b) => b.port === bind.port) !== bi) {
      ctx.issue([...bpath, "port"], `port ${bind.port} is already used by another bind`);
      continue;
    }
    for (const [li, l] of bind.listeners.entries()) {
      const lpath: YamlPath = [...bpath, "listeners", li];
      const name = l.name ?? `listener${li}`;
      const routes = (l.routes ?? []).map((r, ri) => compileRoute(ctx, backends, r, [...lpath, "routes", ri], `bind${bind.port}/${name}/route${ri}`));
      const policies = compileRouteFilters(ctx, l.policies, [...lpath, "policies"]).policies;
      addPort(bind.port, bpath, { name, ...listenerBasics(ctx, l, lpath), routes, policies });
    }
  }

  // gateways may share a port (listeners by hostname), but not with a bind
  const bindPorts = new Set(ports.keys());
  for (const [gwName, gw] of Object.entries(raw.gateways ?? {})) {
    const gpath: YamlPath = ["gateways", gwName];
    if (bindPorts.has(gw.port)) {
      ctx.issue([...gpath, "port"], `port ${gw.port} is already used by a bind`);
      continue;
    }
    const explicit = gw.listeners && gw.listeners.length > 0;
    if (explicit && gw.tls) ctx.issue([...gpath, "tls"], "'tls' may not be set together with 'listeners'; set it per listener");
    const defs = explicit ? gw.listeners! : [{ name: "default", hostname: null, protocol: gw.protocol, tls: gw.tls }];
    const gwPolicies = compileRouteFilters(ctx, gw, gpath).policies;
    const all: PendingListener[] = [];
    for (const [li, l] of defs.entries()) {
      const lpath: YamlPath = explicit ? [...gpath, "listeners", li] : gpath;
      const own = explicit ? compileRouteFilters(ctx, l, lpath).policies : [];
      const pending: PendingListener = { name: `${gwName}/${l.name ?? `listener${li}`}`, ...listenerBasics(ctx, l, lpath), routes: [], policies: [...gwPolicies, ...own] };
      addPort(gw.port, gpath, pending);
      byRef.set(pending.name, [pending]);
      all.push(pending);
    }
    byRef.set(gwName, all);
  }

  return {
    attach(refs, path, input) {
      const list = refs === undefined || refs === null ? ["default"] : typeof refs === "string" ? [refs] : refs;
      for (const ref of list) {
        const targets = byRef.get(ref);
        if (!targets) {
          const known = [...byRef.keys()].filter((k) => !k.includes("/"));
          ctx.issue(path, `unknown gateway '${ref}'${known.length ? ` (defined: ${known.join(", ")})` : " (no gateways are defined)"}`);
          continue;
        }
        for (const t of targets) t.routes.push(input);
      }
    },
    has: (ref) => byRef.has(ref),
    addPort(port, path, listener) {
      if (ports.has(port)) return false;
      addPort(port, path, listener);
      return true;
    },
    binds: () => assemble(ctx, ports),
  };
}

/** A listener's hostname and certificate, with its protocol and `tls` checked against each other. */
function listenerBasics(ctx: CompileContext, l: RawListener, path: YamlPath): { hostname: string | undefined; tls: ServerTls | undefined } {
  const protocol = l.protocol ?? (l.tls ? "HTTPS" : "HTTP");
  if (protocol === "HTTPS" && !l.tls) ctx.issue(path, "an HTTPS listener needs 'tls' with cert and key");
  if (protocol === "HTTP" && l.tls) ctx.issue([...path, "tls"], "'tls' needs protocol HTTPS");
  const hostname = l.hostname?.toLowerCase() ?? undefined;
  if (!l.tls) return { hostname, tls: undefined };
  const cert = ctx.readFile(l.tls.cert, [...path, "tls", "cert"]);
  const key = ctx.readFile(l.tls.key, [...path, "tls", "key"]);
  if (cert === undefined || key === undefined) return { hostname, tls: undefined };
  return { hostname, tls: { cert, key, serverName: hostname && !hostname.startsWith("*") ? hostname : undefined } };
}

function assemble(ctx: CompileContext, ports: Map<number, { path: YamlPath; listeners: PendingListener[] }>): Map<number, BindConfig> {
  const binds = new Map<number, BindConfig>();
  for (const [port, entry] of ports) {
    const withTls = entry.listeners.filter((l) => l.tls !== undefined).length;
    if (withTls > 0 && withTls < entry.listeners.length) ctx.issue(entry.path, `port ${port} mixes HTTP and HTTPS listeners; one port serves one protocol`);
    const tls: ServerTls[] = [];
    const listeners: ListenerConfig[] = [];
    for (const l of entry.listeners) {
      if (l.tls) tls.push(l.tls);
      const policies = l.policies ?? [];
      const routes = policies.length === 0 ? l.routes : l.routes.map((r) => withListenerPolicies(r, policies));
      listeners.push({ name: l.name, hostname: l.hostname, router: compileRouter(routes), chain: composeChain(policies) });
    }
    binds.set(port, { port, tls, listeners: sortListeners(listeners) });
  }
  return binds;
}

/**
 * A route as one listener serves it: the listener's policies run their `handle` in the listener's
 * chain, and their other hooks (`send`: removing the client's credential; `present`) with the
 * route's, first.
 */
function withListenerPolicies(input: RouteInput, policies: readonly Policy[]): RouteInput {
  const r = input.route;
  const all = [...policies, ...r.policies];
  return { ...input, route: { ...r, policies: all, consumesUsage: all.some((p) => p.consumesUsage) } };
}

/** Listeners with an exact hostname first, then wildcards (longest first), then catch-alls. */
function sortListeners(listeners: ListenerConfig[]): ListenerConfig[] {
  const rank = (l: ListenerConfig) => (l.hostname === undefined ? 0 : l.hostname.startsWith("*") ? 1 : 2);
  return [...listeners].sort((a, b) => rank(b) - rank(a) || (b.hostname?.length ?? 0) - (a.hostname?.length ?? 0));
}
