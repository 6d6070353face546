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
import { definePolicy } from "./types.ts";

const UrlRewriteSchema = z
  .strictObject({
    authority: z
      .union([
        z.strictObject({ full: z.string().min(1) }),
        z.strictObject({ host: z.string().min(1) }),
        z.strictObject({ port: z.number().int().min(1).max(65535) }),
        z.enum(["auto", "none"]),
      ])
      .nullish(),
    path: z.union([z.strictObject({ full: z.string().startsWith("/") }), z.strictObject({ prefix: z.string().startsWith("/") })]).nullish(),
  })
  .meta({ id: "UrlRewritePolicy" });

export const urlRewrite = definePolicy({
  key: "urlRewrite",
  schema: UrlRewriteSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw) {
    const path = raw.path;
    const rewritePath = !path ? undefined : "full" in path ? () => path.full : (p: string, matched: string | undefined) => replacePrefix(p, matched, path.prefix);
    const a = raw.authority;
    const host = a === undefined || a === null || a === "auto" || a === "none" ? undefined : a;
    if (!rewritePath && !host) return undefined;
    return {
      key: "urlRewrite",
      ...(rewritePath ? { rewritePath } : {}),
      ...(host
        ? {
            send(req) {
              const own = req.headers.get("host") ?? req.url.host;
              const name = own.replace(/:\d+$/, "");
              req.headers.set("host", "full" in host ? host.full : "host" in host ? `${host.host}${own.slice(name.length)}` : `${name}:${host.port}`);
            },
          }
        : {}),
    };
  },
});

/** `path` with the matched prefix replaced by `by` (a regex match has no prefix: the path stays). */
function replacePrefix(path: string, matched: string | undefined, by: string): string {
  if (matched === undefined || !path.startsWith(matched)) return path;
  const rest = path.slice(matched.length);
  const base = by.endsWith("/") && rest.startsWith("/") ? by.slice(0, -1) : by;
  const out = base + rest;
  return out === "" ? "/" : out.startsWith("/") ? out : `/${out}`;
}
