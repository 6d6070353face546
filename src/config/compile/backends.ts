/**
 * Route backends: plain `host:` upstreams, references to top-level `backends`, and `ai` backends
 * (one provider, or priority groups of providers), each with its layers of backend policies.
 */
import type { ResolvedProvider } from "../../llm/providers/define.ts";
import { PROVIDERS } from "../../llm/providers/index.ts";
import { upstreamOrigin } from "../../http/upstream-url.ts";
import type { YamlPath } from "../errors.ts";
import type { Backend, ProviderTarget } from "../model.ts";
import type { RawConfig, RawNamedAIProvider, RawRouteBackend } from "../schema.ts";
import type { CompileContext } from "./context.ts";
import { compileBackendPolicies, type Layer } from "./policies.ts";
import { providerTarget } from "./provider-target.ts";

type RawTopLevelBackend = NonNullable<RawConfig["backends"]>[number];

export interface BackendCompiler {
  /** a route's backend, below the route's own policy layer */
  compile(b: RawRouteBackend, path: YamlPath, routeLayer: Layer, label: string): Backend | undefined;
}

export function backendCompiler(ctx: CompileContext, named: readonly RawTopLevelBackend[]): BackendCompiler {
  const byName = new Map<string, { index: number; raw: RawTopLevelBackend }>();
  named.forEach((b, index) => {
    if (byName.has(b.name)) ctx.issue(["backends", index, "name"], `duplicate backend name '${b.name}'`);
    byName.set(b.name, { index, raw: b });
  });

  const body = (b: { host?: string | undefined; ai?: RawRouteBackend["ai"] }, path: YamlPath, layers: Layer[], label: string): Backend | undefined => {
    if (b.host !== undefined) return hostBackend(ctx, b.host, path, layers, label);
    const ai = b.ai!;
    const apath = [...path, "ai"];
    if ("groups" in ai) {
      const groups = ai.groups.map((g, gi) =>
        g.providers.map((p, pi) => aiProvider(ctx, p, [...apath, "groups", gi, "providers", pi], layers)).filter((t): t is ProviderTarget => t !== undefined),
      );
      return { kind: "ai", name: ai.groups.flatMap((g) => g.providers.map((p) => p.name)).join(","), groups };
    }
    const target = aiProvider(ctx, ai, apath, layers);
    return target ? { kind: "ai", name: ai.name, groups: [[target]] } : undefined;
  };

  return {
    compile(b, path, routeLayer, label) {
      if (b.backend === undefined) return body(b, path, [routeLayer, { path: [...path, "policies"], policies: b.policies }], label);
      const ref = byName.get(b.backend);
      if (!ref) {
        ctx.issue([...path, "backend"], `unknown backend '${b.backend}' (not in the top-level 'backends' list)`);
        return undefined;
      }
      const npath: YamlPath = ["backends", ref.index];
      // the named backend's own policies sit below the reference's
      const layers = [routeLayer, { path: [...npath, "policies"], policies: ref.raw.policies }, { path: [...path, "policies"], policies: b.policies }];
      return body(ref.raw, npath, layers, ref.raw.name);
    },
  };
}

function hostBackend(ctx: CompileContext, host: string, path: YamlPath, layers: Layer[], label: string): Backend | undefined {
  const tls = layers.some((l) => l.policies?.backendTLS);
  const text = originOf(host, tls);
  const origin = text === undefined ? undefined : upstreamOrigin(text);
  if (origin === undefined) {
    ctx.issue([...path, "host"], `invalid host ${JSON.stringify(host)}: expected "host:port" or a URL`);
    return undefined;
  }
  const { routes: _routes, ...settings } = compileBackendPolicies(ctx, layers);
  return { kind: "host", name: label, origin, ...settings };
}

function aiProvider(ctx: CompileContext, p: RawNamedAIProvider, path: YamlPath, layers: Layer[]): ProviderTarget | undefined {
  const all = [...layers, { path: [...path, "policies"], policies: p.policies }];
  const provider = resolveProvider(p.provider);
  if (!provider) return undefined;
  let override: string | undefined;
  if (p.hostOverride) {
    override = originOf(p.hostOverride, all.some((l) => l.policies?.backendTLS));
    if (override === undefined) {
      ctx.issue([...path, "hostOverride"], `invalid host ${JSON.stringify(p.hostOverride)}: expected "host:port"`);
      return undefined;
    }
  } else if (provider.defaultBase.origin === "") {
    ctx.issue(path, "custom providers require an explicit host: set 'hostOverride' (or use the llm: form with params.baseUrl)");
    return undefined;
  }
  return providerTarget(ctx, {
    name: p.name,
    provider,
    override,
    pathPrefix: p.pathPrefix ?? undefined,
    pathOverride: p.pathOverride ?? undefined,
    layers: all,
    hostPath: [...path, "hostOverride"],
  });
}

/** The registered provider whose key the `provider:` object sets (the schema checked there is exactly one). */
function resolveProvider(p: RawNamedAIProvider["provider"]): ResolvedProvider | undefined {
  const raw: Readonly<Record<string, unknown>> = p;
  for (const def of PROVIDERS) if (raw[def.key] !== undefined && raw[def.key] !== null) return def.fromConfig(raw[def.key]);
  return undefined;
}

/** "host:port", "host" or a URL -> "scheme://host:port"; https when TLS is configured or the port is 443. */
export function originOf(host: string, tls: boolean): string | undefined {
  if (/^https?:\/\//i.test(host)) {
    try {
      const u = new URL(host);
      const port = u.port || (u.protocol === "https:" ? "443" : "80");
      return `${u.protocol}//${u.hostname}:${port}`;
    } catch {
      return undefined;
    }
  }
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:/\s[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return undefined;
  const port = m[2] ? Number(m[2]) : tls ? 443 : 80;
  if (port < 1 || port > 65535) return undefined;
  const scheme = tls || port === 443 ? "https" : "http";
  return `${scheme}://${m[1]}:${port}`;
}
