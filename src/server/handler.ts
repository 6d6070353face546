/**
 * One request on one bind: the path normalised, the listener by hostname, the route by
 * precedence, the listener's and the route's policy chain, the backend by weight, then the
 * backend's handler. Every failure becomes an OpenAI-shaped error; every exchange gets one
 * outcome record, finished when its answer (or stream) is complete.
 */
import type { NetworkAuthorization } from "../config/compile/network-authorization.ts";
import type { Backend, BindConfig, GatewayConfig, HostBackend, ListenerConfig, RouteConfig } from "../config/model.ts";
import { asHttpError, HttpError } from "../http/errors.ts";
import { clientErrorResponse, formatOfPath } from "../llm/formats/errors.ts";
import type { ClientFormatName } from "../llm/formats/types.ts";
import { proxyHttp } from "../http/proxy.ts";
import { addAnswerHeaders } from "../policies/answer-headers.ts";
import { noMiddleware } from "../policies/chain.ts";
import { requestTarget } from "../http/request-path.ts";
import { serveAiBackend, serveLlmBackend } from "../llm/serve.ts";
import { hostnameMatches, hostOf } from "../routing/hostname.ts";
import { evaluateCustomFields } from "../telemetry/custom-fields.ts";
import type { Logger } from "../telemetry/log.ts";
import { recordOutcome, type ErrorKind, type OutcomeListener, type OutcomeRecorder } from "../telemetry/outcome.ts";
import type { TraceContext } from "../telemetry/tracing/traceparent.ts";
import { createContext, type ContextServer, type Deps, type RequestContext } from "./context.ts";
import { UPGRADED } from "./websocket.ts";
import { describeFault } from "./fault-guard.ts";

export interface HandlerContext {
  config(): GatewayConfig;
  logger: Logger;
  deps: Deps;
  /** subscribers to every finished exchange (the access log first) */
  outcomes: readonly OutcomeListener[];
  /** a subscriber other than the access log reads token usage (metrics) */
  listenersWantUsage: boolean;
  /** tracing: whether to trace an exchange, from the client's `traceparent` (src/telemetry/tracing/) */
  startTrace?: ((headers: Headers) => TraceContext | undefined) | undefined;
}

/** The answer to one request; undefined when it was upgraded to a WebSocket (Bun wants no response then). */
export async function handleRequest(req: Request, port: number, h: HandlerContext, server: ContextServer): Promise<Response | undefined> {
  const config = h.config();
  const outcome = recordOutcome({ start: h.deps.now(), bind: port, method: req.method, path: "" }, h.outcomes, h.deps.now, config.catalog);
  if (h.startTrace) outcome.traced(h.startTrace(req.headers));
  // errors in the client's own shape: by the path, until the route type says (ctx.errorFormat)
  let ctx: RequestContext | undefined;
  let pathFormat: ClientFormatName = "openai";
  try {
    // normalised once: routing, policies and upstream paths all see this path (400 if unsafe)
    const { path, query } = requestTarget(req.url);
    outcome.path(path);
    pathFormat = formatOfPath(path);
    if (config.networkAuthorization) refuseConnection(config.networkAuthorization, server.requestIP?.(req) ?? undefined);
    const bind = config.binds.get(port);
    if (!bind) throw new HttpError(404, `no bind for port ${port}`, { code: "route_not_found" });
    const host = hostOf(req.headers.get("host"));
    const listener = selectListener(bind, host);
    if (!listener) throw new HttpError(404, `no listener for host '${host}' on bind ${port}`, { code: "route_not_found" });
    const hit = listener.router.match({ method: req.method, path, query, host, headers: req.headers });
    if (!hit) throw new HttpError(404, `no route matched ${req.method} ${path} on bind ${port}`, { code: "route_not_found" });
    const route = hit.route;
    outcome.matched(listener.name, route.key);
    ctx = createContext({
      req,
      // `urlRewrite`: what follows (policies, the LLM layer, the upstream) sees the rewritten path; the log keeps the client's
      path: route.rewritePath ? route.rewritePath(path, hit.matchedPrefix) : path,
      matchedPrefix: hit.matchedPrefix,
      query,
      host,
      route,
      deps: h.deps,
      outcome,
      usageWanted: config.usageWanted || h.listenersWantUsage,
      streamKeepAliveMs: config.streamKeepAliveMs,
      maxBodyBytes: config.maxBodyBytes,
      server,
    });
    if (config.telemetryFields) customFieldsOnFinish(outcome, config.telemetryFields, ctx);
    // (no closures on the way when neither the listener nor the route has a middleware)
    const res = listener.chain === noMiddleware && route.chain === noMiddleware ? await serveBackend(ctx) : await listener.chain(ctx, throughRoute);
    if (res === UPGRADED) return undefined;
    if (ctx.answerHeaders !== undefined) addAnswerHeaders(res.headers, ctx.answerHeaders);
    return res;
  } catch (err) {
    const res = failed(err, outcome, h.logger, ctx?.errorFormat ?? pathFormat);
    if (ctx?.answerHeaders !== undefined) addAnswerHeaders(res.headers, ctx.answerHeaders);
    return res;
  }
}

