/**
 * The config schema: the one source of truth. It validates a loaded file, types the runtime model
 * (`z.output`) and generates `schema/config.json` for editors (`bun run schema`).
 *
 * Field names and shapes follow agentgateway's own schema (see CONFIG.md). Every object is strict:
 * an unknown field fails like a typo would. agentgateway fields this gateway does not implement yet
 * are declared with `notYet()`, so using one fails the load with a message naming it instead of
 * being silently ignored.
 */
import { z } from "zod";

// ---------------------------------------------------------------------------------------------
// helpers

/** An agentgateway field we do not implement yet: present in the schema so the error names it. */
function notYet(name: string) {
  return z
    .never({ error: `'${name}' is not supported yet by this gateway` })
    .nullish()
    .meta({ description: `Not supported yet by this gateway (agentgateway field '${name}').` });
}

function notYetFields<const K extends string>(names: readonly K[]) {
  return Object.fromEntries(names.map((n) => [n, notYet(n)])) as Record<K, ReturnType<typeof notYet>>;
}

/** Objects whose variants are told apart by which single key is present (agentgateway's serde enums). */
function exactlyOne<T extends Record<string, unknown>>(keys: readonly (keyof T & string)[], what: string) {
  return (value: T, ctx: z.core.$RefinementCtx<T>) => {
    const present = keys.filter((k) => value[k] !== undefined && value[k] !== null);
    if (present.length === 1) return;
    ctx.addIssue({
      code: "custom",
      message:
        present.length === 0
          ? `${what}: expected exactly one of ${keys.join(", ")}`
          : `${what}: expected exactly one of ${keys.join(", ")}, found ${present.join(" and ")}`,
    });
  };
}

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;
export const Duration = z
  .string()
  .regex(DURATION, { error: "expected a duration such as 30s, 1m30s, 500ms or 1h" })
  .meta({ description: "A duration: 500ms, 30s, 1m30s, 1h" });

const Port = z.int({ error: "expected a port number (0-65535)" }).min(0).max(65535).meta({ id: "Port" });

/** A secret inline or from a file (`{file: path}`); resolved and wrapped in `Secret` when compiled. */
export const FileOrInline = z.union([z.string(), z.strictObject({ file: z.string() })], {
  error: "expected a string or {file: path}",
});

/** A path the config gives for upstream requests (`pathPrefix`, `pathOverride`). */
const UpstreamPath = z
  .string()
  .regex(/^\/(?!\/)[^\\?#\s]*$/, { error: "expected an absolute path such as /v1 (no '//' at the start, '\\', '?', '#' or spaces)" })
  .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), { error: "a path may not contain '.' or '..' segments" })
  .meta({ id: "UpstreamPath" });

const StringOrList = z.union([z.string(), z.array(z.string())]).meta({ id: "StringOrList" });

// ---------------------------------------------------------------------------------------------
// matching

const PathMatch = z
  .strictObject({
    exact: z.string().startsWith("/", { error: "a path must start with /" }).optional(),
    pathPrefix: z.string().startsWith("/", { error: "a path prefix must start with /" }).optional(),
    regex: z.string().optional(),
  })
  .superRefine(exactlyOne(["exact", "pathPrefix", "regex"], "path")).meta({ id: "PathMatch" });

const ValueMatch = z
  .strictObject({ exact: z.string().optional(), regex: z.string().optional() })
  .superRefine(exactlyOne(["exact", "regex"], "value")).meta({ id: "ValueMatch" });

const HeaderMatch = z.strictObject({ name: z.string().min(1), value: ValueMatch }).meta({ id: "HeaderMatch" });

export const RouteMatch = z.strictObject({
  path: PathMatch.optional(),
  method: z.string().min(1).optional(),
  headers: z.array(HeaderMatch).optional(),
  query: z.array(HeaderMatch).optional(),
}).meta({ id: "RouteMatch" });

// ---------------------------------------------------------------------------------------------
// policies

const HeaderModifier = z.strictObject({
  add: z.record(z.string(), z.string()).nullish(),
  set: z.record(z.string(), z.string()).nullish(),
  remove: z.array(z.string()).nullish(),
}).meta({ id: "HeaderModifier" });

