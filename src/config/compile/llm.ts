/**
 * The `llm:` short form: `models` (matched on the client's model, most specific first),
 * `providers` (reusable definitions a model references), and each model's params and defaults,
 * mapped onto the same policies and provider targets as the binds / routes style.
 */
import { modelPattern, patternSpecificity } from "../../llm/model-pattern.ts";
import { PRESETS } from "../../llm/providers/custom/index.ts";
import { customProvider } from "../../llm/providers/custom/spec.ts";
import type { ResolvedProvider } from "../../llm/providers/define.ts";
import { LLM_PROVIDER_NAMES } from "../../llm/providers/index.ts";
import { fullRegex } from "../../routing/router.ts";
import type { YamlPath } from "../errors.ts";
import type { LlmBackend, LlmModelEntry, ProviderTarget } from "../model.ts";
import type { RawLlm, RawLlmModel, RawLlmProvider } from "../schema.ts";
import { originOf } from "./backends.ts";
import type { CompileContext } from "./context.ts";
import { authPolicy } from "../../policies/backend-auth.ts";
import type { Policy } from "../../policies/types.ts";
import type { Layer } from "./policies.ts";
import { providerTarget } from "./provider-target.ts";
import { compileVirtualModels } from "./virtual-models.ts";

type Providers = Map<string, { index: number; raw: RawLlmProvider }>;
const SHARED_PATH: YamlPath = ["llm", "policies"];
type Params = NonNullable<RawLlmModel["params"]>;
type Defaults = NonNullable<RawLlmProvider["defaults"]>;

export function compileLlm(ctx: CompileContext, llm: RawLlm): LlmBackend {
  const providers: Providers = new Map();
  for (const [i, p] of (llm.providers ?? []).entries()) {
    if (providers.has(p.name)) ctx.issue(["llm", "providers", i, "name"], `duplicate provider name '${p.name}'`);
    if (typeof p.provider === "object" && "reference" in p.provider) {
      ctx.issue(["llm", "providers", i, "provider"], "a provider definition cannot itself be a reference");
    }
    providers.set(p.name, { index: i, raw: p });
  }
  const ids = new Set<string>();
  const entries: (LlmModelEntry & { order: number })[] = [];
  for (const [i, m] of llm.models.entries()) {
    const mpath: YamlPath = ["llm", "models", i];
    const id = m.id ?? undefined;
    if (id !== undefined) {
      if (ids.has(id)) ctx.issue([...mpath, "id"], `duplicate model id '${id}'`);
      ids.add(id);
    }
    const target = llmModel(ctx, m, mpath, providers, llm.policies?.guardrails ?? undefined);
    if (!target) continue;
    entries.push({
      name: m.name,
      matches: modelPattern(m.name),
      headerMatches: (m.matches ?? []).map((hm) => headerConditions(hm.headers ?? [])),
      visibility: m.visibility ?? "public",
      target,
      order: i,
    });
  }
  entries.sort((a, b) => patternSpecificity(b.name) - patternSpecificity(a.name) || a.order - b.order);
  return { kind: "llm", name: "llm", models: entries, virtualModels: compileVirtualModels(ctx, llm.virtualModels ?? [], entries) };
}

/** `shared`: `llm.policies.guardrails`, run before each model's own (agentgateway's layered guards). */
function llmModel(ctx: CompileContext, m: RawLlmModel, path: YamlPath, providers: Providers, shared: RawLlmModel["guardrails"]): ProviderTarget | undefined {
  let ref = m.provider;
  let params: Params = m.params ?? {};
  let defaults: Defaults = {};
  let defaultsPath: YamlPath = path;
  if (typeof ref === "object" && "reference" in ref) {
    const p = providers.get(ref.reference);
    if (!p) {
      ctx.issue([...path, "provider", "reference"], `unknown provider '${ref.reference}' (not in llm.providers)`);
      return undefined;
    }
    const extra = Object.keys(params).filter((k) => k !== "model");
    if (extra.length > 0) ctx.issue([...path, "params"], `a model that references a provider may only set params.model (found ${extra.join(", ")})`);
    ref = p.raw.provider;
    params = { ...p.raw.params, ...(m.params?.model ? { model: m.params.model } : {}) };
    defaults = p.raw.defaults ?? {};
    defaultsPath = ["llm", "providers", p.index, "defaults"];
  }
  const ppath = [...path, "params"];
  const resolved = resolveProvider(ctx, ref, params, path);
  if (!resolved) return undefined;
  const { provider, baseUrl } = resolved;

  const tls = m.backendTLS ?? m.tls ?? defaults.backendTLS ?? defaults.tls;
  let override: string | undefined;
  let pathPrefix = params.pathPrefix ?? undefined;
  if (baseUrl) {
    const u = new URL(baseUrl);
    if (u.username || u.password || u.search || u.hash) ctx.issue([...ppath, "baseUrl"], "baseUrl must not contain credentials, a query or a fragment");
    override = `${u.protocol}//${u.hostname}:${u.port || (u.protocol === "https:" ? 443 : 80)}`;
    const p = u.pathname.replace(/\/+$/, "");
    if (p !== "") pathPrefix = p;
  } else if (params.hostOverride) {
    override = originOf(params.hostOverride, tls !== undefined && tls !== null);
    if (override === undefined) {
      ctx.issue([...ppath, "hostOverride"], `invalid host ${JSON.stringify(params.hostOverride)}`);
      return undefined;
    }
  }
  return providerTarget(ctx, {
    name: m.name,
    provider,
    override,
    pathPrefix,
    pathOverride: params.pathOverride ?? undefined,
    layers: [
      ...(shared ? [policyLayer({ guardrails: shared }, SHARED_PATH)] : []),
      policyLayer(defaults, defaultsPath),
      policyLayer(m, path),
      { path, policies: { authorization: m.authorization } },
    ],
    auth: m.auth || defaults.auth ? undefined : apiKeyAuth(ctx, params.apiKey, [...ppath, "apiKey"]),
    passthrough: m.passthrough ?? undefined,
    hostPath: [...ppath, baseUrl ? "baseUrl" : "hostOverride"],
    region: params.awsRegion ?? undefined,
  });
}

