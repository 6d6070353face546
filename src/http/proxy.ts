/** Plain HTTP backends (`host:`): the request and the answer stream through unchanged. */
import type { HostBackend, RouteConfig } from "../config/model.ts";
import type { AccessRecord } from "../telemetry/access-log.ts";
import { applyHeaderOps, downstreamHeaders, upstreamHeaders } from "./headers.ts";
import { callUpstream } from "./upstream.ts";
import { upstreamUrl } from "./upstream-url.ts";
import type { UpstreamRequest } from "../llm/types.ts";

export async function proxyHttp(
  req: Request,
  backend: HostBackend,
  route: RouteConfig,
  target: { path: string; query: string },
  signal: AbortSignal,
  log: AccessRecord,
): Promise<Response> {
  log.endpoint = backend.origin.base;
  const url = upstreamUrl(backend.origin, target.path, target.query);
  const headers = upstreamHeaders(req.headers, false);
  applyHeaderOps(headers, route.policies.requestHeaders);
  applyHeaderOps(headers, backend.requestHeaders);
  const body = req.method === "GET" || req.method === "HEAD" ? null : req.body;
  const upstream: UpstreamRequest = { url, method: req.method, headers, body };
  if (backend.auth) await backend.auth(upstream, { clientHeaders: req.headers, signal });
  const res = await callUpstream({ method: req.method, url: upstream.url, headers, body: upstream.body as never, tls: backend.tls, signal });
  const out = downstreamHeaders(res.headers);
  applyHeaderOps(out, backend.responseHeaders);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
}
