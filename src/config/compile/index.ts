/**
 * Raw (validated) config -> runtime model. Resolves references, secrets, files and defaults, and
 * reports what the schema alone cannot see (unknown references, duplicate ports, bad regexes,
 * missing provider settings), each located in the file. Every problem at once; never throws.
 */
import type { ConfigIssue } from "../errors.ts";
import type { GatewayConfig } from "../model.ts";
import type { Locator, Result } from "../parse.ts";
import type { RawConfig } from "../schema.ts";
import { backendCompiler } from "./backends.ts";
import { compileContext, type CompileOptions } from "./context.ts";
import { compileListeners, compileRoute, singleBackendRoute } from "./listeners.ts";
import { compileLimitStore } from "./limits.ts";
import { compileLlm } from "./llm.ts";
import { compileRouteFilters } from "./policies.ts";
import { compileSettings } from "./settings.ts";

export type { CompileOptions } from "./context.ts";
export { DEFAULT_MAX_BODY_BYTES } from "./settings.ts";

export function compileConfig(raw: RawConfig, locator: Locator, opts: CompileOptions): Result<GatewayConfig, ConfigIssue[]> {
  const ctx = compileContext(locator, opts);
  const settings = compileSettings(ctx, raw);
  ctx.limits = compileLimitStore(ctx, raw.config?.redis);
  const backends = backendCompiler(ctx, raw.backends ?? []);
  const listeners = compileListeners(ctx, raw, backends);

  for (const [ri, r] of (raw.routes ?? []).entries()) {
    const { gateways, ...route } = r;
    listeners.attach(gateways, ["routes", ri, "gateways"], compileRoute(ctx, backends, route, ["routes", ri], `route${ri}`));
  }

  const llm = raw.llm;
  if (llm) {
    const input = singleBackendRoute("llm:request", compileLlm(ctx, llm), compileRouteFilters(ctx, llm.policies, ["llm", "policies"]));
    const port = llm.port ?? undefined;
    if (llm.gateways !== undefined && llm.gateways !== null) {
      if (port !== undefined) ctx.issue(["llm", "port"], "'port' cannot be combined with 'gateways'");
      listeners.attach(llm.gateways, ["llm", "gateways"], input);
    } else if (port === undefined && listeners.has("default")) {
      listeners.attach("default", ["llm"], input);
    } else if (!listeners.addPort(port ?? 4000, ["llm"], { name: "llm", hostname: undefined, tls: undefined, routes: [input] })) {
      ctx.issue(["llm", "port"], `llm port ${port ?? 4000} is already used by a bind or gateway`);
    }
  }

  const binds = listeners.binds();
  if (ctx.issues.length > 0) return { ok: false, errors: ctx.issues };
  return { ok: true, value: { binds, ...settings, limitTable: ctx.limitTable } };
}
