/**
 * One request on one bind: listener by hostname, route by precedence, backend by weight, then
 * the backend's handler. Every failure becomes an OpenAI-shaped error; every request gets one
 * access-log line.
 */
import type { Backend, BindConfig, GatewayConfig, ListenerConfig, RouteConfig } from "../config/model.ts";
import { asHttpError, errorResponse, HttpError } from "../http/errors.ts";
import { proxyHttp } from "../http/proxy.ts";
import { requestTarget } from "../http/request-path.ts";
import { serveAiBackend, serveLlmBackend, type LlmExchange } from "../llm/handler.ts";
import { hostnameMatches, hostOf } from "../routing/hostname.ts";
import { writeAccessLog, type AccessRecord } from "../telemetry/access-log.ts";
import type { Logger } from "../telemetry/log.ts";

export interface HandlerContext {
  config(): GatewayConfig;
  logger: Logger;
}

/** What the handler needs of the Bun server that received the request. */
export interface ServerHandle {
  timeout(req: Request, seconds: number): void;
}

export async function handleRequest(req: Request, port: number, ctx: HandlerContext, server: ServerHandle): Promise<Response> {
  const start = performance.now();
  const config = ctx.config();
  const log: AccessRecord = { start, bind: port, method: req.method, path: "" };
  let logged = false;
  const done = () => {
    if (logged) return;
    logged = true;
    writeAccessLog(ctx.logger, log);
  };

  try {
    // normalised once: routing, policies and upstream paths all see this path (400 if unsafe)
    const { path, query } = requestTarget(req.url);
    log.path = path;
    const bind = config.binds.get(port);
    if (!bind) throw new HttpError(404, `no bind for port ${port}`, { code: "route_not_found" });
    const host = hostOf(req.headers.get("host"));
    const listener = selectListener(bind, host);
    if (!listener) throw new HttpError(404, `no listener for host '${host}' on bind ${port}`, { code: "route_not_found" });
    log.listener = listener.name;
    const route = listener.router.match({ method: req.method, path, query, host, headers: req.headers });
    if (!route) throw new HttpError(404, `no route matched ${req.method} ${path} on bind ${port}`, { code: "route_not_found" });
    log.route = route.key;
    const backend = pickBackend(route);
    if (!backend) throw new HttpError(500, `route '${route.key}' has no backends`, { code: "no_backend" });

    const timeoutMs = route.policies.requestTimeoutMs ?? route.policies.backendTimeoutMs;
    const signal = timeoutMs === undefined ? req.signal : AbortSignal.any([req.signal, AbortSignal.timeout(timeoutMs)]);

    if (backend.kind === "host") {
      log.protocol = "http";
      const res = await proxyHttp(req, backend, route, { path, query }, signal, log);
      log.status = res.status;
      done();
      return res;
    }

    log.protocol = "llm";
    const exchange: LlmExchange = {
      req,
      method: req.method,
      path,
      query,
      route,
      maxBodyBytes: config.maxBodyBytes,
      log,
      signal,
      // the client's disconnect already aborts `signal`; nothing else to cancel
      abort: () => {},
      // LLM calls can think for minutes before the first byte; the idle timeout is for idle
      // clients, so it is lifted only once the client has sent its whole request
      requestSent: () => server.timeout(req, 0),
      done,
    };
    return backend.kind === "ai" ? await serveAiBackend(exchange, backend) : await serveLlmBackend(exchange, backend);
  } catch (err) {
    const e = asHttpError(err);
    if (e.status === 500 && !(err instanceof HttpError)) ctx.logger.error("unexpected error while handling a request", { error: String((err as Error)?.stack ?? err) });
    log.status = e.status;
    log.error ??= e.message.slice(0, 200);
    log.path ||= "(invalid path)"; // the raw target may hold control characters: not logged
    done();
    return errorResponse(e);
  }
}

/** Listeners are sorted most specific first (exact host, wildcard, any). */
function selectListener(bind: BindConfig, host: string): ListenerConfig | undefined {
  const ls = bind.listeners;
  if (ls.length === 1) {
    const l = ls[0]!;
    return l.hostname === undefined || hostnameMatches(l.hostname, host) ? l : undefined;
  }
  return ls.find((l) => l.hostname === undefined || hostnameMatches(l.hostname, host));
}

function pickBackend(route: RouteConfig): Backend | undefined {
  const bs = route.backends;
  if (bs.length <= 1) return bs[0]?.backend;
  let r = Math.random() * route.totalWeight;
  for (const b of bs) {
    r -= b.weight;
    if (r < 0) return b.backend;
  }
  return bs.find((b) => b.weight > 0)?.backend;
}
