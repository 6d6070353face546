/** Plain HTTP backends (`host:`): the request and the answer stream through unchanged. */
import type { HostBackend } from "../config/model.ts";
import { callTarget, presentAnswer } from "../server/call.ts";
import type { RequestContext } from "../server/context.ts";
import { downstreamHeaders } from "./headers.ts";

export async function proxyHttp(ctx: RequestContext, backend: HostBackend): Promise<Response> {
  const hasBody = ctx.method !== "GET" && ctx.method !== "HEAD";
  const body = !hasBody ? null : ctx.bodyRead ? await ctx.bytes() : ctx.req.body;
  const res = await callTarget(ctx, backend, { path: ctx.path, query: ctx.query, body, redirects: "pass", provider: backend.name, protocol: "http" });
  ctx.outcome.answered(res.status);
  return presentAnswer(ctx, backend, new Response(res.body, { status: res.status, statusText: res.statusText, headers: downstreamHeaders(res.headers) }));
}