/** An llm: model's (or provider defaults') fields as the backend policies they stand for. */
function policyLayer(d: Defaults & Partial<Pick<RawLlmModel, "guardrails" | "finalTransformation">>, path: YamlPath): Layer {
  const ai =
    d.defaults || d.overrides || d.transformation || d.finalTransformation || d.promptCaching || d.guardrails
      ? {
          defaults: d.defaults ?? undefined,
          overrides: d.overrides ?? undefined,
          transformations: d.transformation ?? undefined,
          finalTransformations: d.finalTransformation ?? undefined,
          promptCaching: d.promptCaching ?? undefined,
          promptGuard: d.guardrails ?? undefined,
        }
      : undefined;
  return {
    path,
    userPath: llmFieldPath(path, d.tls && !d.backendTLS ? "tls" : "backendTLS"),
    policies: {
      requestHeaderModifier: d.requestHeaders,
      responseHeaderModifier: d.responseHeaders,
      backendTLS: d.backendTLS ?? d.tls,
      backendAuth: d.auth,
      health: d.health,
      ...(ai ? { ai } : {}),
    },
  };
}

/** The `llm:` field a policy's sub-path stands for (`ai.promptGuard.request[0]` -> `guardrails.request[0]`). */
const AI_FIELDS: Record<string, string> = { transformations: "transformation", finalTransformations: "finalTransformation", promptGuard: "guardrails" };
function llmFieldPath(prefix: YamlPath, tls: string): (p: YamlPath) => YamlPath {
  const fields: Record<string, string> = { requestHeaderModifier: "requestHeaders", responseHeaderModifier: "responseHeaders", backendTLS: tls, backendAuth: "auth" };
  return (p) => {
    if (prefix.some((seg, i) => p[i] !== seg)) return p;
    const [key, sub, ...rest] = p.slice(prefix.length);
    if (key === "ai" && sub !== undefined) return [...prefix, AI_FIELDS[String(sub)] ?? sub, ...rest];
    if (key === undefined) return p;
    return [...prefix, fields[String(key)] ?? key, ...(sub === undefined ? [] : [sub]), ...rest];
  };
}

/** `params.apiKey`: the provider key as `Authorization: Bearer`, when no `auth` is configured. */
function apiKeyAuth(ctx: CompileContext, apiKey: Params["apiKey"], path: YamlPath): Policy | undefined {
  if (!apiKey) return undefined;
  const secret = ctx.secret(apiKey, path);
  return secret ? authPolicy((req) => void req.headers.set("authorization", `Bearer ${secret.reveal()}`), true, [secret]) : undefined;
}

function resolveProvider(ctx: CompileContext, ref: RawLlmModel["provider"], params: Params, path: YamlPath): { provider: ResolvedProvider; baseUrl: string | undefined } | undefined {
  const baseUrl = params.baseUrl ?? undefined;
  if (typeof ref === "string") {
    const preset = PRESETS[ref];
    if (preset) return { provider: customProvider.fromConfig({ model: params.model, providerOverride: ref, formats: preset.formats }), baseUrl: baseUrl ?? preset.baseUrl };
    const def = LLM_PROVIDER_NAMES.get(ref);
    const ppath = [...path, "params"];
    const need = (field: string) => {
      ctx.issue(ppath, `provider ${ref} requires params.${field}`);
      return "";
    };
    if (def?.fromLlmParams) return { provider: def.fromLlmParams(params, need), baseUrl };
  } else if ("custom" in ref) {
    if (!baseUrl && !params.hostOverride) ctx.issue([...path, "provider", "custom"], "a custom provider requires params.baseUrl");
    return { provider: customProvider.fromConfig({ ...ref.custom, model: ref.custom.model ?? params.model }), baseUrl };
  }
  ctx.issue([...path, "provider"], "unsupported provider");
  return undefined;
}

function headerConditions(matches: { name: string; value: { exact?: string | undefined; regex?: string | undefined } }[]) {
  const tests = matches.map((h) => {
    const name = h.name.toLowerCase();
    const v = h.value;
    const test = v.exact !== undefined ? (x: string) => x === v.exact : ((re: RegExp) => (x: string) => re.test(x))(fullRegex(v.regex!));
    return { name, test };
  });
  return (headers: Headers) =>
    tests.every(({ name, test }) => {
      const value = headers.get(name);
      return value !== null && test(value);
    });
}
