/**
 * `requestRedirect`: the gateway answers with a redirect to the same request elsewhere (http to
 * https, another host, a new path). agentgateway's shape: `scheme`, `authority` (`full`,
 * `host` keeping the port, `port`, or "auto"/"none": the request's own), `path.full`, `status`
 * (default 302). The query string is kept.
 *
 * `path.prefix` (replace the part of the path the route matched) is not supported yet: the
 * router does not hand the matched prefix to policies; a config using it fails by name.
 */
import { z } from "zod";
import type { RequestContext } from "../server/context.ts";
import { definePolicy } from "./types.ts";

const Authority = z.union([
  z.strictObject({ full: z.string().min(1) }),
  z.strictObject({ host: z.string().min(1) }),
  z.strictObject({ port: z.number().int().min(1).max(65535) }),
  z.enum(["auto", "none"]),
]);

const RequestRedirectSchema = z
  .strictObject({
    scheme: z.enum(["http", "https"]).nullish(),
    authority: Authority.nullish(),
    path: z
      .union([z.strictObject({ full: z.string().startsWith("/") }), z.strictObject({ prefix: z.never({ error: "'requestRedirect.path.prefix' is not supported yet by this gateway: use path.full" }) })])
      .nullish(),
    status: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).nullish(),
  })
  .meta({ id: "RequestRedirectPolicy" });

type RawAuthority = z.output<typeof Authority>;

export const requestRedirect = definePolicy({
  key: "requestRedirect",
  schema: RequestRedirectSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw) {
    const status = raw.status ?? 302;
    const path = raw.path && "full" in raw.path ? raw.path.full : undefined;
    const scheme = raw.scheme ?? undefined;
    const authority = raw.authority ?? "none";
    return {
      key: "requestRedirect",
      handle(ctx) {
        const from = new URL(ctx.req.url);
        const target = `${scheme ?? from.protocol.slice(0, -1)}://${authorityOf(authority, ctx, from, scheme)}${path ?? ctx.path}${ctx.query ? `?${ctx.query}` : ""}`;
        ctx.outcome.answered(status);
        ctx.outcome.finish();
        return Promise.resolve(new Response(null, { status, headers: { location: target } }));
      },
    };
  },
});

/** The redirect's host[:port]; the request's own host keeps its port only when the scheme does not change. */
function authorityOf(a: RawAuthority, ctx: RequestContext, from: URL, scheme: string | undefined): string {
  const own = ctx.req.headers.get("host") ?? from.host;
  const hostOnly = own.replace(/:\d+$/, "");
  const keepsPort = scheme === undefined || `${scheme}:` === from.protocol;
  if (a === "none" || a === "auto") return keepsPort ? own : hostOnly;
  if ("full" in a) return a.full;
  if ("host" in a) return keepsPort && own !== hostOnly ? `${a.host}${own.slice(hostOnly.length)}` : a.host;
  return `${hostOnly}:${a.port}`;
}
