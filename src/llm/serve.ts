/**
 * Serving one request on an LLM backend (`ai` or `llm:`): which provider(s) may serve it, which
 * API the path speaks, then chat, embeddings, the model list, a native API or a passthrough.
 * First of all, a path naming a response the gateway wrote (`/responses/resp_agw_...`: retrieve,
 * delete, cancel, input items) is answered here with a 404 saying why, on either backend form:
 * no provider holds it (formats/responses-chain.ts).
 */
import type { AiBackend, LlmBackend, ProviderTarget, VirtualModel } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import type { RequestContext } from "../server/context.ts";
import { serveChat, serveFormat } from "./chat.ts";
import { serveCountTokens } from "./count-tokens.ts";
import { anthropicFormat } from "./formats/anthropic.ts";
import { formatOfRoute } from "./formats/errors.ts";
import { geminiFormat } from "./formats/gemini.ts";
import { responsesFormat } from "./formats/responses.ts";
import { refuseGatewayResponsePath } from "./formats/responses-chain.ts";
import { serveRealtime } from "./realtime.ts";
import { serveEmbeddings } from "./embeddings.ts";
import { listModels } from "./models.ts";
import { serveNative, servePassthrough } from "./passthrough.ts";
import { checkMethod, detectRouteType } from "./route-type.ts";
import { modelFromPath } from "./requested-model.ts";
import { orderCandidates, type WeightedTarget } from "./failover/order.ts";
import { celVars, evalBool, prepareCel } from "../cel/index.ts";
import { candidates } from "./targets.ts";
import type { RouteType } from "./types.ts";

/** Not async (nothing to wait for here): one frame fewer on every request; callers await it. */
export function serveAiBackend(ctx: RequestContext, backend: AiBackend): Promise<Response> {
  refuseGatewayResponsePath(ctx.path);
  const targets = candidates(backend, ctx.deps.random);
  // the route table of the provider first in line (normally set once, on the backend)
  const routes = targets[0]!.routes;
  const routeType = detectRouteType(ctx.method, ctx.path, routes?.table, routes ? routes.fallback : "passthrough");
  checkMethod(routeType, ctx.method, ctx.path);
  if (routeType === "models") return listModels(ctx, backend.groups.flat());
  return serveRouteType(ctx, targets, routeType);
}

export async function serveLlmBackend(ctx: RequestContext, backend: LlmBackend): Promise<Response> {
  refuseGatewayResponsePath(ctx.path);
  const routeType = detectRouteType(ctx.method, ctx.path, undefined, "passthrough");
  checkMethod(routeType, ctx.method, ctx.path);
  if (routeType === "models") return await listModels(ctx, [...backend.models.filter((m) => m.visibility === "public"), ...[...backend.virtualModels.values()].map((v) => v.listing)]);
  // the realtime socket names its model in the query (a GET has no body)
  const queryModel = routeType === "realtime" ? (new URLSearchParams(ctx.query).get("model") ?? undefined) : undefined;
  const model = modelFromPath(ctx.path) ?? queryModel ?? (await bodyModel(ctx));
  const virtual = backend.virtualModels.get(model);
  if (virtual) return await serveRouteType(ctx, orderCandidates(await virtualGroups(ctx, virtual), ctx.deps.random), routeType);
  const entry = backend.models.find((m) => m.visibility === "public" && m.matches(model) && (m.headerMatches.length === 0 || m.headerMatches.some((h) => h(ctx.req.headers))));
  if (!entry) throw new HttpError(404, `model '${model}' is not configured on this gateway`, { code: "model_not_found", param: "model" });
  const type = routeType === "passthrough" && entry.target.passthrough === "detect" ? "detect" : routeType;
  return await serveRouteType(ctx, [entry.target], type);
}

/** The targets a virtual model routes this request to: its first route whose condition holds. */
async function virtualGroups(ctx: RequestContext, virtual: VirtualModel): Promise<WeightedTarget[][]> {
  const only = virtual.routes[0]!;
  if (virtual.routes.length === 1 && !only.when) return only.groups;
  await prepareCel(ctx, virtual.routes.map((r) => r.when));
  const vars = celVars(ctx);
  const route = virtual.routes.find((r) => !r.when || evalBool(r.when, vars));
  if (!route) throw new HttpError(404, `virtual model '${virtual.name}' has no target for this request (no condition holds)`, { code: "model_not_found", param: "model" });
  return route.groups;
}

/** The `model` of a JSON body: the llm: form cannot route a request without one. */
async function bodyModel(ctx: RequestContext): Promise<string> {
  const contentType = ctx.req.headers.get("content-type") ?? "";
  if (!contentType.includes("json") && ctx.method !== "POST") {
    throw new HttpError(400, "LLM request is missing a model: send a JSON body with a string field 'model'", { code: "missing_model" });
  }
  const model = (await ctx.json()).model;
  if (typeof model !== "string" || model === "") {
    throw new HttpError(400, "LLM request body is missing string field 'model'", { code: "missing_model", param: "model" });
  }
  return model;
}

function serveRouteType(ctx: RequestContext, targets: readonly ProviderTarget[], routeType: RouteType): Promise<Response> {
  ctx.errorFormat = formatOfRoute(routeType);
  switch (routeType) {
    case "completions":
      return serveChat(ctx, targets);
    case "messages":
      return serveFormat(ctx, targets, anthropicFormat);
    case "responses":
      return serveFormat(ctx, targets, responsesFormat);
    case "generateContent":
      return serveFormat(ctx, targets, geminiFormat);
    case "anthropicTokenCount":
    case "geminiCountTokens":
      return serveCountTokens(ctx, targets, routeType);
    case "realtime":
      return serveRealtime(ctx, targets);
    case "embeddings":
      return serveEmbeddings(ctx, targets);
    case "passthrough":
    case "detect":
      return servePassthrough(ctx, targets, routeType === "detect");
    default:
      return serveNative(ctx, targets, routeType);
  }
}
