/**
 * Test harness: a real gateway (in-process, real HTTP on real ports) started from YAML, with its
 * log lines captured, and the official OpenAI SDK as the client.
 */
import { afterAll, beforeAll } from "bun:test";
import OpenAI from "openai";
import { formatIssues } from "../../src/config/errors.ts";
import { loadConfigText } from "../../src/config/load.ts";
import type { Deps } from "../../src/server/context.ts";
import { startGateway, type Gateway } from "../../src/server/gateway.ts";
import { createLogger } from "../../src/telemetry/log.ts";

export interface TestGateway {
  gateway: Gateway;
  /** base URL of a bind (`http://127.0.0.1:<actual port>/v1`), by configured port (default: the first) */
  baseURL(configPort?: number): string;
  origin(configPort?: number): string;
  /** access-log and gateway lines written so far (JSON-parsed) */
  logs: Record<string, unknown>[];
  /** everything written to the log sink, raw */
  rawLog(): string;
  stop(): Promise<void>;
}

/** Starts a gateway from YAML. Use `port: 0` in binds to get a free port. */
export async function startTestGateway(yaml: string, env: Record<string, string | undefined> = {}, opts: { deps?: Partial<Deps> } = {}): Promise<TestGateway> {
  const loaded = loadConfigText(yaml, "test.yaml", { env: { READINESS_ADDR: "off", ADMIN_ADDR: "off", STATS_ADDR: "off", ...env } });
  if (!loaded.ok) throw new Error(formatIssues(loaded.errors));
  let raw = "";
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    format: "json",
    level: "debug",
    sink: {
      write(bytes) {
        const text = new TextDecoder().decode(bytes);
        raw += text;
        for (const line of text.split("\n")) if (line) logs.push(JSON.parse(line));
      },
    },
  });
  const gateway = startGateway(loaded.value, { logger, hostname: "127.0.0.1", deps: opts.deps });
  const first = [...loaded.value.binds.keys()][0]!;
  const origin = (p = first) => `http://127.0.0.1:${gateway.port(p)}`;
  return {
    gateway,
    origin,
    baseURL: (p = first) => `${origin(p)}/v1`,
    logs,
    rawLog: () => {
      logger.flush();
      return raw;
    },
    stop: () => gateway.stop({ minMs: 0, maxMs: 2000 }),
  };
}

/** A provider key of an `ai` backend's `provider:` object. */
export type ProviderKey = "openAI" | "anthropic" | "bedrock" | "gemini" | "vertex" | "azure" | "azureOpenAI" | "custom";

/**
 * YAML for `gatewayFor`: a string is written as given (mapping entries, block or flow style, any
 * common indentation removed); an object is written as JSON, which is YAML flow style.
 */
export type YamlPart = string | Record<string, unknown>;

export interface GatewayForOptions {
  /** the provider's settings (`{model: claude-x}`, `{region: us-east-1, model: ...}`); default `{}` */
  settings?: YamlPart;
  /** the route's `backendAuth` (`{key: sk-x}`, `{aws: {...}}`); default: none, the client's key goes upstream */
  auth?: YamlPart;
  /** more route policies, as mapping entries (`requestHeaderModifier: {set: {x-a: b}}`) */
  policies?: YamlPart;
  /** more fields of the `ai` backend (`pathPrefix: /proxy`, `policies: {backendTLS: {}}`) */
  backend?: YamlPart;
  /** top-level entries before `binds` (`frontendPolicies: ...`) */
  top?: YamlPart;
  /** the backend's name (default: the provider key) */
  name?: string;
  /** variables the config may reference */
  env?: Record<string, string | undefined>;
  deps?: Partial<Deps>;
}

export interface ProviderGateway extends TestGateway {
  /** the official OpenAI SDK on the gateway's first bind */
  client: OpenAI;
  /** the config the gateway was started from */
  yaml: string;
}

/** Mapping entries of a YAML part, one per line, without indentation. */
function entries(part: YamlPart | undefined): string[] {
  if (part === undefined) return [];
  if (typeof part !== "string") return Object.entries(part).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
  const lines = part.split("\n").filter((l) => l.trim() !== "");
  const margin = Math.min(...lines.map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(margin));
}

const indent = (lines: string[], n: number) => lines.map((l) => `${" ".repeat(n)}${l}`);

