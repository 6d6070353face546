/**
 * agentgateway's metrics (names, types, help, buckets and label sets of
 * `crates/agentgateway/src/telemetry/metrics.rs`), recorded from the one outcome record of each
 * exchange, so that agentgateway's Grafana dashboards and PromQL work unchanged. Label sets are
 * resolved once per distinct combination (route, backend, model, status...) and cached; a
 * finished exchange then costs a few map lookups and additions.
 */
import type { ExchangeOutcome, OutcomeListener } from "../outcome.ts";
import { Registry, type Family, type Series } from "./registry.ts";

const TOKEN_USAGE = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
const REQUEST_DURATION = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
const OUTPUT_TOKEN = [0.001, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];
const FIRST_TOKEN = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
const HTTP_REQUEST_DURATION = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 80.0];

const ROUTE = ["bind", "gateway", "listener", "route", "route_rule"] as const;
const HTTP = ["backend", "protocol", "method", "status", "reason", ...ROUTE];
const GEN_AI = ["gen_ai_operation_name", "gen_ai_system", "gen_ai_request_model", "gen_ai_response_model", ...ROUTE];

/** The standalone gateway's `gateway` label (agentgateway without xDS: always `default/default`). */
const GATEWAY = "default/default";
const SEP = "\u0000";

export interface GatewayMetrics {
  readonly registry: Registry;
  /** the outcome listener that records every finished exchange */
  readonly listener: OutcomeListener;
  /** whether token usage is recorded (then streams must be read for it) */
  readonly wantsUsage: boolean;
  /** `agentgateway_config_synchronized`: 1 after a good (re)load, 0 after a failed one */
  configSynchronized(ok: boolean): void;
  /** the families policies count into directly (rate limits, Redis): see policy-metrics.ts */
  readonly families: Readonly<Record<"rateLimitChecks" | "redisOperations", Family>>;
}

/**
 * `custom`: the labels of `config.metrics.fields.add`, appended to every HTTP and gen_ai label
 * set as agentgateway does (their values: the record's `custom.metrics`, "unknown" when absent).
 */
export function createGatewayMetrics(opts: { remove: ReadonlySet<string>; version: string; custom?: readonly string[] }): GatewayMetrics {
  const registry = new Registry("agentgateway", opts.remove);
  const custom = opts.custom ?? [];
  const f = registerFamilies(registry, custom);
  f.build.get(opts.version, () => [opts.version]).set(1);
  f.synced.only().set(1);

  const routes = new RouteLabels();
  const http = new Map<string, HttpSeries>();
  const genAi = new Map<string, GenAiSeries>();
  // the series of the exchange before and what they were found from: most exchanges repeat it
  // (no key joined, no map searched; a key made of six strings was 18 strings a request)
  let lastHttp: { route: ResolvedRoute; backend: string; protocol: string; method: string; status: number | undefined; why: string; series: HttpSeries } | undefined;
  let lastGenAi: { route: ResolvedRoute; provider: string; requestModel: string; responseModel: string; series: GenAiSeries } | undefined;

  const httpSeries = (r: Readonly<ExchangeOutcome>, route: ResolvedRoute, why: string): HttpSeries => {
    const backend = r.endpoint ?? "unknown";
    const protocol = r.protocol ?? "unknown";
    const l = lastHttp;
    if (l !== undefined && l.route === route && l.backend === backend && l.protocol === protocol && l.method === r.method && l.status === r.status && l.why === why) return l.series;
    const status = r.status === undefined ? "unknown" : String(r.status);
    const hkey = route.key + SEP + backend + SEP + protocol + SEP + r.method + SEP + status + SEP + why;
    let h = http.get(hkey);
    if (h === undefined) {
      const values = () => [backend, protocol, r.method, status, why, ...route.values];
      h = { requests: f.requests.get(hkey, values), duration: f.duration.get(hkey, values), retries: f.retries.get(hkey, values) };
      http.set(hkey, h);
    }
    lastHttp = { route, backend, protocol, method: r.method, status: r.status, why, series: h };
    return h;
  };

  const listener: OutcomeListener = (r) => {
    const route = custom.length === 0 ? routes.get(r) : withCustom(routes.get(r), custom, r);
    const h = httpSeries(r, route, reason(r));
    h.requests.inc();
    const seconds = (r.durationMs ?? 0) / 1000;
    h.duration.observe(seconds);
    if (r.attempts > 1) h.retries.inc(r.attempts - 1);
    if (r.guardrails !== undefined) for (const g of r.guardrails) guardrailCheck(g.phase, g.action).inc();
    if (r.protocol === "llm" && r.provider !== undefined && r.operation !== undefined) recordGenAi(r, route, seconds);
  };

  const GUARD_PHASE = { request: "Request", response: "Response" } as const;
  const GUARD_ACTION = { allow: "Allow", mask: "Mask", reject: "Reject", failOpen: "FailOpen" } as const;
  const guardrailCheck = (phase: keyof typeof GUARD_PHASE, action: keyof typeof GUARD_ACTION) =>
    f.guardrailChecks.get(`${phase}/${action}`, () => [GUARD_PHASE[phase], GUARD_ACTION[action]]);

  function genAiSeries(r: Readonly<ExchangeOutcome>, route: ResolvedRoute, provider: string): GenAiSeries {
    const requestModel = r.requestModel ?? "unknown";
    const responseModel = r.responseModel ?? "unknown";
    const l = lastGenAi;
    if (l !== undefined && l.route === route && l.provider === provider && l.requestModel === requestModel && l.responseModel === responseModel) return l.series;
    const gkey = route.key + SEP + provider + SEP + requestModel + SEP + responseModel;
    let g = genAi.get(gkey);
    if (g === undefined) {
      // agentgateway writes gen_ai_operation_name "chat" for every LLM request (embeddings too)
      g = new GenAiSeries(f, gkey, ["chat", provider, requestModel, responseModel, ...route.values]);
      genAi.set(gkey, g);
    }
    lastGenAi = { route, provider, requestModel, responseModel, series: g };
    return g;
  }

  function recordGenAi(r: Readonly<ExchangeOutcome>, route: ResolvedRoute, seconds: number): void {
    const g = genAiSeries(r, route, r.provider!);
    g.duration.observe(seconds);
    const u = r.usage;
    if (u) {
      g.input.observe(u.inputTokens);
      g.output.observe(u.outputTokens);
      if (u.cachedInputTokens !== undefined) g.cacheRead.observe(u.cachedInputTokens);
      if (u.cacheWriteInputTokens !== undefined) g.cacheWrite.observe(u.cacheWriteInputTokens);
    }
    if (r.firstByteMs !== undefined) {
      g.ttft.observe(r.firstByteMs / 1000);
      if (u && u.outputTokens > 0 && r.durationMs !== undefined) g.tpot.observe((r.durationMs - r.firstByteMs) / 1000 / u.outputTokens);
    }
    if (r.cost) {
      g.lookup(r.cost.status).inc();
      if (r.cost.status === "Exact") g.cost.inc(r.cost.total);
    }
  }

  return {
    registry,
    listener,
    wantsUsage: !f.tokens.removed || !f.cost.removed || !f.tpot.removed,
    configSynchronized: (ok) => f.synced.only().set(ok ? 1 : 0),
    families: { rateLimitChecks: f.rateLimitChecks, redisOperations: f.redisOperations },
  };
}

