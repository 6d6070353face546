/**
 * `requestRedirect`: the gateway answers with a redirect to the same request elsewhere (http to
 * https, another host, a new path). agentgateway's shape: `scheme`, `authority` (`full`,
 * `host` keeping the port, `port`, or "auto"/"none": the request's own), `path` (`full`, or
 * `prefix` replacing what the route matched), `status` (default 302). The query string is kept.
 */
import { z } from "zod";
import { answerHere } from "./answer-headers.ts";
import { AuthorityRewrite, PathRewrite, requestOrigin, rewriteAuthority, rewritePath } from "./url-parts.ts";
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
        const own = requestOrigin(ctx.req);
        // the request's own port stays only when the scheme does
        const host = rewriteAuthority(own.authority, authority, scheme === undefined || scheme === own.scheme);
        const target = `${scheme ?? own.scheme}://${host}${path ? rewritePath(ctx.path, path, ctx.matchedPrefix) : ctx.path}${ctx.query ? `?${ctx.query}` : ""}`;
        return Promise.resolve(answerHere(ctx, new Response(null, { status, headers: { location: target } })));
      },
    };
  },
});
