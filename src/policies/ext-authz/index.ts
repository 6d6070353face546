/**
 * `extAuthz`: every request is first put to an external authorization service (OPA, Authorino,
 * a team's own), over gRPC (Envoy's ext_authz protocol, the default) or HTTP. An allowing answer
 * may edit the upstream request's headers (and add headers to the client's answer); a denial is
 * answered in the client's own error shape with the service's status and its body as the
 * message; a service that cannot decide (unreachable, 2 s without an answer, a malformed reply)
 * is handled by `failureMode`: `deny` (default: 403), `allow`, or `denyWithStatus`.
 *
 * Security: the service is the config's `host` only (a path expression cannot name another host);
 * the headers it sets never include `host` or framing headers; the client's credential goes to
 * the authorization service (that is what it judges) and, as always, not to the provider.
 * `{conditional: [...]}`: the first entry whose `condition` holds asks its service (none: no
 * check). On a backend, the service is asked before each upstream call.
 * Not supported yet (fail the load by name): a `backend` or `service` target, `policies` for the
 * call, HTTP `redirect`, `body` and `metadata`. `cache` keeps verdicts per CEL key (cache.ts).
 */
import { celField, celVars, evalBool, prepareCel, type CelExpression } from "../../cel/index.ts";
import { originOf } from "../../config/compile/backends.ts";
import type { YamlPath } from "../../config/errors.ts";
import { HttpError } from "../../http/errors.ts";
import type { RequestContext } from "../../server/context.ts";
import { conditionalEntries } from "../conditional.ts";
import { definePolicy, type PolicyCompileContext } from "../types.ts";
import { compileCache, type VerdictCache } from "./cache.ts";
import { grpcChecker } from "./grpc-check.ts";
import { httpChecker } from "./http-check.ts";
import { ExtAuthzSchema, type RawExtAuthz, type RawFailureMode } from "./schema.ts";
import { answerable, applyEdits, selectHeaders, type CheckInput, type Verdict } from "./verdict.ts";

/** agentgateway's default time for a check (its HTTP call's; the gRPC call gets the same) */
const CHECK_TIMEOUT_MS = 2000;
/** agentgateway's default `includeRequestBody.maxRequestBytes` */
const DEFAULT_MAX_BODY = 8192;

type Allowed = Extract<Verdict, { kind: "allow" }>;
/** What an allowing verdict leaves for the upstream request and the answer, per exchange. */
const allowed = new WeakMap<RequestContext, Allowed>();

/** One compiled service: when it applies, how to ask it, and what to do when it cannot answer. */
interface Authz {
  condition: CelExpression | undefined;
  check: (input: CheckInput) => Promise<Verdict>;
  include: readonly string[] | undefined;
  body: RawExtAuthz["includeRequestBody"];
  failure: RawFailureMode;
  cache: VerdictCache | undefined;
}

export const extAuthz = definePolicy({
  key: "extAuthz",
  schema: ExtAuthzSchema,
  levels: ["gateway", "route", "llm", "backend"],
  atRoute: "filter",
  compile(raw, ctx) {
    const entries: [RawExtAuthz & { condition?: string | null | undefined }, YamlPath][] = "conditional" in raw ? conditionalEntries(raw.conditional, ctx) : [[raw, ctx.path]];
    const compiled = entries.map(([e, path]) => compileEntry(e, path, ctx));
    const all = compiled.filter((a): a is { authz: Authz; exprs: CelExpression[] } => a !== undefined);
    if (all.length !== entries.length) return undefined; // each failure was reported
    const exprs = all.flatMap((a) => a.exprs);
    const authz = all.map((a) => a.authz);
    const verdictFor = async (reqCtx: RequestContext): Promise<Allowed | undefined> => {
      await prepareCel(reqCtx, exprs);
      const a = authz.find((x) => !x.condition || evalBool(x.condition, celVars(reqCtx)));
      return a ? await decide(a, reqCtx) : undefined;
    };
    const present = (headers: Headers, reqCtx: RequestContext) => {
      for (const [name, value] of allowed.get(reqCtx)?.answer ?? []) if (answerable(name)) headers.append(name, value);
    };
    if (ctx.atBackend) {
      // on a backend: asked before each upstream call, the edits made on that call
      return {
        key: "extAuthz",
        async send(req, reqCtx) {
          const v = await verdictFor(reqCtx);
          if (v) applyEdits(req.headers, v.upstream, v.remove);
        },
        present,
      };
    }
    return {
      key: "extAuthz",
      async handle(reqCtx, next) {
        await verdictFor(reqCtx);
        return await next(reqCtx);
      },
      send(req, reqCtx) {
        const v = allowed.get(reqCtx);
        if (v) applyEdits(req.headers, v.upstream, v.remove);
      },
      present,
    };
  },
});

