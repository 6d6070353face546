/**
 * The running gateway: one `Bun.serve` per bind, all reading one shared config reference that a
 * reload swaps atomically. Requests already running keep the config they started with; a bind a
 * reload removes stops accepting and drains; a bind it adds starts listening.
 */
import type { Server } from "bun";
import type { BindConfig, GatewayConfig, ServerTls } from "../config/model.ts";
import { errorBody } from "../http/errors.ts";
import type { Logger } from "../telemetry/log.ts";
import { accessLog } from "../telemetry/access-log.ts";
import { startOperations, type Operations } from "./operations.ts";
import { setNoticeLogger } from "../limits/notice.ts";
import { startReadiness } from "./readiness.ts";
import type { OutcomeListener } from "../telemetry/outcome.ts";
import { systemDeps, type ContextServer, type Deps } from "./context.ts";
import { handleRequest, type HandlerContext } from "./handler.ts";
import { relayHandler, upgradeTo, type RelayedSocket } from "./websocket.ts";
import { startIdleCollector } from "./idle-gc.ts";
import { serveDefaults } from "./serve-defaults.ts";

export interface Gateway {
  readonly config: GatewayConfig;
  /** swaps in a new config and opens/closes ports to match */
  apply(config: GatewayConfig): void;
  /** the port actually bound for a configured bind port (differs when the config says 0) */
  port(configPort: number): number | undefined;
  readonly readinessPort: number | undefined;
  /** metrics, traces and the admin page (src/server/operations.ts) */
  readonly operations: Operations;
  /**
   * Readiness starts failing; the listeners keep accepting for `minMs` (load balancers notice first),
   * then stop accepting; in-flight requests get until `maxMs` after the call, then everything
   * closes. Default: the config's `connection(Min)TerminationDeadline`.
   */
  stop(deadlines?: Partial<GatewayConfig["termination"]>): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
  /** hostname to bind (default "::", all interfaces, IPv4 and IPv6) */
  hostname?: string;
  /** randomness and clocks (tests pin them) */
  deps?: Partial<Deps>;
  /** subscribers to every finished exchange, after the access log */
  outcomes?: readonly OutcomeListener[];
  /** whether those subscribers read token usage (then every stream is tapped for it) */
  outcomesWantUsage?: boolean;
  /** what POST /quitquitquit on the admin address does (main: the same as SIGTERM) */
  quit?: () => void;
}

