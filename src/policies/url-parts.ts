/**
 * What `requestRedirect` and `urlRewrite` share: agentgateway's `HostRedirect` (the whole
 * authority `full`, the host keeping the port `host`, the port alone `port`, or the request's
 * own `auto` / `none`) and `PathRedirect` (`full`, or `prefix`: the part the route matched).
 */
import { z } from "zod";

export const AuthorityRewrite = z
  .union([
    z.strictObject({ full: z.string().min(1) }),
    z.strictObject({ host: z.string().min(1) }),
    z.strictObject({ port: z.number().int().min(1).max(65535) }),
    z.enum(["auto", "none"]),
  ])
  .meta({ id: "AuthorityRewrite" });

export type RawAuthorityRewrite = z.output<typeof AuthorityRewrite>;

/** Where the client sent the request: its scheme ("http", "https") and the Host it named (else the URL's). */
export function requestOrigin(req: Request): { scheme: string; authority: string } {
  const url = new URL(req.url);
  return { scheme: url.protocol.slice(0, -1), authority: req.headers.get("host") ?? url.host };
}

/** `own` (host[:port]) rewritten by `a`; its port is kept only when `keepPort` (a redirect to another scheme drops it). */
export function rewriteAuthority(own: string, a: RawAuthorityRewrite, keepPort = true): string {
  const host = own.replace(/:\d+$/, "");
  const port = keepPort ? own.slice(host.length) : "";
  if (a === "auto" || a === "none") return host + port;
  if ("full" in a) return a.full;
  if ("host" in a) return a.host + port;
  return `${host}:${a.port}`;
}

export const PathRewrite = z.union([z.strictObject({ full: z.string().startsWith("/") }), z.strictObject({ prefix: z.string().startsWith("/") })]).meta({ id: "PathRewrite" });

export type RawPathRewrite = z.output<typeof PathRewrite>;

/** `path` rewritten by `p`; `matchedPrefix` is what the route matched (undefined for a regex match: a prefix rewrite keeps the path). */
export function rewritePath(path: string, p: RawPathRewrite, matchedPrefix: string | undefined): string {
  if ("full" in p) return p.full;
  if (matchedPrefix === undefined || !path.startsWith(matchedPrefix)) return path;
  const rest = path.slice(matchedPrefix.length);
  const base = p.prefix.endsWith("/") && rest.startsWith("/") ? p.prefix.slice(0, -1) : p.prefix;
  const out = base + rest;
  return out === "" ? "/" : out.startsWith("/") ? out : `/${out}`;
}