const AuthorizationLocation = z
  .strictObject({
    header: z.strictObject({ name: z.string().min(1), prefix: z.string().nullish() }).optional(),
    queryParameter: z.strictObject({ name: z.string().min(1) }).optional(),
    cookie: notYet("cookie"),
    expression: notYet("expression"),
  })
  .superRefine(exactlyOne(["header", "queryParameter"], "location")).meta({ id: "AuthorizationLocation" });

const GcpAuth = z.strictObject({
  type: z.enum(["accessToken", "idToken"]).nullish(),
  audience: z.string().nullish(),
  credential: FileOrInline.nullish(),
}).meta({ id: "GcpAuth" });

const AwsAuth = z.strictObject({
  accessKeyId: z.string().optional(),
  secretAccessKey: z.string().optional(),
  sessionToken: z.string().nullish(),
  region: z.string().nullish(),
  serviceName: z.string().nullish(),
  assumeRole: notYet("assumeRole"),
}).meta({ id: "AwsAuth" });

const AzureAuth = z
  .strictObject({
    explicitConfig: z
      .strictObject({
        clientSecret: z
          .strictObject({ tenant_id: z.string(), client_id: z.string(), client_secret: z.string() })
          .optional(),
        managedIdentity: z
          .strictObject({
            userAssignedIdentity: z
              .strictObject({
                clientId: z.string().optional(),
                objectId: z.string().optional(),
                resourceId: z.string().optional(),
              })
              .nullish(),
          })
          .optional(),
        workloadIdentity: notYet("workloadIdentity"),
      })
      .superRefine(exactlyOne(["clientSecret", "managedIdentity"], "explicitConfig"))
      .optional(),
    developerImplicit: notYet("developerImplicit"),
    implicit: z.strictObject({}).optional(),
  })
  .superRefine(exactlyOne(["explicitConfig", "implicit"], "azure")).meta({ id: "AzureAuth" });

export const BackendAuth = z
  .strictObject({
    key: z
      .union([
        z.string(),
        z.strictObject({ file: z.string() }),
        z.strictObject({ value: FileOrInline, location: AuthorizationLocation.nullish() }),
      ])
      .optional(),
    passthrough: z.strictObject({ location: AuthorizationLocation.nullish() }).optional(),
    gcp: GcpAuth.optional(),
    aws: AwsAuth.optional(),
    azure: AzureAuth.optional(),
    ...notYetFields(["credentials", "jwtSign", "oauthTokenExchange", "crossAppAccess"]),
  })
  .superRefine(exactlyOne(["key", "passthrough", "gcp", "aws", "azure"], "backendAuth")).meta({ id: "BackendAuth" });

export const BackendTLS = z.strictObject({
  cert: z.string().nullish(),
  key: z.string().nullish(),
  root: z.string().nullish(),
  hostname: z.string().nullish(),
  insecure: z.boolean().optional(),
  insecureHost: z.boolean().optional(),
  ...notYetFields(["alpn", "subjectAltNames", "keyExchangeGroups", "spiffe"]),
}).meta({ id: "BackendTLS" });

export const RouteTypeName = z.enum([
  "completions",
  "messages",
  "models",
  "passthrough",
  "detect",
  "responses",
  "embeddings",
  "realtime",
  "anthropicTokenCount",
  "generateContent",
  "geminiCountTokens",
  "rerank",
]).meta({ id: "RouteType" });

const JsonRecord = z.record(z.string(), z.unknown()).meta({ id: "JsonObject" });

export const AiPolicy = z.strictObject({
  routes: z.record(z.string(), RouteTypeName).nullish(),
  defaults: JsonRecord.nullish(),
  overrides: JsonRecord.nullish(),
  modelAliases: z.record(z.string(), z.string()).nullish(),
  ...notYetFields(["promptGuard", "transformations", "finalTransformations", "prompts", "promptCaching"]),
}).meta({ id: "AiPolicy" });

const Timeout = z.strictObject({
  requestTimeout: Duration.nullish(),
  backendRequestTimeout: Duration.nullish(),
}).meta({ id: "TimeoutPolicy" });