/** Asks the service; an allowing verdict is kept for the exchange's upstream request and answer, any other is thrown. */
async function decide(a: Authz, ctx: RequestContext): Promise<Allowed | undefined> {
  const cache = a.cache;
  const key = cache?.keyOf(celVars(ctx));
  const cached = cache && key !== undefined ? cache.get(key) : undefined;
  const verdict = cached ?? (await a.check(await checkInput(ctx, a.include, a.body)));
  if (cache && key !== undefined && !cached) cache.put(key, verdict, celVars(ctx));
  if (verdict.kind === "failed") {
    if (a.failure === "allow") return undefined;
    throw denied(failureStatus(a.failure), `external authorization failed: ${verdict.reason}`, "external_authorization_failed", []);
  }
  if (verdict.kind === "deny") {
    const text = verdict.body.trim();
    // a denial is an error status whatever the service said (a 2xx "denial" would read as success)
    throw denied(verdict.status >= 300 && verdict.status <= 599 ? verdict.status : 403, text ? `denied by the external authorization service: ${text}` : "denied by the external authorization service", "external_authorization_denied", verdict.headers);
  }
  allowed.set(ctx, verdict);
  return verdict;
}

function compileEntry(e: RawExtAuthz & { condition?: string | null | undefined }, path: YamlPath, ctx: PolicyCompileContext): { authz: Authz; exprs: CelExpression[] } | undefined {
  const origin = originOf(e.host, false);
  if (!origin) {
    ctx.issue([...path, "host"], `invalid host ${JSON.stringify(e.host)}: expected host:port or a URL`);
    return undefined;
  }
  const condition = e.condition ? celField(ctx, e.condition, [...path, "condition"]) : undefined;
  const asked = checker(e, origin, path, ctx);
  const cache = e.cache ? compileCache(e.cache, [...path, "cache"], ctx) : undefined;
  if (!asked || (e.condition && !condition) || (e.cache && !cache)) return undefined;
  const http = e.protocol && "http" in e.protocol;
  return {
    // gRPC sends every header by default, HTTP only `authorization` (agentgateway's defaults)
    authz: { condition, check: asked.check, include: e.includeRequestHeaders ?? (http ? ["authorization"] : undefined), body: e.includeRequestBody, failure: e.failureMode ?? "deny", cache },
    exprs: [...asked.exprs, ...(condition ? [condition] : []), ...(cache?.exprs ?? [])],
  };
}

function checker(raw: RawExtAuthz, origin: string, at: YamlPath, ctx: PolicyCompileContext): { check: (input: CheckInput) => Promise<Verdict>; exprs: CelExpression[] } | undefined {
  const protocol = raw.protocol;
  if (!protocol || "grpc" in protocol) {
    const grpc = protocol?.grpc;
    const metadata = grpc?.metadata ? celEntries(grpc.metadata, [...at, "protocol", "grpc", "metadata"], ctx) : undefined;
    if (grpc?.metadata && !metadata) return undefined;
    const check = grpcChecker({ origin, context: grpc?.context ?? {}, metadata, packAsBytes: raw.includeRequestBody?.packAsBytes === true, timeoutMs: CHECK_TIMEOUT_MS });
    return { check, exprs: (metadata ?? []).map(([, e]) => e) };
  }
  const httpAt = [...at, "protocol", "http"];
  const http = protocol.http;
  const path = http.path ? celField(ctx, http.path, [...httpAt, "path"]) : undefined;
  const addHeaders = celEntries(http.addRequestHeaders ?? {}, [...httpAt, "addRequestHeaders"], ctx);
  if ((http.path && !path) || !addHeaders) return undefined;
  const check = httpChecker({ origin, path, addHeaders: addHeaders.map(([name, e]) => [name.toLowerCase(), e]), includeResponseHeaders: http.includeResponseHeaders ?? [], timeoutMs: CHECK_TIMEOUT_MS });
  return { check, exprs: [...(path ? [path] : []), ...addHeaders.map(([, e]) => e)] };
}

/** Each value compiled as CEL (reported at its key); undefined when one does not compile. */
function celEntries(map: Readonly<Record<string, string>>, at: YamlPath, ctx: PolicyCompileContext): [string, CelExpression][] | undefined {
  const out: [string, CelExpression][] = [];
  for (const [key, source] of Object.entries(map)) {
    const expr = celField(ctx, source, [...at, key]);
    if (!expr) return undefined;
    out.push([key, expr]);
  }
  return out;
}

async function checkInput(ctx: RequestContext, include: readonly string[] | undefined, body: RawExtAuthz["includeRequestBody"]): Promise<CheckInput> {
  const headers = selectHeaders(ctx, include);
  const hasBody = ctx.method !== "GET" && ctx.method !== "HEAD" && ctx.req.body !== null;
  if (!body || !hasBody) return { ctx, headers, body: new Uint8Array(0), size: Number(ctx.req.headers.get("content-length") ?? 0) || 0, partial: false };
  const bytes = await ctx.bytes();
  const max = body.maxRequestBytes || DEFAULT_MAX_BODY;
  if (bytes.byteLength > max && !body.allowPartialMessage) {
    throw new HttpError(413, `request body is larger than the ${max} bytes the authorization check may see`, { code: "request_body_too_large" });
  }
  return { ctx, headers, body: bytes.subarray(0, max), size: bytes.byteLength, partial: bytes.byteLength > max };
}

function failureStatus(mode: RawFailureMode): number {
  return typeof mode === "object" ? mode.denyWithStatus : 403;
}

function denied(status: number, message: string, code: string, headers: readonly (readonly [string, string])[]): HttpError {
  const passed = Object.fromEntries(headers.filter(([name]) => answerable(name)));
  return new HttpError(status, message, { code, ...(Object.keys(passed).length > 0 ? { headers: passed } : {}) });
}
