/**
 * How a provider folder joins the registry: its config key and schema, how the `llm:` form's
 * params map onto that config, and its adapter. Compiling a config binds the adapter to the
 * provider's settings once, so the core calls a `Provider` that takes nothing provider-specific.
 */
import type { z } from "zod";
import type { RawLlmParams } from "../../config/schema/llm-params.ts";
import type { Authorizer, ChatRequest, Provider, ProviderAdapter } from "../types.ts";

export interface ProviderDefinition<Raw, S = Raw> {
  /** the key under an `ai` backend's `provider:` (`openAI`, `bedrock`, ...) */
  readonly key: string;
  readonly schema: z.ZodType<Raw>;
  /** names the `llm:` form accepts for it (`openai`, `openAI`); none: reachable only by key */
  readonly llmNames?: readonly string[];
  /**
   * The `llm:` form's params as this provider's config; `need(field)` reports a missing required
   * param (and returns "" so mapping can go on and report everything at once).
   */
  fromLlmParams?(params: RawLlmParams, need: (field: keyof RawLlmParams) => string): Raw;
  /** the adapter's settings for a config (most providers: the config as it is) */
  spec(raw: Raw): S;
  readonly adapter: ProviderAdapter<S>;
  /** the model the config pins */
  model(spec: S): string | undefined;
  /** the AWS region SigV4 signs for (Bedrock) */
  region?(spec: S): string | undefined;
}

/** A provider's settings resolved: what compiling needs before binding (where it lives). */
export interface ResolvedProvider {
  readonly model: string | undefined;
  readonly region: string | undefined;
  readonly pathPrefix: "replacesBase" | "prepended";
  readonly defaultBase: { origin: string; basePath: string };
  /** the provider's default credentials (cloud ADC, SigV4 chain), for its own host without backendAuth */
  defaultAuth(): Authorizer | undefined;
  /** the provider bound to these settings and the base path in effect */
  bind(basePath: string): Provider;
}

export interface RegisteredProvider {
  readonly key: string;
  readonly schema: z.ZodType;
  readonly llmNames: readonly string[];
  /** the value under `provider: {<key>: ...}`, validated by `schema` at load */
  fromConfig(raw: unknown): ResolvedProvider;
  fromLlmParams?(params: RawLlmParams, need: (field: keyof RawLlmParams) => string): ResolvedProvider;
}

export function defineProvider<Raw, S = Raw>(d: ProviderDefinition<Raw, S>): RegisteredProvider {
  const resolve = (raw: Raw): ResolvedProvider => {
    const spec = d.spec(raw);
    return {
      model: d.model(spec),
      region: d.region?.(spec),
      pathPrefix: d.adapter.pathPrefix,
      defaultBase: d.adapter.defaultBase(spec),
      defaultAuth: () => d.adapter.defaultAuth?.(spec),
      bind: (basePath) => bindAdapter(d.adapter, spec, basePath),
    };
  };
  const fromLlm = d.fromLlmParams;
  return {
    key: d.key,
    schema: d.schema,
    llmNames: d.llmNames ?? [],
    // parsed again by the provider's own schema (config load only): typed without a cast
    fromConfig: (raw) => resolve(d.schema.parse(raw)),
    ...(fromLlm ? { fromLlmParams: (params: RawLlmParams, need: (field: keyof RawLlmParams) => string) => resolve(fromLlm(params, need)) } : {}),
  };
}

/** The adapter's methods with the settings and the base path filled in. */
function bindAdapter<S>(a: ProviderAdapter<S>, spec: S, basePath: string): Provider {
  const { chat, embeddings, models, countTokens, error, finalizeHeaders } = a;
  const dialect = a.openaiDialect?.(spec);
  return {
    telemetryName: a.telemetryName(spec),
    nativePath: (route, model) => a.nativePath(route, spec, model, basePath),
    ...(chat
      ? {
          chat: {
            path: (model: string, stream: boolean) => chat.path(spec, model, stream, basePath),
            request: (req: ChatRequest, model: string) => chat.request(req, spec, model),
            response: chat.response,
            stream: chat.stream,
          },
        }
      : {}),
    ...(embeddings
      ? {
          embeddings: {
            path: (model: string) => embeddings.path(spec, model, basePath),
            request: (req: Record<string, unknown>, model: string) => embeddings.request(req, spec, model),
            response: embeddings.response,
          },
        }
      : {}),
    ...(models ? { models: { path: models.path(spec, basePath), response: models.response } } : {}),
    ...(countTokens
      ? {
          countTokens: {
            path: (model: string) => countTokens.path(spec, model, basePath),
            request: (req: ChatRequest, model: string) => countTokens.request(req, spec, model),
            response: countTokens.response,
          },
        }
      : {}),
    ...(error ? { error } : {}),
    ...(finalizeHeaders ? { finalizeHeaders: (headers: Headers) => finalizeHeaders(headers, spec) } : {}),
    ...(dialect ? { openaiDialect: dialect } : {}),
  };
}