/** Policies that sit on a backend (`LocalBackendPolicies`). */
export const BackendPolicies = z.strictObject({
  requestHeaderModifier: HeaderModifier.nullish(),
  responseHeaderModifier: HeaderModifier.nullish(),
  backendTLS: BackendTLS.nullish(),
  backendAuth: BackendAuth.nullish(),
  ai: AiPolicy.nullish(),
  ...notYetFields([
    "transformations",
    "http",
    "tcp",
    "backendTunnel",
    "requestRedirect",
    "health",
    "extAuthz",
    "authorization",
    "mcpAuthorization",
    "mcpGuardrails",
    "a2a",
    "inferenceRouting",
    "sessionAffinity",
  ]),
}).meta({ id: "BackendPolicies" });

/** Policies that sit on a route (`FilterOrPolicy`). */
export const RoutePolicies = z.strictObject({
  requestHeaderModifier: HeaderModifier.nullish(),
  responseHeaderModifier: HeaderModifier.nullish(),
  backendTLS: BackendTLS.nullish(),
  backendAuth: BackendAuth.nullish(),
  ai: AiPolicy.nullish(),
  timeout: Timeout.nullish(),
  ...notYetFields([
    "requestRedirect",
    "urlRewrite",
    "requestMirror",
    "directResponse",
    "cors",
    "mcpAuthorization",
    "mcpGuardrails",
    "authorization",
    "mcpAuthentication",
    "a2a",
    "backendTunnel",
    "localRateLimit",
    "remoteRateLimit",
    "jwtAuth",
    "oidc",
    "basicAuth",
    "apiKey",
    "extAuthz",
    "extProc",
    "transformations",
    "csrf",
    "buffer",
    "retry",
    "delay",
  ]),
}).meta({ id: "RoutePolicies" });

const GatewayPolicyFields = notYetFields([
  "oidc",
  "jwtAuth",
  "authorization",
  "extAuthz",
  "extProc",
  "cors",
  "transformations",
  "basicAuth",
  "apiKey",
]);

// ---------------------------------------------------------------------------------------------
// providers

const Model = z.string().min(1).nullish();

export const AzureResourceType = z.enum(["openAI", "foundry", "aiServices"]).meta({ id: "AzureResourceType" });

export const ProviderFormatType = z.enum([
  "completions",
  "messages",
  "responses",
  "embeddings",
  "anthropicTokenCount",
  "generateContent",
  "geminiCountTokens",
  "realtime",
  "rerank",
]).meta({ id: "ProviderFormat" });

export const AIProvider = z
  .strictObject({
    openAI: z.strictObject({ model: Model, moderation: notYet("moderation") }).optional(),
    anthropic: z.strictObject({ model: Model }).optional(),
    gemini: z.strictObject({ model: Model }).optional(),
    vertex: z
      .strictObject({ model: Model, region: z.string().nullish(), projectId: z.string().min(1) })
      .optional(),
    bedrock: z
      .strictObject({
        model: Model,
        region: z.string().min(1),
        guardrailIdentifier: z.string().nullish(),
        guardrailVersion: z.string().nullish(),
      })
      .optional(),
    azure: z
      .strictObject({
        model: Model,
        resourceName: z.string().min(1),
        resourceType: AzureResourceType,
        apiVersion: z.string().nullish(),
        projectName: z.string().nullish(),
      })
      .optional(),
    /** Legacy (agentgateway <= 1.1) Azure form. */
    azureOpenAI: z
      .strictObject({ model: Model, host: z.string().min(1), apiVersion: z.string().nullish() })
      .optional(),
    custom: z
      .strictObject({
        model: Model,
        providerOverride: z.string().nullish(),
        formats: z
          .array(z.strictObject({ type: ProviderFormatType, path: z.string().nullish() }))
          .min(1, { error: "a custom provider needs at least one format" }),
      })
      .optional(),
    copilot: notYet("copilot"),
  })
  .superRefine(
    exactlyOne(["openAI", "anthropic", "gemini", "vertex", "bedrock", "azure", "azureOpenAI", "custom"], "provider"),
  ).meta({ id: "AIProvider" });

