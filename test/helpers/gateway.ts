/**
 * Test harness: a real gateway (in-process, real HTTP on real ports) started from YAML, with its
 * log lines captured, and the official OpenAI SDK as the client.
 */
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
  const loaded = loadConfigText(yaml, "test.yaml", { env: { READINESS_ADDR: "off", ...env } });
  if (!loaded.ok) throw new Error(formatIssues(loaded.errors));
  let raw = "";
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    format: "json",
    level: "debug",
    sink: {
      write(text) {
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
    stop: () => gateway.stop(2000),
  };
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
