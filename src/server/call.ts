/**
 * One upstream call for an exchange, to any target (an LLM provider or a plain `host:` backend):
 * the URL from the configured origin and a path the gateway built, the client's headers minus
 * hop-by-hop ones (and minus its credential when the gateway sends its own), the route's and the
 * target's `send` hooks (header edits, then credentials and signatures), the deadline, and the
 * answer's `present` hooks on the way back.
 */
import type { UpstreamTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { upstreamHeaders } from "../http/headers.ts";
import { callUpstream, type RequestBody } from "../http/upstream.ts";
import { upstreamUrl } from "../http/upstream-url.ts";
import type { UpstreamRequest } from "../llm/types.ts";
import { presentResponse, runSend } from "../policies/chain.ts";
import { formatTraceparent } from "../telemetry/tracing/traceparent.ts";
import type { RequestContext } from "./context.ts";

export interface CallInit {
  /** absolute path the gateway built (may carry a query of its own) */
  path: string;
  /** the client's query, on passthrough routes */
  query?: string | undefined;
  /** buffered bodies are strings or bytes (signers hash them); a passthrough may stream */
  body: string | Uint8Array | ReadableStream<Uint8Array> | null;
  /** the client's headers adjusted for this call, before credentials (client formats: formats/headers.ts) */
  clientHeaders?: ((headers: Headers) => void) | undefined;
  /** headers the translation needs (`anthropic-version`, `accept`) */
  headers?: Record<string, string> | undefined;
  /** provider fix-ups after credentials (Anthropic's bearer -> x-api-key) */
  finalize?: ((headers: Headers) => void) | undefined;
  /** LLM providers' redirects are refused (they would carry credentials elsewhere); plain proxies pass them on */
  redirects: "refuse" | "pass";
  /** for the outcome record and errors */
  provider: string;
  protocol: "llm" | "http";
  /** false for the further calls of one fanned-out request (Bedrock Titan embeds one input per call) */
  recordAttempt?: boolean;
  /** the answer's first reader (the candidate loop's: a failure it moves on from throws here) */
  screen?: ((ctx: RequestContext, target: UpstreamTarget, res: Response) => Response) | undefined;
}

export async function callTarget(ctx: RequestContext, target: UpstreamTarget, init: CallInit): Promise<Response> {
  if (init.recordAttempt !== false) ctx.outcome.attempt(init.provider, target.name, init.protocol);
  const headers = upstreamHeaders(ctx.req.headers, target.stripClientAuth);
  init.clientHeaders?.(headers);
  if (init.headers) for (const k in init.headers) headers.set(k, init.headers[k]!);
  // a JSON body the gateway buffered keeps the client's JSON content type (charset), or gets one
  if ((typeof init.body === "string" || init.body instanceof Uint8Array) && !headers.get("content-type")?.includes("json")) {
    headers.set("content-type", "application/json");
  }
  const req: UpstreamRequest = { url: upstreamUrl(target.origin, init.path, init.query), method: ctx.method, headers, body: init.body };
  // tracing (issue 15): a traced exchange continues its trace upstream, before any signer sees the headers
  if (ctx.outcome.record.trace) headers.set("traceparent", formatTraceparent(ctx.outcome.record.trace));
  const routeSent = runSend(ctx.route.policies, req, ctx);
  if (routeSent) await routeSent;
  const targetSent = runSend(target.policies, req, ctx);
  if (targetSent) await targetSent;
  init.finalize?.(req.headers);
  const streamed = req.body instanceof ReadableStream;
  if (!streamed) ctx.requestSent();
  const signal = ctx.backendTimeoutMs === undefined ? ctx.signal : AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.backendTimeoutMs)]);
  const res = await callUpstream({ method: req.method, url: req.url, headers: req.headers, body: req.body as RequestBody | null, tls: target.tls, signal });
  if (streamed) ctx.requestSent();
  if (init.redirects === "refuse" && isRedirect(res.status)) {
    res.body?.cancel().catch(() => {});
    throw new HttpError(502, `upstream ${init.provider} answered with a redirect (HTTP ${res.status}); the gateway does not follow provider redirects`, {
      code: "upstream_redirect",
    });
  }
  return init.screen ? init.screen(ctx, target, res) : res;
}

function isRedirect(status: number): boolean {
  return status >= 300 && status < 400 && status !== 304;
}

/**
 * The answer's `present` hooks: the target's (backend) first, then the route's. The answer to
 * send is the one returned (a `presentBody` hook may have replaced the body).
 */
export function presentAnswer(ctx: RequestContext, target: UpstreamTarget, res: Response): Response {
  return presentResponse(ctx.route.policies, presentResponse(target.policies, res, ctx), ctx);
}