export const NamedAIProvider = z.strictObject({
  name: z.string().min(1),
  provider: AIProvider,
  hostOverride: z.string().nullish(),
  pathOverride: UpstreamPath.nullish(),
  pathPrefix: UpstreamPath.nullish(),
  tokenize: z.literal(false, { error: "'tokenize' is not supported yet by this gateway" }).optional(),
  policies: BackendPolicies.nullish(),
}).meta({ id: "NamedAIProvider" });

export const AIBackend = z.union([
  NamedAIProvider,
  z.strictObject({
    groups: z.array(z.strictObject({ providers: z.array(NamedAIProvider).min(1) })).min(1),
  }),
]).meta({ id: "AIBackend" });

// ---------------------------------------------------------------------------------------------
// routes and backends

export const RouteBackend = z
  .strictObject({
    weight: z.int().min(0).optional(),
    policies: BackendPolicies.nullish(),
    host: z.string().min(1).optional(),
    backend: z.string().min(1).optional(),
    ai: AIBackend.optional(),
    ...notYetFields(["service", "internal", "dynamic", "mcp", "aws", "routeGroup", "invalid"]),
  })
  .superRefine(exactlyOne(["host", "backend", "ai"], "backend")).meta({ id: "RouteBackend" });

const routeFields = {
  name: z.string().nullish(),
  namespace: z.string().nullish(),
  ruleName: z.string().nullish(),
  hostnames: z.array(z.string()).optional(),
  matches: z.array(RouteMatch).optional(),
  policies: RoutePolicies.nullish(),
  backends: z.array(RouteBackend).optional(),
};

export const Route = z.strictObject(routeFields).meta({ id: "Route" });

export const TopLevelBackend = z
  .strictObject({
    name: z.string().min(1),
    policies: BackendPolicies.nullish(),
    host: z.string().min(1).optional(),
    ai: AIBackend.optional(),
    ...notYetFields(["mcp", "aws", "internal"]),
  })
  .superRefine(exactlyOne(["host", "ai"], "backend"));

// ---------------------------------------------------------------------------------------------
// listeners, binds, gateways

const ServerTLS = z.strictObject({
  cert: z.string().min(1),
  key: z.string().min(1),
  ...notYetFields(["root", "mode", "minTLSVersion", "maxTLSVersion", "cipherSuites", "keyExchangeGroups"]),
}).meta({ id: "ServerTLS" });

const ListenerProtocol = z.enum(["HTTP", "HTTPS"], {
  error: "expected HTTP or HTTPS (TCP, TLS and HBONE listeners are not supported yet)",
}).meta({ id: "ListenerProtocol" });

export const Listener = z.strictObject({
  name: z.string().nullish(),
  namespace: z.string().nullish(),
  hostname: z.string().nullish(),
  protocol: ListenerProtocol.optional(),
  tls: ServerTLS.nullish(),
  routes: z.array(Route).nullish(),
  tcpRoutes: notYet("tcpRoutes"),
  policies: notYet("policies"),
}).meta({ id: "Listener" });

export const Bind = z.strictObject({
  port: Port,
  listeners: z.array(Listener),
  tunnelProtocol: z.literal("direct", { error: "only tunnelProtocol 'direct' is supported" }).optional(),
  mode: z.literal("standard", { error: "only mode 'standard' is supported" }).optional(),
}).meta({ id: "Bind" });

const GatewayListener = z.strictObject({
  name: z.string().nullish(),
  hostname: z.string().nullish(),
  protocol: ListenerProtocol.optional(),
  tls: ServerTLS.nullish(),
  ...GatewayPolicyFields,
});

export const Gateway = z.strictObject({
  port: Port,
  protocol: ListenerProtocol.nullish(),
  tls: ServerTLS.nullish(),
  listeners: z.array(GatewayListener).optional(),
  ...GatewayPolicyFields,
}).meta({ id: "Gateway" });

export const AttachedRoute = z.strictObject({ gateways: StringOrList.optional(), ...routeFields });

// ---------------------------------------------------------------------------------------------
// llm: the short form

export const ProviderPreset = z.enum([
  "cohere",
  "ollama",
  "baseten",
  "cerebras",
  "deepinfra",
  "deepseek",
  "groq",
  "huggingface",
  "mistral",
  "openrouter",
  "togetherai",
  "xai",
  "fireworks",
]).meta({ id: "ProviderPreset" });

