/**
 * `csrf`: state-changing requests (anything but GET, HEAD, OPTIONS) from another site are
 * refused with 403 "CSRF validation failed", as agentgateway decides it:
 *   - `Sec-Fetch-Site: same-origin` or `none` passes; any other value passes only when the
 *     `Origin` is one of `additionalOrigins`;
 *   - without `Sec-Fetch-Site`: no `Origin` (or `null`) passes (SDKs, curl: not a browser), an
 *     `Origin` equal to the request's own (`scheme://host[:port]`) or listed passes, others fail.
 */
import { z } from "zod";
import { HttpError } from "../http/errors.ts";
import type { RequestContext } from "../server/context.ts";
import { definePolicy } from "./types.ts";
import { requestOrigin } from "./url-parts.ts";

const CsrfSchema = z.strictObject({ additionalOrigins: z.array(z.string().min(1)).nullish() }).meta({ id: "CsrfPolicy" });

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export const csrf = definePolicy({
  key: "csrf",
  schema: CsrfSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw) {
    const trusted = new Set(raw.additionalOrigins ?? []);
    return {
      key: "csrf",
      handle: (ctx, next) => (SAFE.has(ctx.method) || allowed(ctx, trusted) ? next(ctx) : Promise.reject(new HttpError(403, "CSRF validation failed", { type: "permission_error", code: "csrf_failed" }))),
    };
  },
});

function allowed(ctx: RequestContext, trusted: ReadonlySet<string>): boolean {
  const site = ctx.req.headers.get("sec-fetch-site");
  const raw = ctx.req.headers.get("origin");
  const origin = raw === null || raw === "null" ? undefined : raw;
  if (site !== null) return site === "same-origin" || site === "none" || (origin !== undefined && trusted.has(origin));
  if (origin === undefined) return true;
  const own = requestOrigin(ctx.req);
  return origin === `${own.scheme}://${own.authority}` || trusted.has(origin);
}
