/**
 * The HTTP protocol, as agentgateway calls it: the client's method, its path (or the `path`
 * expression's), the included headers (default: `authorization` only) and the CEL
 * `addRequestHeaders`, the body when configured (with `x-envoy-auth-partial-body`). A 2xx answer
 * allows and its `includeResponseHeaders` go onto the upstream request; any other answer denies
 * with its status, body and headers. Redirects from the service are not followed.
 */
import { celVars, evalString, type CelExpression } from "../../cel/index.ts";
import type { CheckInput, Verdict } from "./verdict.ts";
import { readTextPrefix } from "../../http/body.ts";

export interface HttpCheckOptions {
  origin: string;
  path: CelExpression | undefined;
  addHeaders: readonly (readonly [string, CelExpression])[];
  includeResponseHeaders: readonly string[];
  timeoutMs: number;
}

/** A denial body longer than this is cut (it is meant for a person or a client's log) */
const MAX_DENIAL_BODY = 4096;

export function httpChecker(o: HttpCheckOptions): (input: CheckInput) => Promise<Verdict> {
  return async (input) => {
    const { ctx } = input;
    const vars = o.path || o.addHeaders.length > 0 ? celVars(ctx) : undefined;
    const path = o.path ? evalString(o.path, vars!) : ctx.query ? `${ctx.path}?${ctx.query}` : ctx.path;
    // the service's host is the config's: the path only ever extends its origin ("//host" or
    // "/\\host" from an expression must not become another host)
    const url = path?.startsWith("/") ? URL.parse(o.origin + path) : null;
    if (!url || url.origin !== o.origin) return { kind: "failed", reason: "extAuthz path expression did not give a path starting with /" };
    const headers = new Headers();
    for (const [name, value] of input.headers) if (!name.startsWith(":")) headers.set(name, value);
    for (const [name, expr] of o.addHeaders) {
      const value = evalString(expr, vars!);
      if (value !== undefined) headers.set(name, value);
    }
    const withBody = input.body.byteLength > 0 || input.partial;
    if (withBody) headers.set("x-envoy-auth-partial-body", String(input.partial));
    let res: Response;
    try {
      res = await fetch(url, {
        method: ctx.method,
        headers,
        body: withBody && ctx.method !== "GET" && ctx.method !== "HEAD" ? input.body : null,
        redirect: "manual",
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(o.timeoutMs)]),
      });
    } catch (err) {
      return { kind: "failed", reason: `authorization service call failed: ${(err as Error)?.name === "TimeoutError" ? "timed out" : "unreachable"}` };
    }
    if (res.status >= 200 && res.status < 300) {
      await res.body?.cancel();
      const upstream = o.includeResponseHeaders.flatMap((name) => {
        const value = res.headers.get(name);
        return value === null ? [] : [{ name: name.toLowerCase(), value, action: "set" as const }];
      });
      return { kind: "allow", upstream, remove: [], answer: [] };
    }
    // the denial's first characters only, and never more of the body than that read
    const body = (await readTextPrefix(res.body, MAX_DENIAL_BODY * 4)).slice(0, MAX_DENIAL_BODY);
    return { kind: "deny", status: res.status, body, headers: [...res.headers] };
  };
}