export const BuiltinProvider = z.enum(["openai", "openAI", "gemini", "vertex", "anthropic", "bedrock", "azure"]).meta({ id: "BuiltinProvider" });

const LlmParams = z.strictObject({
  model: Model,
  apiKey: FileOrInline.nullish(),
  awsRegion: z.string().nullish(),
  vertexRegion: z.string().nullish(),
  vertexProject: z.string().nullish(),
  azureResourceName: z.string().nullish(),
  azureResourceType: AzureResourceType.nullish(),
  azureApiVersion: z.string().nullish(),
  azureProjectName: z.string().nullish(),
  baseUrl: z.url({ error: "expected an absolute URL such as https://api.example.com/v1" }).nullish(),
  hostOverride: z.string().nullish(),
  pathOverride: UpstreamPath.nullish(),
  pathPrefix: UpstreamPath.nullish(),
  tokenize: z.literal(false, { error: "'tokenize' is not supported yet by this gateway" }).optional(),
}).meta({ id: "LlmParams" });

const LlmCustomProvider = z.strictObject({
  custom: z.strictObject({
    model: Model,
    providerOverride: z.string().nullish(),
    formats: z.array(z.strictObject({ type: ProviderFormatType, path: z.string().nullish() })).min(1),
  }),
});

export const LlmProviderRef = z.union(
  [
    BuiltinProvider,
    ProviderPreset,
    z.strictObject({ reference: z.string().min(1) }),
    LlmCustomProvider,
    z.strictObject({ copilot: notYet("copilot") }),
  ],
  {
    error:
      "expected a provider: openai, anthropic, gemini, vertex, bedrock, azure, a preset " +
      "(groq, ollama, openrouter, mistral, deepseek, togetherai, fireworks, xai, cerebras, deepinfra, " +
      "huggingface, baseten, cohere), {reference: name} or {custom: {formats: [...]}}",
  },
).meta({ id: "LlmProvider" });

const LlmModelDefaults = {
  defaults: JsonRecord.nullish(),
  overrides: JsonRecord.nullish(),
  requestHeaders: HeaderModifier.nullish(),
  responseHeaders: HeaderModifier.nullish(),
  backendTLS: BackendTLS.nullish(),
  tls: BackendTLS.nullish(),
  auth: BackendAuth.nullish(),
};

export const LlmModel = z.strictObject({
  name: z
    .string()
    .min(1)
    .refine((n) => n.split("*").length <= 2 && (!n.includes("*") || n.startsWith("*") || n.endsWith("*")), {
      error: "a model name may contain one '*', only at its start or end",
    }),
  id: z.string().min(1).nullish(),
  visibility: z.enum(["public", "internal"]).optional(),
  provider: LlmProviderRef,
  params: LlmParams.nullish(),
  passthrough: z.enum(["detect", "opaque"]).nullish(),
  matches: z.array(z.strictObject({ headers: z.array(HeaderMatch).optional() })).nullish(),
  ...LlmModelDefaults,
  ...notYetFields([
    "authorization",
    "transformation",
    "finalTransformation",
    "health",
    "backendTunnel",
    "guardrails",
    "promptCaching",
  ]),
}).meta({ id: "LlmModel" });

export const LlmProvider = z.strictObject({
  name: z.string().min(1),
  provider: LlmProviderRef,
  params: LlmParams.nullish(),
  defaults: z
    .strictObject({
      ...LlmModelDefaults,
      ...notYetFields(["transformation", "health", "backendTunnel", "promptCaching"]),
    })
    .nullish(),
});

export const Llm = z.strictObject({
  gateways: StringOrList.nullish(),
  port: Port.nullish(),
  tls: notYet("tls"),
  providers: z.array(LlmProvider).optional(),
  models: z.array(LlmModel),
  virtualModels: notYet("virtualModels"),
  policies: notYet("policies"),
});

// ---------------------------------------------------------------------------------------------
// root