/** `route` with the custom label values appended (its key too: a distinct value is a distinct series). */
function withCustom(route: ResolvedRoute, custom: readonly string[], r: Readonly<ExchangeOutcome>): ResolvedRoute {
  const got = r.custom?.metrics;
  const values = custom.map((name) => {
    const v = got?.[name];
    return v === undefined ? "unknown" : String(v);
  });
  return { key: route.key + SEP + values.join(SEP), values: [...route.values, ...values] };
}

/** agentgateway's families, in its registration (= exposition) order, then ours. */
function registerFamilies(registry: Registry, custom: readonly string[]) {
  const HTTP_LABELS = [...HTTP, ...custom];
  const GEN_AI_LABELS = [...GEN_AI, ...custom];
  return {
    build: registry.register({ name: "build", help: "Agentgateway build information", kind: "info", labels: ["tag"] }),
    tokens: registry.register({ name: "gen_ai_client_token_usage", help: "Number of tokens used per request", kind: "histogram", labels: ["gen_ai_token_type", ...GEN_AI_LABELS], buckets: TOKEN_USAGE }),
    cost: registry.register({ name: "gen_ai_client_cost", unit: "usd", help: "Cumulative USD cost of generative AI requests", kind: "counter", labels: GEN_AI_LABELS }),
    genAiDuration: registry.register({ name: "gen_ai_server_request_duration", help: "Duration of generative AI request", kind: "histogram", labels: GEN_AI_LABELS, buckets: REQUEST_DURATION }),
    tpot: registry.register({ name: "gen_ai_server_time_per_output_token", help: "Time to generate each output token for a given request", kind: "histogram", labels: GEN_AI_LABELS, buckets: OUTPUT_TOKEN }),
    ttft: registry.register({ name: "gen_ai_server_time_to_first_token", help: "Time to generate the first token for a given request", kind: "histogram", labels: GEN_AI_LABELS, buckets: FIRST_TOKEN }),
    requests: registry.register({ name: "requests", help: "The total number of HTTP requests sent", kind: "counter", labels: HTTP_LABELS }),
    guardrailChecks: registry.register({ name: "guardrail_checks", help: "Total number of guardrail checks", kind: "counter", labels: ["phase", "action"] }),
    lookups: registry.register({ name: "cost_catalog_lookups", help: "Total number of model cost catalog lookups by resolution status", kind: "counter", labels: ["status", ...GEN_AI_LABELS] }),
    duration: registry.register({ name: "request_duration", unit: "seconds", help: "Duration of HTTP requests (seconds)", kind: "histogram", labels: HTTP_LABELS, buckets: HTTP_REQUEST_DURATION }),
    retries: registry.register({ name: "retries", help: "The total number of request retries", kind: "counter", labels: HTTP_LABELS }),
    // extensions (not in agentgateway): CONFIG.md 11
    rateLimitChecks: registry.register({ name: "rate_limit_checks", help: "Rate-limit and budget decisions (extension)", kind: "counter", labels: ["kind", "result"] }),
    redisOperations: registry.register({ name: "redis_operations", help: "Shared-state (Redis) operations by result; failOpen and failClosed count the outages (extension)", kind: "counter", labels: ["result"] }),
    synced: registry.register({ name: "config_synchronized", help: "Whether the last configuration load/reload was successful or not, being synchronized with the on-disk configuration", kind: "gauge", labels: [] }),
  };
}

