/**
 * `cors` (agentgateway's CorsSerde): a request with an allowed `Origin` gets
 * `access-control-allow-origin` (and credentials / expose headers) on its answer, errors
 * included; an `OPTIONS` from an allowed origin is answered here (preflight: methods, headers,
 * max age) before any authentication, as browsers send no credentials on a preflight. A preflight
 * from another origin gets a bare 200 the browser will refuse.
 */
import { z } from "zod";
import { parseDuration } from "../config/duration.ts";
import { Duration } from "../config/schema/parts.ts";
import { answerHere, onAnswer } from "./answer-headers.ts";
import type { RequestContext } from "../server/context.ts";
import { definePolicy } from "./types.ts";

export const CorsSchema = z
  .strictObject({
    allowCredentials: z.boolean().nullish(),
    allowHeaders: z.array(z.string()).nullish(),
    allowMethods: z.array(z.string()).nullish(),
    allowOrigins: z.array(z.string()).nullish(),
    exposeHeaders: z.array(z.string()).nullish(),
    maxAge: z.union([Duration, z.int().min(0)]).nullish(),
  })
  .meta({ id: "CorsPolicy" });

interface Origin {
  scheme: string;
  host: string;
  port: string;
}

function parseOrigin(text: string): Origin | undefined {
  const m = /^(https?):\/\/([^/:]+)(?::(\d+))?\/?$/i.exec(text.trim());
  if (!m) return undefined;
  const scheme = m[1]!.toLowerCase();
  return { scheme, host: m[2]!.toLowerCase(), port: m[3] ?? (scheme === "https" ? "443" : "80") };
}

function originMatcher(allowed: readonly string[]): (origin: string) => boolean {
  if (allowed.includes("*")) return () => true;
  const patterns = allowed.map(parseOrigin).filter((o): o is Origin => o !== undefined).map((o) => ({
    ...o,
    host: new RegExp(`^${o.host.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^]*")}$`),
  }));
  return (origin) => {
    const o = parseOrigin(origin);
    return o !== undefined && patterns.some((p) => p.scheme === o.scheme && p.port === o.port && p.host.test(o.host));
  };
}

/** The gateway's own empty answer to a preflight (its exchange ends here). */
function direct(ctx: RequestContext, headers: Record<string, string>): Response {
  return answerHere(ctx, new Response(null, { status: 200, headers }));
}

export const cors = definePolicy({
  key: "cors",
  schema: CorsSchema,
  levels: ["gateway", "route", "llm"],
  atRoute: "filter",
  compile(raw) {
    const allows = originMatcher(raw.allowOrigins ?? []);
    const credentials = raw.allowCredentials === true;
    const expose = raw.exposeHeaders?.length ? raw.exposeHeaders.join(",") : undefined;
    const maxAge = raw.maxAge === undefined || raw.maxAge === null ? undefined : String(typeof raw.maxAge === "number" ? raw.maxAge : Math.floor(parseDuration(raw.maxAge) / 1000));
    const methods = raw.allowMethods ?? [];
    const headers = raw.allowHeaders ?? [];
    // a wildcard echoes what the browser asks for (a literal "*" is not honoured with credentials)
    const wildcard = (list: string[], requested: string | null) =>
      list.includes("*") ? (requested?.trim() ? requested.split(",").map((s) => s.trim()).filter(Boolean).join(", ") : credentials ? undefined : "*") : list.length ? list.join(",") : undefined;
    return {
      key: "cors",
      handle(ctx, next) {
        const origin = ctx.req.headers.get("origin");
        if (origin === null) return next(ctx);
        const preflight = ctx.method === "OPTIONS" && !!ctx.req.headers.get("access-control-request-method");
        if (!allows(origin)) return preflight ? Promise.resolve(direct(ctx, {})) : next(ctx);
        const common: Record<string, string> = { "access-control-allow-origin": origin, vary: "Origin" };
        if (credentials) common["access-control-allow-credentials"] = "true";
        if (expose) common["access-control-expose-headers"] = expose;
        if (ctx.method === "OPTIONS") {
          const h = { ...common };
          const m = wildcard(methods, ctx.req.headers.get("access-control-request-method"));
          const hs = wildcard(headers, ctx.req.headers.get("access-control-request-headers"));
          if (m) h["access-control-allow-methods"] = m;
          if (hs) h["access-control-allow-headers"] = hs;
          if (maxAge) h["access-control-max-age"] = maxAge;
          return Promise.resolve(direct(ctx, h));
        }
        onAnswer(ctx, common);
        return next(ctx);
      },
    };
  },
});
