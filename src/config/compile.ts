/**
 * Raw (validated) config -> runtime model. Resolves references, secrets, files and defaults, and
 * reports what the schema alone cannot see (unknown references, duplicate ports, bad regexes,
 * missing provider settings), each located in the file.
 */
import { isAbsolute, resolve } from "node:path";
import { PROVIDERS, type ProviderKind } from "../llm/providers/index.ts";
import { PRESETS, type CustomSpec } from "../llm/providers/custom/index.ts";
import { sortTable } from "../llm/route-type.ts";
import type { RouteType } from "../llm/types.ts";
import { compileBackendAuth, type AuthCompileContext, type CompiledAuth } from "../policies/backend-auth.ts";
import { compileRouter, fullRegex, type RouteInput } from "../routing/router.ts";
import type { Env } from "./env.ts";
import type { ConfigIssue, YamlPath } from "./errors.ts";
import type {
  AiPolicyConfig,
  Backend,
  BindConfig,
  FetchTls,
  GatewayConfig,
  HeaderOps,
  ListenAddress,
  ListenerConfig,
  LlmModelEntry,
  LogLevel,
  ProviderTarget,
  RouteConfig,
  ServerTls,
  WeightedBackend,
} from "./model.ts";
import type { Locator, Result } from "./parse.ts";
import type {
  RawAiPolicy,
  RawBackendAuth,
  RawBackendPolicies,
  RawBackendTLS,
  RawConfig,
  RawFileOrInline,
  RawHeaderModifier,
  RawLlm,
  RawLlmModel,
  RawLlmProvider,
  RawNamedAIProvider,
  RawRoute,
  RawRouteBackend,
} from "./schema.ts";
import { Secret } from "./secret.ts";
import { parseDuration } from "./duration.ts";
import { providerLocation } from "./provider-location.ts";
import { upstreamOrigin } from "../http/upstream-url.ts";

export interface CompileOptions {
  /** relative file references (`{file: ...}`, certificates) resolve against this directory */
  baseDir: string;
  readFile(path: string): string;
  env: Env;
}

export const DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_IDLE_TIMEOUT_SEC = 120;
const MAX_IDLE_TIMEOUT_SEC = 255; // Bun.serve's ceiling

/** Policies a backend inherits from where it is used (route, named backend), most specific last. */
interface Layer {
  path: YamlPath;
  policies: RawBackendPolicies | null | undefined;
}