/** The HTTP series of one label set. */
interface HttpSeries {
  requests: Series;
  duration: Series;
  retries: Series;
}

type Families = Record<"tokens" | "cost" | "genAiDuration" | "tpot" | "ttft" | "lookups", Family>;

/** Every gen_ai series of one label set, resolved together the first time it is seen. */
class GenAiSeries {
  readonly input: Series;
  readonly output: Series;
  readonly cacheRead: Series;
  readonly cacheWrite: Series;
  readonly cost: Series;
  readonly duration: Series;
  readonly ttft: Series;
  readonly tpot: Series;
  private readonly lookups = new Map<string, Series>();
  constructor(
    private readonly f: Families,
    private readonly key: string,
    private readonly values: readonly string[],
  ) {
    const token = (type: string) => f.tokens.get(type + SEP + key, () => [type, ...values]);
    this.input = token("input");
    this.output = token("output");
    this.cacheRead = token("input_cache_read");
    this.cacheWrite = token("input_cache_write");
    const plain = () => values;
    this.cost = f.cost.get(key, plain);
    this.duration = f.genAiDuration.get(key, plain);
    this.ttft = f.ttft.get(key, plain);
    this.tpot = f.tpot.get(key, plain);
  }
  lookup(status: string): Series {
    let s = this.lookups.get(status);
    if (s === undefined) {
      s = this.f.lookups.get(status + SEP + this.key, () => [status, ...this.values]);
      this.lookups.set(status, s);
    }
    return s;
  }
}

interface ResolvedRoute {
  key: string;
  values: readonly string[];
}

/** agentgateway's RouteIdentifier labels for the bind, listener and route of an exchange, cached. */
class RouteLabels {
  private readonly cache = new Map<string, ResolvedRoute>();
  /** the exchange before's, found again without a key (its strings are the config's own) */
  private last: { bind: number; listener: string | undefined; route: string | undefined; labels: ResolvedRoute } | undefined;
  get(r: Readonly<ExchangeOutcome>): ResolvedRoute {
    const last = this.last;
    if (last !== undefined && last.bind === r.bind && last.listener === r.listener && last.route === r.route) return last.labels;
    const key = `${r.bind}${SEP}${r.listener ?? ""}${SEP}${r.route ?? ""}`;
    let hit = this.cache.get(key);
    if (hit === undefined) {
      hit = { key, values: [`bind/${r.bind}`, GATEWAY, r.listener ?? "unknown", routeLabel(r.route), "unknown"] };
      this.cache.set(key, hit);
    }
    this.last = { bind: r.bind, listener: r.listener, route: r.route, labels: hit };
    return hit;
  }
}

/**
 * agentgateway's `<namespace>/<name>`: `internal/llm:request` for the `llm:` form, `default/<name>`
 * for a named route, `default/route<index>` for an unnamed one.
 */
function routeLabel(route: string | undefined): string {
  if (route === undefined) return "unknown";
  if (route === "llm:request") return "internal/llm:request";
  const unnamed = /^bind\d+\/.+\/(route\d+)$/.exec(route);
  return `default/${unnamed ? unnamed[1] : route}`;
}

/** agentgateway's `ProxyResponseReason` for how the exchange ended. */
export function reason(r: Readonly<ExchangeOutcome>): string {
  switch (r.errorKind) {
    case undefined:
    case "upstream_status":
    case "stream":
    case "client_closed":
      return "Upstream";
    case "upstream_unreachable":
      return "UpstreamFailure";
    case "timeout":
      return "Timeout";
    case "gateway":
      return "Internal";
    case "policy":
      return r.status === 429 ? "RateLimit" : "Authorization";
    case "client":
      return r.status === 404 ? "NotFound" : "InvalidRequest";
  }
}
