/**
 * What runs beside the binds to operate the gateway, set up once at start-up from the `config:`
 * section (agentgateway applies it only at start-up too): Prometheus metrics on the stats
 * address, OpenTelemetry traces, and the admin page with its live view of recent requests. Each
 * is an outcome listener; the per-request cost is one listener call each (and, when tracing, the
 * sampling decision when the request arrives).
 */
import type { Server } from "bun";
import { startAdmin } from "../admin/server.ts";
import { recentRequests, type RecentRequests } from "../admin/recent.ts";
import { buildInfo } from "../build-info.ts";
import type { GatewayConfig } from "../config/model.ts";
import type { Logger } from "../telemetry/log.ts";
import { createGatewayMetrics, type GatewayMetrics } from "../telemetry/metrics/gateway-metrics.ts";
import { installPolicyMetrics } from "../telemetry/metrics/policy-metrics.ts";
import type { OutcomeListener } from "../telemetry/outcome.ts";
import { createTracer } from "../telemetry/tracing/tracer.ts";
import type { TraceContext } from "../telemetry/tracing/traceparent.ts";
import { startStats } from "./stats.ts";

export interface Operations {
  readonly outcomes: OutcomeListener[];
  /** metrics read token usage (streams are then read for it) */
  readonly wantsUsage: boolean;
  readonly startTrace: ((headers: Headers) => TraceContext | undefined) | undefined;
  readonly metrics: GatewayMetrics | undefined;
  readonly recent: RecentRequests | undefined;
  readonly statsPort: number | undefined;
  readonly adminPort: number | undefined;
  /** a reload was applied (true) or refused (false) */
  configApplied(ok: boolean): void;
  stop(): Promise<void>;
}

export interface OperationsOptions {
  logger: Logger;
  config(): GatewayConfig;
  /** POST /quitquitquit on the admin address */
  quit?: (() => void) | undefined;
}

export function startOperations(initial: GatewayConfig, opts: OperationsOptions): Operations {
  const servers: Server<undefined>[] = [];
  const outcomes: OutcomeListener[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];
  const serve = (what: string, addr: { hostname: string; port: number }, start: () => Server<undefined>) => {
    try {
      const s = start();
      servers.push(s);
      opts.logger.info(`${what} on http://${addr.hostname.includes(":") ? `[${addr.hostname}]` : addr.hostname}:${s.port}`);
      return s;
    } catch (err) {
      throw new Error(`cannot listen for the ${what} on ${addr.hostname}:${addr.port}: ${(err as Error).message}`);
    }
  };

  let metrics: GatewayMetrics | undefined;
  let statsPort: number | undefined;
  if (initial.stats) {
    const m = createGatewayMetrics({ remove: initial.metricsRemove, version: buildInfo.version, custom: initial.telemetryFields?.metrics.map((f) => f.name) });
    metrics = m;
    outcomes.push(m.listener);
    cleanups.push(installPolicyMetrics(m.families));
    statsPort = serve("metrics", initial.stats, () => startStats(initial.stats!, m.registry, opts.logger)).port;
  }

  let startTrace: Operations["startTrace"];
  if (initial.tracing) {
    const tracer = createTracer(initial.tracing, { logger: opts.logger, version: buildInfo.version });
    startTrace = tracer.start;
    outcomes.push(tracer.listener);
    cleanups.push(() => tracer.shutdown());
    opts.logger.info(`traces to ${initial.tracing.endpoint} (OTLP ${initial.tracing.protocol})`);
  }

  let recent: RecentRequests | undefined;
  let adminPort: number | undefined;
  if (initial.admin) {
    const r = recentRequests();
    recent = r;
    outcomes.push(r.listener);
    adminPort = serve("admin page", initial.admin, () => startAdmin(initial.admin!, { config: opts.config, recent: r, quit: opts.quit, logger: opts.logger })).port;
  }

  return {
    outcomes,
    // the admin page's recent requests show usage only where something else read it
    wantsUsage: (metrics?.wantsUsage ?? false) || (initial.tracing !== undefined && !initial.tracing.remove.has("gen_ai.usage.output_tokens")),
    startTrace,
    metrics,
    recent,
    statsPort,
    adminPort,
    configApplied: (ok) => metrics?.configSynchronized(ok),
    async stop() {
      await Promise.all(servers.map((s) => s.stop(true)));
      for (const c of cleanups) await c();
    },
  };
}
