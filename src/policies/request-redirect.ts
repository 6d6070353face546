/**
 * `requestRedirect`: the gateway answers with a redirect to the same request elsewhere (http to
 * https, another host, a new path). agentgateway's shape: `scheme`, `authority` (`full`,
 * `host` keeping the port, `port`, or "auto"/"none": the request's own), `path` (`full`, or
 * `prefix` replacing what the route matched), `status` (default 302). The query string is kept.
 */
import { z } from "zod";
import { AuthorityRewrite, PathRewrite, rewriteAuthority, rewritePath } from "./url-parts.ts";
import { definePolicy } from "./types.ts";

const RequestRedirectSchema = z
  .strictObject({
    scheme: z.enum(["http", "https"]).nullish(),
    authority: AuthorityRewrite.nullish(),
    path: PathRewrite.nullish(),
    status: z.union([z.literal(301), z.literal(302), z.literal(303), z.literal(307), z.literal(308)]).nullish(),
  })
  .meta({ id: "RequestRedirectPolicy" });

export const requestRedirect = definePolicy({
  key: "requestRedirect",
  schema: RequestRedirectSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw) {
    const status = raw.status ?? 302;
    const path = raw.path ?? undefined;
    const scheme = raw.scheme ?? undefined;
    const authority = raw.authority ?? "none";
    return {
      key: "requestRedirect",
      handle(ctx) {
        const from = new URL(ctx.req.url);
        // the request's own port stays only when the scheme does
        const keepPort = scheme === undefined || `${scheme}:` === from.protocol;
        const host = rewriteAuthority(ctx.req.headers.get("host") ?? from.host, authority, keepPort);
        const target = `${scheme ?? from.protocol.slice(0, -1)}://${host}${path ? rewritePath(ctx.path, path, ctx.matchedPrefix) : ctx.path}${ctx.query ? `?${ctx.query}` : ""}`;
        ctx.outcome.answered(status);
        ctx.outcome.finish();
        return Promise.resolve(new Response(null, { status, headers: { location: target } }));
      },
    };
  },
});