const Address = z
  .string()
  .regex(/^(off|unix:.+|\[[0-9a-fA-F:.]*\]:\d+|[^:\s]+:\d+|:\d+)$/, {
    error: 'expected "ip:port", "localhost:port", "[::]:port" or "off"',
  }).meta({ id: "Address" });

export const RawConfigSection = z.strictObject({
  readinessAddr: Address.nullish(),
  logging: z
    .strictObject({
      format: z.enum(["text", "json"]).nullish(),
      level: z.enum(["error", "warn", "info", "debug", "trace"]).nullish(),
      ...notYetFields(["filter", "fields", "database"]),
    })
    .nullish(),
  ...notYetFields([
    "adminAddr",
    "statsAddr",
    "enableIpv6",
    "dns",
    "localXdsPath",
    "modelCatalog",
    "database",
    "storage",
    "caAddress",
    "caAuthToken",
    "xdsAddress",
    "xdsAuthToken",
    "spiffe",
    "namespace",
    "gateway",
    "trustDomain",
    "additionalTrustDomains",
    "skipValidateTrustDomain",
    "serviceAccount",
    "clusterId",
    "network",
    "standardAttributes",
    "histograms",
    "session",
    "mcp",
    "sensitiveHeaders",
    "customFunctions",
    "connectionTerminationDeadline",
    "connectionMinTerminationDeadline",
    "workerThreads",
    "tracing",
    "metrics",
    "backend",
    "hbone",
  ]),
});

export const FrontendPolicies = z.strictObject({
  http: z
    .strictObject({
      maxBufferSize: z.int().min(1).nullish(),
      http1IdleTimeout: Duration.nullish(),
      ...notYetFields([
        "http1MaxHeaders",
        "http1HeaderCase",
        "http2WindowSize",
        "http2ConnectionWindowSize",
        "http2FrameSize",
        "http2MaxHeaderSize",
        "http2KeepaliveInterval",
        "http2KeepaliveTimeout",
        "maxConnectionDuration",
      ]),
    })
    .nullish(),
  ...notYetFields([
    "tls",
    "tcp",
    "networkAuthorization",
    "networkExtAuthz",
    "proxy",
    "proxyProtocol",
    "connect",
    "accessLog",
    "logging",
    "tracing",
  ]),
});

export const ConfigSchema = z
  .strictObject({
    config: RawConfigSection.nullish(),
    binds: z.array(Bind).nullish(),
    frontendPolicies: FrontendPolicies.nullish(),
    backends: z.array(TopLevelBackend).nullish(),
    gateways: z.record(z.string(), Gateway).nullish(),
    routes: z.array(AttachedRoute).nullish(),
    llm: Llm.nullish(),
    ...notYetFields(["policies", "workloads", "services", "routeGroups", "tcpRoutes", "mcp", "ui"]),
  })
  .meta({
    title: "agentgateway (Bun edition) config",
    description:
      "agentgateway's configuration format, as far as this gateway implements it. Fields marked " +
      "'Not supported yet' are rejected at load time.",
  });

export type RawConfig = z.output<typeof ConfigSchema>;
export type RawRoute = z.output<typeof Route>;
export type RawRouteBackend = z.output<typeof RouteBackend>;
export type RawRoutePolicies = z.output<typeof RoutePolicies>;
export type RawBackendPolicies = z.output<typeof BackendPolicies>;
export type RawNamedAIProvider = z.output<typeof NamedAIProvider>;
export type RawAIProvider = z.output<typeof AIProvider>;
export type RawAIBackend = z.output<typeof AIBackend>;
export type RawBackendAuth = z.output<typeof BackendAuth>;
export type RawBackendTLS = z.output<typeof BackendTLS>;
export type RawAiPolicy = z.output<typeof AiPolicy>;
export type RawRouteMatch = z.output<typeof RouteMatch>;
export type RawLlm = z.output<typeof Llm>;
export type RawLlmModel = z.output<typeof LlmModel>;
export type RawLlmProvider = z.output<typeof LlmProvider>;
export type RawLlmProviderRef = z.output<typeof LlmProviderRef>;
export type RawFileOrInline = z.output<typeof FileOrInline>;
export type RawHeaderModifier = z.output<typeof HeaderModifier>;
export type RouteTypeName = z.output<typeof RouteTypeName>;