/** The config `gatewayFor` starts: one bind, one route, one `ai` backend on `upstream`. */
export function providerYaml(provider: ProviderKey, upstream: string | { host: string }, opts: Omit<GatewayForOptions, "env" | "deps"> = {}): string {
  const host = typeof upstream === "string" ? upstream : upstream.host;
  const settings = opts.settings ?? {};
  const flow = typeof settings !== "string" || settings.trim().startsWith("{");
  const policies = [...(opts.auth === undefined ? [] : [`backendAuth: ${typeof opts.auth === "string" ? opts.auth.trim() : JSON.stringify(opts.auth)}`]), ...entries(opts.policies)];
  return [
    ...entries(opts.top),
    "binds:",
    "- port: 0",
    "  listeners:",
    "  - routes:",
    ...(policies.length > 0 ? ["    - policies:", ...indent(policies, 8), "      backends:"] : ["    - backends:"]),
    "      - ai:",
    `          name: ${opts.name ?? provider}`,
    `          hostOverride: "${host}"`,
    "          provider:",
    ...(flow ? [`            ${provider}: ${typeof settings === "string" ? settings.trim() : JSON.stringify(settings)}`] : [`            ${provider}:`, ...indent(entries(settings), 14)]),
    ...indent(entries(opts.backend), 10),
    "",
  ].join("\n");
}

/**
 * A gateway on one provider: one bind, one route, one `ai` backend pointed at `upstream` (an
 * emulator, or its `host:port`) by `hostOverride`, and the official SDK as its client.
 *
 *   const gw = await gatewayFor("anthropic", emu, { settings: { model: MODEL }, auth: { key: KEY } });
 *   await gw.client.chat.completions.create(...);
 */
export async function gatewayFor(provider: ProviderKey, upstream: string | { host: string }, opts: GatewayForOptions = {}): Promise<ProviderGateway> {
  const yaml = providerYaml(provider, upstream, opts);
  const gw = await startTestGateway(yaml, opts.env, { deps: opts.deps });
  return Object.assign(gw, { client: openaiClient(gw.baseURL()), yaml });
}

/** The official OpenAI SDK pointed at the gateway; no retries so each test sees one exchange. */
export function openaiClient(baseURL: string, apiKey = "anything"): OpenAI {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0 });
}

/**
 * Waits until `fn` returns something other than undefined or false (log lines arrive on the next
 * event-loop turn). `fn` may be async: its result is awaited, so a promise is never taken as "done".
 */
export async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 3000, what = "condition not met in time"): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`after ${timeoutMs} ms: ${what}`);
    await Bun.sleep(10);
  }
}

/** `promise`, or a rejection with `what` if it has not settled within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Access-log lines (target "request"). */
export function accessLogs(gw: TestGateway): Record<string, unknown>[] {
  return gw.logs.filter((l) => l.target === "request");
}

/** A `random` that returns `values` in turn, round and round: weighted picks become exact. */
export function sequence(values: readonly number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

/**
 * A suite on one provider emulator: starts the emulator and a gateway on it before the suite's
 * tests and stops both after them. The returned object's `emu` and `gw` are live references.
 */
export function providerSuite<E extends { host: string; stop(): unknown }>(
  provider: ProviderKey,
  start: () => E | Promise<E>,
  opts: GatewayForOptions = {},
): { readonly emu: E; readonly gw: ProviderGateway } {
  let emu: E | undefined;
  let gw: ProviderGateway | undefined;
  beforeAll(async () => {
    emu = await start();
    gw = await gatewayFor(provider, emu, opts);
  });
  afterAll(async () => {
    await gw?.stop();
    await emu?.stop();
  });
  return {
    get emu() {
      if (!emu) throw new Error("providerSuite: the emulator is not started yet (use it inside a test)");
      return emu;
    },
    get gw() {
      if (!gw) throw new Error("providerSuite: the gateway is not started yet (use it inside a test)");
      return gw;
    },
  };
}

/**
 * A bind route's YAML, under `routes:`: requests to `/<name>/...` served as `/...` by an OpenAI
 * emulator at `upstreamHost`, with `policies` (each a policy's flow-style YAML value).
 */
export function prefixedOpenAIRoute(name: string, upstreamHost: string, policies: Record<string, string>): string {
  return `
    - name: ${name}
      matches: [{path: {pathPrefix: /${name}/}}]
      policies:
        urlRewrite: {path: {prefix: /}}${Object.entries(policies)
          .map(([key, value]) => `\n        ${key}: ${value}`)
          .join("")}
      backends:
      - ai: {name: openai, hostOverride: "${upstreamHost}", provider: {openAI: {}}}`;
}