/** The log's custom fields, evaluated when the exchange ends (a closure here, not in handleRequest: a scope object for each request otherwise). */
function customFieldsOnFinish(outcome: OutcomeRecorder, fields: NonNullable<GatewayConfig["telemetryFields"]>, ctx: RequestContext): void {
  outcome.onFinish((r) => outcome.customFields(evaluateCustomFields(fields, ctx, r)));
}

/** `frontendPolicies.networkAuthorization`: a refused client gets a 403 and the connection closed. */
function refuseConnection(check: NetworkAuthorization, source: { address: string; port: number } | undefined): void {
  const why = check(source);
  if (why) throw new HttpError(403, `connection not authorized: ${why}`, { type: "permission_error", code: "network_authorization_denied", headers: { connection: "close" } });
}

/** What follows the listener's policies: the route's, then its backend (module-level: chains are linked once for it). */
function throughRoute(ctx: RequestContext): Promise<Response> {
  return ctx.route.chain(ctx, serveBackend);
}

/** A plain function, not async: each layer of async function is a frame and a microtask turn on every request. */
function serveBackend(ctx: RequestContext): Promise<Response> {
  const route = ctx.route;
  const backend = pickBackend(route, ctx.deps.random);
  if (!backend) throw new HttpError(500, `route '${route.key}' has no backends`, { code: "no_backend" });
  switch (backend.kind) {
    case "host":
      return proxyHost(ctx, backend);
    case "ai":
      return serveAiBackend(ctx, backend);
    case "llm":
      return serveLlmBackend(ctx, backend);
  }
}

async function proxyHost(ctx: RequestContext, backend: HostBackend): Promise<Response> {
  const res = await proxyHttp(ctx, backend);
  ctx.outcome.finish();
  return res;
}

function failed(err: unknown, outcome: OutcomeRecorder, logger: Logger, format: ClientFormatName): Response {
  const e = asHttpError(err);
  // a bug: described as the fault guard describes one (name, masked message, where it was thrown)
  if (e.status === 500 && !(err instanceof HttpError)) logger.error("unexpected error while handling a request", describeFault(err));
  if (outcome.record.path === "") outcome.path("(invalid path)");
  outcome.failed(e.status, errorKind(e), e.message);
  outcome.finish();
  return clientErrorResponse(format, e);
}

function errorKind(e: HttpError): ErrorKind {
  if (e.code === "upstream_unreachable") return "upstream_unreachable";
  if (e.status === 504 || e.code === "upstream_timeout") return "timeout";
  if (e.status === 499) return "client_closed";
  if (e.status === 401 || e.status === 403 || e.status === 429) return "policy";
  if (e.status >= 500) return e.code?.startsWith("upstream") ? "upstream_status" : "gateway";
  return "client";
}

/** Listeners are sorted most specific first (exact host, wildcard, any). */
function selectListener(bind: BindConfig, host: string): ListenerConfig | undefined {
  for (const l of bind.listeners) if (l.hostname === undefined || hostnameMatches(l.hostname, host)) return l;
  return undefined;
}

/** A backend by weight; `random` comes from the gateway's deps so tests can pin it. */
export function pickBackend(route: RouteConfig, random: () => number): Backend | undefined {
  const bs = route.backends;
  if (bs.length <= 1) return bs[0]?.backend;
  let r = random() * route.totalWeight;
  for (const b of bs) {
    r -= b.weight;
    if (r < 0) return b.backend;
  }
  return bs.find((b) => b.weight > 0)?.backend;
}