export function compileConfig(raw: RawConfig, locator: Locator, opts: CompileOptions): Result<GatewayConfig, ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const issue = (path: YamlPath, message: string, at?: "key" | "value") => {
    issues.push(locator.issue(path, message, at));
  };

  const readFileAt = (file: string, path: YamlPath): string | undefined => {
    const full = isAbsolute(file) ? file : resolve(opts.baseDir, file);
    try {
      return opts.readFile(full);
    } catch (err) {
      issue(path, `cannot read file ${JSON.stringify(file)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return undefined;
    }
  };

  const secretOf = (rawSecret: RawFileOrInline, path: YamlPath): Secret | undefined => {
    if (typeof rawSecret === "string") return new Secret(rawSecret);
    const text = readFileAt(rawSecret.file, [...path, "file"]);
    return text === undefined ? undefined : new Secret(text.trim());
  };

  const authContext = (region?: string): AuthCompileContext => ({
    secret: secretOf,
    issue: (p, m) => issue(p, m),
    region,
  });

  // --- config: section -------------------------------------------------------------------------
  const cfg = raw.config ?? {};
  const envFormat = opts.env.LOG_FORMAT?.toLowerCase();
  const logging = {
    format: envFormat === "json" ? ("json" as const) : (cfg.logging?.format ?? "text"),
    level: (cfg.logging?.level ?? "info") as LogLevel,
  };
  let readiness: ListenAddress | null = null;
  {
    const fromEnv = opts.env.READINESS_ADDR;
    const addr = fromEnv ?? cfg.readinessAddr ?? "[::]:15021";
    const parsed = parseListenAddress(addr);
    if (parsed === "invalid") issue(["config", "readinessAddr"], `invalid address ${JSON.stringify(addr)}: expected "ip:port" or "off"`);
    else readiness = parsed;
  }

  const http = raw.frontendPolicies?.http;
  const maxBodyBytes = http?.maxBufferSize ?? DEFAULT_MAX_BODY_BYTES;
  const idleTimeoutSec = http?.http1IdleTimeout
    ? Math.max(1, Math.min(MAX_IDLE_TIMEOUT_SEC, Math.round(parseDuration(http.http1IdleTimeout) / 1000)))
    : DEFAULT_IDLE_TIMEOUT_SEC;

  // --- backends ----------------------------------------------------------------------------------
  const namedBackends = new Map<string, { index: number; raw: NonNullable<RawConfig["backends"]>[number] }>();
  (raw.backends ?? []).forEach((b, index) => {
    if (namedBackends.has(b.name)) issue(["backends", index, "name"], `duplicate backend name '${b.name}'`);
    namedBackends.set(b.name, { index, raw: b });
  });

  function compileTls(rawTls: RawBackendTLS, path: YamlPath): FetchTls {
    const tls: FetchTls = {};
    if (rawTls.root) tls.ca = readFileAt(rawTls.root, [...path, "root"]);
    if (rawTls.cert) tls.cert = readFileAt(rawTls.cert, [...path, "cert"]);
    if (rawTls.key) tls.key = readFileAt(rawTls.key, [...path, "key"]);
    if (Boolean(rawTls.cert) !== Boolean(rawTls.key)) issue(path, "backendTLS: 'cert' and 'key' must be given together");
    if (rawTls.hostname) tls.serverName = rawTls.hostname;
    if (rawTls.insecure) tls.rejectUnauthorized = false;
    if (rawTls.insecureHost) tls.checkServerIdentity = () => undefined;
    return tls;
  }

  /** The most specific layer that sets `key` wins. */
  function pick<K extends keyof RawBackendPolicies>(layers: Layer[], key: K): { value: NonNullable<RawBackendPolicies[K]>; path: YamlPath } | undefined {
    for (let i = layers.length - 1; i >= 0; i--) {
      const v = layers[i]!.policies?.[key];
      if (v !== undefined && v !== null) return { value: v as NonNullable<RawBackendPolicies[K]>, path: [...layers[i]!.path, key] };
    }
    return undefined;
  }

  function mergeAi(layers: Layer[]): AiPolicyConfig {
    const merged: RawAiPolicy = {};
    for (const l of layers) {
      const ai = l.policies?.ai;
      if (!ai) continue;
      if (ai.routes) merged.routes = ai.routes;
      if (ai.defaults) merged.defaults = { ...merged.defaults, ...ai.defaults };
      if (ai.overrides) merged.overrides = { ...merged.overrides, ...ai.overrides };
      if (ai.modelAliases) merged.modelAliases = { ...merged.modelAliases, ...ai.modelAliases };
    }
    return compileAiPolicy(merged);
  }

  function compileAuth(layers: Layer[], region?: string): CompiledAuth | undefined {
    const auth = pick(layers, "backendAuth");
    return auth ? compileBackendAuth(auth.value as RawBackendAuth, authContext(region), auth.path) : undefined;
  }

  function compileProvider(p: RawNamedAIProvider, path: YamlPath, layers: Layer[]): ProviderTarget | undefined {
    const all = [...layers, { path, policies: p.policies }];
    const { kind, spec, model } = providerSpec(p.provider);
    const adapter = PROVIDERS[kind];
    const tlsPolicy = pick(all, "backendTLS");
    let override: string | undefined;
    if (p.hostOverride) {
      override = originOf(p.hostOverride, tlsPolicy !== undefined);
      if (override === undefined) {
        issue([...path, "hostOverride"], `invalid host ${JSON.stringify(p.hostOverride)}: expected "host:port"`);
        return undefined;
      }
    } else if (kind === "custom") {
      issue(path, "custom providers require an explicit host: set 'hostOverride' (or use the llm: form with params.baseUrl)");
      return undefined;
    }
    const location = providerLocation(adapter, spec as never, override, p.pathPrefix ?? undefined);
    if (typeof location === "string") {
      issue([...path, "hostOverride"], location);
      return undefined;
    }
    const region = kind === "bedrock" ? (spec as { region: string }).region : undefined;
    const auth = compileAuth(all, region);
    const defaultAuth = !auth && !p.hostOverride ? adapter.defaultAuth?.(spec as never) : undefined;
    return {
      name: p.name,
      adapter,
      spec,
      model,
      telemetryName: adapter.telemetryName(spec as never),
      ...location,
      pathOverride: p.pathOverride ?? undefined,
      tls: tlsPolicy ? compileTls(tlsPolicy.value, tlsPolicy.path) : undefined,
      auth: auth?.authorize ?? defaultAuth,
      stripClientAuth: auth?.replacesClientAuth ?? defaultAuth !== undefined,
      secrets: auth?.secrets ?? [],
      ai: mergeAi(all),
      requestHeaders: headerOps(pick(all, "requestHeaderModifier")?.value),
      responseHeaders: headerOps(pick(all, "responseHeaderModifier")?.value),
      passthrough: undefined,
    };
  }

  function compileBackend(b: RawRouteBackend, path: YamlPath, layers: Layer[], label: string): Backend | undefined {
    const here = [...layers, { path, policies: b.policies }];
    if (b.backend !== undefined) {
      const named = namedBackends.get(b.backend);
      if (!named) {
        issue([...path, "backend"], `unknown backend '${b.backend}' (not in the top-level 'backends' list)`);
        return undefined;
      }
      const npath: YamlPath = ["backends", named.index];
      // the named backend's own policies sit below the reference's
      const nlayers = [...layers, { path: npath, policies: named.raw.policies }, { path, policies: b.policies }];
      return compileBackendBody(named.raw, npath, nlayers, named.raw.name);
    }
    return compileBackendBody(b, path, here, label);
  }

  function compileBackendBody(
    b: { host?: string | undefined; ai?: RawRouteBackend["ai"] },
    path: YamlPath,
    layers: Layer[],
    label: string,
  ): Backend | undefined {
    if (b.host !== undefined) {
      const tlsPolicy = pick(layers, "backendTLS");
      const text = originOf(b.host, tlsPolicy !== undefined);
      const origin = text === undefined ? undefined : upstreamOrigin(text);
      if (origin === undefined) {
        issue([...path, "host"], `invalid host ${JSON.stringify(b.host)}: expected "host:port" or a URL`);
        return undefined;
      }
      const auth = compileAuth(layers);
      return {
        kind: "host",
        name: label,
        origin,
        tls: tlsPolicy ? compileTls(tlsPolicy.value, tlsPolicy.path) : undefined,
        auth: auth?.authorize,
        requestHeaders: headerOps(pick(layers, "requestHeaderModifier")?.value),
        responseHeaders: headerOps(pick(layers, "responseHeaderModifier")?.value),
      };
    }
    const ai = b.ai!;
    const apath = [...path, "ai"];
    if ("groups" in ai) {
      const groups = ai.groups.map((g, gi) =>
        g.providers
          .map((p, pi) => compileProvider(p, [...apath, "groups", gi, "providers", pi], layers))
          .filter((t): t is ProviderTarget => t !== undefined),
      );
      const names = ai.groups.flatMap((g) => g.providers.map((p) => p.name));
      return { kind: "ai", name: names.join(","), groups };
    }
    const target = compileProvider(ai, apath, layers);
    return target ? { kind: "ai", name: ai.name, groups: [[target]] } : undefined;
  }

  function compileRoute(r: RawRoute, path: YamlPath, label: string): RouteInput {
    const policies = r.policies ?? {};
    const routeLayer: Layer = { path: [...path, "policies"], policies: policies as RawBackendPolicies };
    for (const [mi, m] of (r.matches ?? []).entries()) {
      try {
        if (m.path?.regex !== undefined) fullRegex(m.path.regex);
        for (const h of [...(m.headers ?? []), ...(m.query ?? [])]) if (h.value.regex !== undefined) fullRegex(h.value.regex);
      } catch (err) {
        issue([...path, "matches", mi], (err as Error).message);
      }
    }
    const backends: WeightedBackend[] = [];
    for (const [bi, b] of (r.backends ?? []).entries()) {
      const backend = compileBackend(b, [...path, "backends", bi], [routeLayer], `${label}/backend${bi}`);
      if (backend) backends.push({ weight: b.weight ?? 1, backend });
    }
    const timeout = policies.timeout;
    const route: RouteConfig = {
      key: r.name ?? label,
      policies: {
        requestHeaders: headerOps(policies.requestHeaderModifier),
        responseHeaders: headerOps(policies.responseHeaderModifier),
        requestTimeoutMs: timeout?.requestTimeout ? parseDuration(timeout.requestTimeout) : undefined,
        backendTimeoutMs: timeout?.backendRequestTimeout ? parseDuration(timeout.backendRequestTimeout) : undefined,
      },
      backends,
      totalWeight: backends.reduce((s, b) => s + b.weight, 0),
    };
    return { route, hostnames: r.hostnames ?? [], matches: r.matches };
  }

  // --- listeners ---------------------------------------------------------------------------------
  interface PendingListener {
    name: string;
    hostname: string | undefined;
    tls: ServerTls | undefined;
    routes: RouteInput[];
  }
  const ports = new Map<number, { path: YamlPath; listeners: PendingListener[] }>();
  const listenerByRef = new Map<string, PendingListener[]>(); // "gw" and "gw/listener"

  type RawListener = { hostname?: string | null | undefined; protocol?: "HTTP" | "HTTPS" | null | undefined; tls?: { cert: string; key: string } | null | undefined };

  /** A listener's hostname and certificate, with its protocol and `tls` checked against each other. */
  function listenerBasics(l: RawListener, path: YamlPath): { hostname: string | undefined; tls: ServerTls | undefined } {
    const protocol = l.protocol ?? (l.tls ? "HTTPS" : "HTTP");
    if (protocol === "HTTPS" && !l.tls) issue(path, "an HTTPS listener needs 'tls' with cert and key");
    if (protocol === "HTTP" && l.tls) issue([...path, "tls"], "'tls' needs protocol HTTPS");
    const hostname = l.hostname?.toLowerCase() ?? undefined;
    if (!l.tls) return { hostname, tls: undefined };
    const cert = readFileAt(l.tls.cert, [...path, "tls", "cert"]);
    const key = readFileAt(l.tls.key, [...path, "tls", "key"]);
    if (cert === undefined || key === undefined) return { hostname, tls: undefined };
    return { hostname, tls: { cert, key, serverName: hostname && !hostname.startsWith("*") ? hostname : undefined } };
  }

  function addPort(port: number, path: YamlPath, listener: PendingListener): void {
    const entry = ports.get(port);
    if (!entry) {
      ports.set(port, { path, listeners: [listener] });
      return;
    }
    entry.listeners.push(listener);
  }

  for (const [bi, bind] of (raw.binds ?? []).entries()) {
    const bpath: YamlPath = ["binds", bi];
    if ((raw.binds ?? []).findIndex((b) => b.port === bind.port) !== bi) {
      issue([...bpath, "port"], `port ${bind.port} is already used by another bind`);
      continue;
    }
    for (const [li, l] of bind.listeners.entries()) {
      const lpath: YamlPath = [...bpath, "listeners", li];
      const name = l.name ?? `listener${li}`;
      const routes = (l.routes ?? []).map((r, ri) => compileRoute(r, [...lpath, "routes", ri], `bind${bind.port}/${name}/route${ri}`));
      addPort(bind.port, bpath, { name, ...listenerBasics(l, lpath), routes });
    }
  }

  // gateways may share a port (listeners by hostname), but not with a bind
  const bindPorts = new Set(ports.keys());
  for (const [gwName, gw] of Object.entries(raw.gateways ?? {})) {
    const gpath: YamlPath = ["gateways", gwName];
    if (bindPorts.has(gw.port)) {
      issue([...gpath, "port"], `port ${gw.port} is already used by a bind`);
      continue;
    }
    if (gw.listeners && gw.listeners.length > 0 && gw.tls) issue([...gpath, "tls"], "'tls' may not be set together with 'listeners'; set it per listener");
    const defs = gw.listeners && gw.listeners.length > 0 ? gw.listeners : [{ name: "default", hostname: null, protocol: gw.protocol, tls: gw.tls }];
    const all: PendingListener[] = [];
    for (const [li, l] of defs.entries()) {
      const lpath: YamlPath = gw.listeners?.length ? [...gpath, "listeners", li] : gpath;
      const name = l.name ?? `listener${li}`;
      const pending: PendingListener = { name: `${gwName}/${name}`, ...listenerBasics(l, lpath), routes: [] };
      addPort(gw.port, gpath, pending);
      listenerByRef.set(`${gwName}/${name}`, [pending]);
      all.push(pending);
    }
    listenerByRef.set(gwName, all);
  }

  const attach = (refs: string | string[] | null | undefined, path: YamlPath, input: RouteInput) => {
    const list = refs === undefined || refs === null ? ["default"] : typeof refs === "string" ? [refs] : refs;
    for (const ref of list) {
      const targets = listenerByRef.get(ref);
      if (!targets) {
        const known = [...listenerByRef.keys()].filter((k) => !k.includes("/"));
        issue(path, `unknown gateway '${ref}'${known.length ? ` (defined: ${known.join(", ")})` : " (no gateways are defined)"}`);
        continue;
      }
      for (const t of targets) t.routes.push(input);
    }
  };

  for (const [ri, r] of (raw.routes ?? []).entries()) {
    const rpath: YamlPath = ["routes", ri];
    const { gateways, ...route } = r;
    attach(gateways, [...rpath, "gateways"], compileRoute(route, rpath, `route${ri}`));
  }

  // --- llm: --------------------------------------------------------------------------------------
  if (raw.llm) {
    const llm = raw.llm;
    const backend = compileLlm(llm);
    const route: RouteConfig = {
      key: "llm:request",
      policies: { requestHeaders: undefined, responseHeaders: undefined, requestTimeoutMs: undefined, backendTimeoutMs: undefined },
      backends: backend ? [{ weight: 1, backend }] : [],
      totalWeight: 1,
    };
    const input: RouteInput = { route, hostnames: [], matches: [{ path: { pathPrefix: "/" } }] };
    if (llm.gateways !== undefined && llm.gateways !== null) {
      if (llm.port !== undefined && llm.port !== null) issue(["llm", "port"], "'port' cannot be combined with 'gateways'");
      attach(llm.gateways, ["llm", "gateways"], input);
    } else if ((llm.port === undefined || llm.port === null) && listenerByRef.has("default")) {
      attach("default", ["llm"], input);
    } else {
      const port = llm.port ?? 4000;
      if (ports.has(port)) issue(["llm", "port"], `llm port ${port} is already used by a bind or gateway`);
      else addPort(port, ["llm"], { name: "llm", hostname: undefined, tls: undefined, routes: [input] });
    }
  }

  function compileLlm(llm: RawLlm): Backend | undefined {
    const providers = new Map<string, { index: number; raw: RawLlmProvider }>();
    for (const [i, p] of (llm.providers ?? []).entries()) {
      if (providers.has(p.name)) issue(["llm", "providers", i, "name"], `duplicate provider name '${p.name}'`);
      if (typeof p.provider === "object" && "reference" in p.provider) {
        issue(["llm", "providers", i, "provider"], "a provider definition cannot itself be a reference");
      }
      providers.set(p.name, { index: i, raw: p });
    }
    const ids = new Set<string>();
    const entries: (LlmModelEntry & { order: number })[] = [];
    for (const [i, m] of llm.models.entries()) {
      const mpath: YamlPath = ["llm", "models", i];
      const id = m.id ?? undefined;
      if (id !== undefined) {
        if (ids.has(id)) issue([...mpath, "id"], `duplicate model id '${id}'`);
        ids.add(id);
      }
      const target = compileLlmModel(m, mpath, providers);
      if (!target) continue;
      entries.push({
        name: m.name,
        matches: modelMatcher(m.name),
        headerMatches: (m.matches ?? []).map((hm) => headerConditions(hm.headers ?? [])),
        visibility: m.visibility ?? "public",
        target,
        order: i,
      });
    }
    entries.sort((a, b) => specificity(b.name) - specificity(a.name) || a.order - b.order);
    return { kind: "llm", name: "llm", models: entries };
  }

  function compileLlmModel(m: RawLlmModel, path: YamlPath, providers: Map<string, { index: number; raw: RawLlmProvider }>): ProviderTarget | undefined {
    let ref = m.provider;
    let params = m.params ?? {};
    let defaults: NonNullable<RawLlmProvider["defaults"]> = {};
    if (typeof ref === "object" && "reference" in ref) {
      const p = providers.get(ref.reference);
      if (!p) {
        issue([...path, "provider", "reference"], `unknown provider '${ref.reference}' (not in llm.providers)`);
        return undefined;
      }
      const extra = Object.keys(params).filter((k) => k !== "model");
      if (extra.length > 0) issue([...path, "params"], `a model that references a provider may only set params.model (found ${extra.join(", ")})`);
      ref = p.raw.provider;
      params = { ...p.raw.params, ...(m.params?.model ? { model: m.params.model } : {}) };
      defaults = p.raw.defaults ?? {};
    }
    const pick = <K extends keyof typeof defaults>(k: K) => (m as unknown as typeof defaults)[k] ?? defaults[k];
    const ppath = [...path, "params"];

    let kind: ProviderKind;
    let spec: unknown;
    let baseUrl = params.baseUrl ?? undefined;
    const model = params.model ?? undefined;
    if (typeof ref === "string") {
      if (ref in PRESETS) {
        const preset = PRESETS[ref]!;
        kind = "custom";
        spec = { model, providerName: ref, formats: preset.formats } satisfies CustomSpec;
        baseUrl ??= preset.baseUrl;
      } else {
        kind = ref === "openai" || ref === "openAI" ? "openAI" : (ref as ProviderKind);
        spec = llmSpec(kind, params, ppath);
      }
    } else if ("custom" in ref) {
      kind = "custom";
      spec = { model: ref.custom.model ?? model, providerName: ref.custom.providerOverride ?? "custom", formats: ref.custom.formats } satisfies CustomSpec;
      if (!baseUrl && !params.hostOverride) issue([...path, "provider", "custom"], "a custom provider requires params.baseUrl");
    } else {
      issue([...path, "provider"], "unsupported provider");
      return undefined;
    }

    const adapter = PROVIDERS[kind];
    const tlsRaw = pick("backendTLS") ?? pick("tls");
    let origin: string | undefined;
    let pathPrefix = params.pathPrefix ?? undefined;
    if (baseUrl) {
      const u = new URL(baseUrl);
      if (u.username || u.password || u.search || u.hash) issue([...ppath, "baseUrl"], "baseUrl must not contain credentials, a query or a fragment");
      origin = u.origin.replace(/^(https?:\/\/[^/:]+)$/, (o) => `${o}:${u.protocol === "https:" ? 443 : 80}`);
      const p = u.pathname.replace(/\/+$/, "");
      pathPrefix = p === "" ? pathPrefix : p;
    } else if (params.hostOverride) {
      origin = originOf(params.hostOverride, tlsRaw !== undefined && tlsRaw !== null);
      if (origin === undefined) {
        issue([...ppath, "hostOverride"], `invalid host ${JSON.stringify(params.hostOverride)}`);
        return undefined;
      }
    }
    const location = providerLocation(adapter, spec as never, origin, pathPrefix);
    if (typeof location === "string") {
      issue([...ppath, baseUrl ? "baseUrl" : "hostOverride"], location);
      return undefined;
    }

    const region = kind === "bedrock" ? (spec as { region?: string }).region : undefined;
    const authRaw = pick("auth");
    let auth: CompiledAuth | undefined;
    if (authRaw) auth = compileBackendAuth(authRaw, authContext(region), [...path, "auth"]);
    else if (params.apiKey) {
      const secret = secretOf(params.apiKey, [...ppath, "apiKey"]);
      if (secret) auth = { authorize: (req) => void req.headers.set("authorization", `Bearer ${secret.reveal()}`), replacesClientAuth: true, secrets: [secret] };
    }
    const defaultAuth = !auth && !origin ? adapter.defaultAuth?.(spec as never) : undefined;
    const tlsPath = [...path, m.backendTLS ? "backendTLS" : "tls"];
    return {
      name: m.name,
      adapter,
      spec,
      model,
      telemetryName: adapter.telemetryName(spec as never),
      ...location,
      pathOverride: params.pathOverride ?? undefined,
      tls: tlsRaw ? compileTls(tlsRaw, tlsPath) : undefined,
      auth: auth?.authorize ?? defaultAuth,
      stripClientAuth: auth?.replacesClientAuth ?? defaultAuth !== undefined,
      secrets: auth?.secrets ?? [],
      ai: compileAiPolicy({ defaults: { ...defaults.defaults, ...m.defaults }, overrides: { ...defaults.overrides, ...m.overrides } }),
      requestHeaders: headerOps(pick("requestHeaders")),
      responseHeaders: headerOps(pick("responseHeaders")),
      passthrough: m.passthrough ?? undefined,
    };
  }

  function llmSpec(kind: ProviderKind, params: NonNullable<RawLlmModel["params"]>, path: YamlPath): unknown {
    const model = params.model ?? undefined;
    const need = (value: string | null | undefined, field: string, provider: string) => {
      if (!value) issue(path, `provider ${provider} requires params.${field}`);
      return value ?? "";
    };
    switch (kind) {
      case "vertex":
        return { model, region: params.vertexRegion ?? undefined, projectId: need(params.vertexProject, "vertexProject", "vertex") };
      case "bedrock":
        return { model, region: need(params.awsRegion, "awsRegion", "bedrock") };
      case "azure":
        return {
          model,
          resourceName: need(params.azureResourceName, "azureResourceName", "azure"),
          resourceType: need(params.azureResourceType, "azureResourceType", "azure"),
          apiVersion: params.azureApiVersion ?? undefined,
          projectName: params.azureProjectName ?? undefined,
        };
      default:
        return { model };
    }
  }

  // --- assemble ----------------------------------------------------------------------------------
  const binds = new Map<number, BindConfig>();
  for (const [port, entry] of ports) {
    const listeners: ListenerConfig[] = [];
    const tls: ServerTls[] = [];
    const withTls = entry.listeners.filter((l) => l.tls !== undefined).length;
    if (withTls > 0 && withTls < entry.listeners.length) {
      issue(entry.path, `port ${port} mixes HTTP and HTTPS listeners; one port serves one protocol`);
    }
    for (const l of entry.listeners) {
      if (l.tls) tls.push(l.tls);
      listeners.push({ name: l.name, hostname: l.hostname, router: compileRouter(l.routes) });
    }
    binds.set(port, { port, tls, listeners: sortListeners(listeners) });
  }

  if (issues.length > 0) return { ok: false, errors: issues };
  return { ok: true, value: { binds, readiness, logging, maxBodyBytes, idleTimeoutSec } };
}

// ---------------------------------------------------------------------------------------------
// small pure helpers

function providerSpec(p: RawNamedAIProvider["provider"]): { kind: ProviderKind; spec: unknown; model: string | undefined } {
  if (p.openAI) return { kind: "openAI", spec: p.openAI, model: p.openAI.model ?? undefined };
  if (p.anthropic) return { kind: "anthropic", spec: p.anthropic, model: p.anthropic.model ?? undefined };
  if (p.gemini) return { kind: "gemini", spec: p.gemini, model: p.gemini.model ?? undefined };
  if (p.vertex) return { kind: "vertex", spec: p.vertex, model: p.vertex.model ?? undefined };
  if (p.bedrock) return { kind: "bedrock", spec: p.bedrock, model: p.bedrock.model ?? undefined };
  if (p.azure) return { kind: "azure", spec: p.azure, model: p.azure.model ?? undefined };
  if (p.azureOpenAI) return { kind: "azure", spec: { ...p.azureOpenAI, legacyHost: p.azureOpenAI.host }, model: p.azureOpenAI.model ?? undefined };
  const c = p.custom!;
  const spec: CustomSpec = { model: c.model, providerName: c.providerOverride ?? "custom", formats: c.formats };
  return { kind: "custom", spec, model: c.model ?? undefined };
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

function parseListenAddress(addr: string): ListenAddress | null | "invalid" {
  if (addr === "off") return null;
  const m = /^(?:\[([0-9a-fA-F:.]*)\]|([^:\s]*)):(\d{1,5})$/.exec(addr);
  if (!m) return "invalid";
  const hostname = m[1] ?? (m[2] === "" ? "0.0.0.0" : m[2]!);
  return { hostname, port: Number(m[3]) };
}

function headerOps(raw: RawHeaderModifier | null | undefined): HeaderOps | undefined {
  if (!raw) return undefined;
  return {
    add: Object.entries(raw.add ?? {}),
    set: Object.entries(raw.set ?? {}),
    remove: (raw.remove ?? []).map((h) => h.toLowerCase()),
  };
}

function compileAiPolicy(raw: RawAiPolicy): AiPolicyConfig {
  const nonEmpty = (o: Record<string, unknown> | null | undefined) => (o && Object.keys(o).length > 0 ? o : undefined);
  const aliases = raw.modelAliases ? Object.entries(raw.modelAliases) : undefined;
  return {
    routes: raw.routes ? sortTable(Object.entries(raw.routes) as [string, RouteType][]) : undefined,
    routesFallback: raw.routes?.["*"] ?? "completions",
    defaults: nonEmpty(raw.defaults),
    overrides: nonEmpty(raw.overrides),
    modelAliases: aliases
      ? [...aliases.filter(([k]) => !k.includes("*")), ...aliases.filter(([k]) => k.includes("*")).sort((a, b) => b[0].length - a[0].length)]
      : undefined,
  };
}

function modelMatcher(pattern: string): (model: string) => boolean {
  if (pattern === "*") return () => true;
  if (pattern.startsWith("*")) {
    const suffix = pattern.slice(1);
    return (m) => m.endsWith(suffix);
  }
  if (pattern.endsWith("*")) {
    const prefix = pattern.slice(0, -1);
    return (m) => m.startsWith(prefix);
  }
  return (m) => m === pattern;
}

function specificity(pattern: string): number {
  return pattern.replace("*", "").length + (pattern.includes("*") ? 0 : 1_000_000);
}

function headerConditions(matches: { name: string; value: { exact?: string | undefined; regex?: string | undefined } }[]) {
  const tests = matches.map((h) => {
    const name = h.name.toLowerCase();
    const v = h.value;
    const test = v.exact !== undefined ? (x: string) => x === v.exact : ((re: RegExp) => (x: string) => re.test(x))(fullRegex(v.regex!));
    return { name, test };
  });
  return (headers: Headers) => tests.every(({ name, test }) => {
    const value = headers.get(name);
    return value !== null && test(value);
  });
}

/** Listeners with an exact hostname first, then wildcards (longest first), then catch-alls. */
function sortListeners(listeners: ListenerConfig[]): ListenerConfig[] {
  const rank = (l: ListenerConfig) => (l.hostname === undefined ? 0 : l.hostname.startsWith("*") ? 1 : 2);
  return [...listeners].sort((a, b) => rank(b) - rank(a) || (b.hostname?.length ?? 0) - (a.hostname?.length ?? 0));
}
