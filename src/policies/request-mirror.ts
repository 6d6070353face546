/**
 * `requestMirror`: a copy of a share (`percentage`, 0..1) of the route's requests goes to another
 * host, fire and forget: its answer is read and dropped, its failures are never the client's
 * (shadow traffic to try a new model server on real requests). The copy is the request as the
 * route's filters send it upstream: their `send` hooks run on it, so a client credential they
 * remove (API key, JWT, basic auth, in any location) is removed from the copy too, and the
 * client's `authorization` / `x-api-key` never reach the mirror. A request with a body is
 * buffered first (within the gateway's body limit) so both calls get it.
 *
 * Deliberate difference: agentgateway copies the client's credentials; here they stay with the
 * gateway. The mirror named as a `backend` or `service` is not supported yet (use `host`).
 */
import { z } from "zod";
import { originOf } from "../config/compile/backends.ts";
import { upstreamHeaders } from "../http/headers.ts";
import type { UpstreamRequest } from "../llm/types.ts";
import type { RequestContext } from "../server/context.ts";
import { runSend } from "./chain.ts";
import { notYetFields } from "../config/schema/parts.ts";
import { definePolicy, type Policy } from "./types.ts";
import { notice } from "../limits/notice.ts";

const RequestMirrorSchema = z
  .strictObject({
    backend: z.strictObject({ host: z.string().min(1), ...notYetFields(["backend", "service"]) }),
    percentage: z.number().min(0).max(1),
  })
  .meta({ id: "RequestMirrorPolicy" });

/** a mirror that does not answer within this is abandoned (it must not hold memory for long) */
const MIRROR_TIMEOUT_MS = 30_000;
/**
 * Copies in flight to one mirror at most (Envoy's default circuit breaker): a mirror that stalls
 * would otherwise hold a socket and a body for every mirrored request for 30 s each, which at a
 * few hundred requests a second takes the descriptors and memory the real traffic needs. Beyond
 * it a request is served without its copy (shadow traffic is a sample).
 */
const MAX_MIRRORS_IN_FLIGHT = 1024;

export const requestMirror = definePolicy({
  key: "requestMirror",
  schema: RequestMirrorSchema,
  levels: ["route"],
  atRoute: "filter",
  compile(raw, ctx) {
    const origin = originOf(raw.backend.host, false);
    if (!origin) {
      ctx.issue([...ctx.path, "backend", "host"], `invalid host ${JSON.stringify(raw.backend.host)}: expected host:port`);
      return undefined;
    }
    const share = raw.percentage;
    let inFlight = 0;
    return {
      key: "requestMirror",
      handle: async (reqCtx, next) => {
        if (share <= 0 || (share < 1 && reqCtx.deps.random() >= share)) return await next(reqCtx);
        if (inFlight >= MAX_MIRRORS_IN_FLIGHT) {
          notice("warn", `mirror:${origin}`, `requestMirror: ${MAX_MIRRORS_IN_FLIGHT} copies to ${origin} are still in flight; requests go on without their copy until some end`, { mirror: origin });
          return await next(reqCtx);
        }
        // counted before the body is read: requests arriving meanwhile see this copy already
        inFlight++;
        const hasBody = reqCtx.method !== "GET" && reqCtx.method !== "HEAD" && reqCtx.req.body !== null;
        let body: Uint8Array | null;
        try {
          body = hasBody ? await reqCtx.bytes() : null; // the primary call then reads the same bytes
        } catch (err) {
          inFlight--;
          throw err;
        }
        void mirror(reqCtx, origin, body).finally(() => inFlight--);
        return await next(reqCtx);
      },
    };
  },
});

async function mirror(ctx: RequestContext, origin: string, body: Uint8Array | null): Promise<void> {
  const url = new URL(`${origin}${ctx.path}${ctx.query ? `?${ctx.query}` : ""}`);
  const req: UpstreamRequest = { url, method: ctx.method, headers: upstreamHeaders(ctx.req.headers, true), body };
  try {
    await runSend(ctx.route.policies.filter(sendsOnly), req, ctx);
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: "manual", signal: AbortSignal.timeout(MIRROR_TIMEOUT_MS) });
    await res.body?.cancel(); // the answer is not wanted: nothing of it is held
  } catch {
    // the mirror's failure is not the client's
  }
}

/** the route's filters that edit upstream requests, this one excepted */
const sendsOnly = (p: Policy) => p.send !== undefined && p.key !== "requestMirror";
