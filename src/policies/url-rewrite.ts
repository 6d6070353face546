/**
 * `urlRewrite`: the path (and the Host) the rest of the exchange sees, before routing to the
 * backend. agentgateway's shape: `path: {full}` replaces the path, `path: {prefix}` replaces
 * the part the route matched (its `pathPrefix`, or its `exact` path); `authority` (`{full}`,
 * `{host}`, `{port}`) is the Host header sent upstream.
 *
 * The docs' use: Claude Code behind `/claude` on a shared gateway, `urlRewrite: {path: {prefix:
 * /}}`, so `/claude/v1/messages` is served as `/v1/messages` (its route type, its upstream path).
 * The access log keeps the path the client sent.
 */
import { z } from "zod";
import { AuthorityRewrite, PathRewrite, rewriteAuthority, rewritePath } from "./url-parts.ts";
import { definePolicy } from "./types.ts";

const UrlRewriteSchema = z
  .strictObject({
    authority: AuthorityRewrite.nullish(),
    path: PathRewrite.nullish(),
  })
  .meta({ id: "UrlRewritePolicy" });

export const urlRewrite = definePolicy({
  key: "urlRewrite",
  schema: UrlRewriteSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw) {
    const path = raw.path ?? undefined;
    const rewrite = path ? (p: string, matched: string | undefined) => rewritePath(p, path, matched) : undefined;
    const a = raw.authority;
    const host = a === undefined || a === null || a === "auto" || a === "none" ? undefined : a;
    if (!rewrite && !host) return undefined;
    return {
      key: "urlRewrite",
      ...(rewrite ? { rewritePath: rewrite } : {}),
      ...(host ? { send: (req) => req.headers.set("host", rewriteAuthority(req.headers.get("host") ?? req.url.host, host)) } : {}),
    };
  },
});