export function startGateway(initial: GatewayConfig, opts: StartOptions): Gateway {
  const { logger } = opts;
  setNoticeLogger(logger); // limits and budgets log through the gateway's logger
  let config = initial;
  const servers = new Map<number, { server: Server<RelayedSocket>; tlsKey: string }>();
  let ready = false;
  let readiness: Server<undefined> | undefined;
  const ops = startOperations(initial, { logger, config: () => config, quit: opts.quit });

  const ctx: HandlerContext = {
    config: () => config,
    logger,
    deps: { ...systemDeps, ...opts.deps },
    outcomes: [accessLog(logger, () => config.accessLogRemove), ...ops.outcomes, ...(opts.outcomes ?? [])],
    listenersWantUsage: ops.wantsUsage || (opts.outcomesWantUsage ?? false),
    startTrace: ops.startTrace,
  };

  const open = (bind: BindConfig) => {
    const hostname = opts.hostname ?? "::";
    const server = serveBind(bind, hostname, config.idleTimeoutSec, ctx);
    servers.set(bind.port, { server, tlsKey: tlsFingerprint(bind.tls) });
    const routes = bind.listeners.reduce((n, l) => n + l.router.routes.length, 0);
    logger.info(`listening on ${bind.tls.length > 0 ? "https" : "http"}://${displayHost(hostname)}:${server.port}`, {
      bind: bind.port,
      listeners: bind.listeners.length,
      routes,
    });
  };

  const reconcile = () => {
    for (const [port, entry] of servers) {
      const bind = config.binds.get(port);
      if (!bind || tlsFingerprint(bind.tls) !== entry.tlsKey) {
        servers.delete(port);
        void entry.server.stop(false);
        logger.info(`closed bind ${port}${bind ? " (TLS changed, reopening)" : ""}`);
      }
    }
    for (const [port, bind] of config.binds) if (!servers.has(port)) open(bind);
  };

  try {
    reconcile();
  } catch (err) {
    for (const { server } of servers.values()) void server.stop(true);
    void ops.stop();
    throw err;
  }
  if (config.readiness) readiness = startReadiness(config.readiness, () => ready, logger);
  const collector = startIdleCollector({ inFlight: () => sumPending(servers.values()) });
  ready = true;

  return {
    get config() {
      return config;
    },
    apply(next) {
      config = next;
      reconcile();
    },
    port: (p) => servers.get(p)?.server.port,
    get readinessPort() {
      return readiness?.port;
    },
    operations: ops,
    async stop(deadlines) {
      const { minMs, maxMs } = { ...config.termination, ...deadlines };
      ready = false;
      const started = performance.now();
      if (minMs > 0) await Bun.sleep(minMs);
      collector.stop();
      const all = [...servers.values()].map((s) => s.server);
      servers.clear();
      const drained = Promise.all(all.map((s) => s.stop(false)));
      const graceMs = Math.max(0, maxMs - (performance.now() - started));
      const deadline = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), graceMs).unref?.());
      if ((await Promise.race([drained, deadline])) === "timeout") {
        logger.warn(`in-flight requests still running ${maxMs}ms after shutdown began; closing them`);
        await Promise.all(all.map((s) => s.stop(true)));
      }
      await readiness?.stop(true);
      await ops.stop();
      logger.flush();
    },
  };
}

/** One `Bun.serve` for one bind; every request goes to the shared handler. */
function serveBind(bind: BindConfig, hostname: string, idleTimeout: number, ctx: HandlerContext): Server<RelayedSocket> {
  // the handler's view of this server, made once per bind rather than per request
  const handle: ContextServer = {
    timeout: (r, s) => server.timeout(r, s),
    requestIP: (r) => server.requestIP(r),
    upgradeTo: (r, data, headers) => upgradeTo(server, r, data, headers),
  };
  const server: Server<RelayedSocket> = Bun.serve({
    port: bind.port,
    hostname,
    idleTimeout,
    // bodies are limited per route type by the handlers (413 as JSON); Bun's own limit only
    // guards streamed passthrough bodies
    maxRequestBodySize: 1024 * 1024 * 1024 * 4,
    ...(bind.tls.length > 0 ? { tls: bind.tls.map((t) => ({ cert: t.cert, key: t.key, serverName: t.serverName })) } : {}),
    // WebSockets (the realtime route): an upgraded request is answered undefined (handleRequest), as Bun wants
    websocket: relayHandler,
    fetch: (req) => handleRequest(req, bind.port, ctx, handle),
    // production mode, and a handler that threw logged as a bug (serve-defaults.ts)
    ...serveDefaults(`bind ${bind.port}`, ctx.logger, internalError),
  });
  return server;
}

/** a bind's answer when its handler threw: the OpenAI error shape the SDKs read */
const internalError = () => new Response(errorBody("internal gateway error", "api_error", "internal_error"), { status: 500, headers: { "content-type": "application/json" } });

function sumPending(servers: Iterable<{ server: Server<RelayedSocket> }>): number {
  let n = 0;
  for (const { server } of servers) n += server.pendingRequests;
  return n;
}

function tlsFingerprint(tls: ServerTls[]): string {
  return tls.map((t) => `${t.serverName}:${Bun.hash(t.cert)}:${Bun.hash(t.key)}`).join("|");
}

function displayHost(h: string): string {
  return h === "::" || h === "0.0.0.0" ? "0.0.0.0" : h.includes(":") ? `[${h}]` : h;
}
