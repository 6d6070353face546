/**
 * `GET /v1/models` (and `/v1/models/{id}`), always answered in the OpenAI list shape: the
 * configured models, plus the upstream's own list for providers with no pinned model.
 */
import type { LlmModelEntry, ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { presentResponse } from "../policies/chain.ts";
import type { RequestContext } from "../server/context.ts";
import { modelAllowed } from "../policies/identity.ts";
import { readUpstreamText } from "./answer.ts";
import { callProvider } from "./call.ts";
import { modelListShape, modelsJson } from "./formats/models.ts";
import { modelIdFromPath } from "./route-type.ts";
import { upstreamErrorResponse } from "./upstream-error.ts";

/** Process start, OpenAI's `created` for configured models (as agentgateway does). */
const STARTED = Math.floor(Date.now() / 1000);

interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

export type ModelSource = ProviderTarget | LlmModelEntry;

export async function listModels(ctx: RequestContext, sources: readonly ModelSource[]): Promise<Response> {
  ctx.outcome.requested("models", undefined);
  const seen = new Map<string, ModelObject>();
  const add = (m: ModelObject) => {
    // an API key's allowedModels narrow the list (src/policies/api-key.ts)
    if (!seen.has(m.id) && modelAllowed(ctx, m.id)) seen.set(m.id, m);
  };
  let failure: HttpError | undefined;
  for (const s of sources) {
    const target = "target" in s ? s.target : s;
    const configured = "target" in s ? (s.name.includes("*") ? undefined : s.name) : target.model;
    if (configured !== undefined) {
      add({ id: configured, object: "model", created: STARTED, owned_by: target.provider.telemetryName });
      continue;
    }
    try {
      for (const m of await upstreamModels(ctx, target)) if (!("target" in s) || s.matches(m.id)) add(m);
    } catch (err) {
      failure ??= err instanceof HttpError ? err : new HttpError(502, "could not list the upstream's models", { code: "upstream_models_failed" });
    }
  }
  if (seen.size === 0 && failure) throw failure;
  const id = modelIdFromPath(ctx.path);
  const shape = modelListShape(ctx.path, ctx.req.headers);
  if (shape !== "openai") ctx.errorFormat = shape;
  let body: string;
  if (id !== undefined) {
    const m = seen.get(id.replace(/^models\//, ""));
    if (!m) throw new HttpError(404, `model '${id}' does not exist on this gateway`, { code: "model_not_found", param: "model" });
    body = modelsJson(shape, [], m);
  } else {
    body = modelsJson(shape, [...seen.values()], undefined);
  }
  ctx.outcome.answered(200);
  ctx.outcome.finish();
  const res = new Response(body, { headers: { "content-type": "application/json" } });
  // the gateway's own answer: the route's response edits apply (no single backend's do)
  return presentResponse(ctx.route.policies, res, ctx);
}

/** The upstream's own model list (for providers without a pinned model), in the OpenAI shape. */
async function upstreamModels(ctx: RequestContext, target: ProviderTarget): Promise<ModelObject[]> {
  const translator = target.provider.models;
  const path = translator ? translator.path : target.provider.nativePath("models", undefined);
  if (path === undefined) return [];
  const res = await callProvider(ctx, target, { path, body: null });
  if (!res.ok) {
    const { message } = await upstreamErrorResponse(res, target);
    throw new HttpError(res.status, message, { code: "upstream_models_failed" });
  }
  const text = await readUpstreamText(res, ctx.bufferLimit);
  try {
    if (translator) {
      return translator.response(text).map((m) => ({ id: m.id, object: "model" as const, created: m.created ?? 0, owned_by: m.owned_by ?? target.provider.telemetryName }));
    }
    const list = JSON.parse(text) as { data?: { id?: unknown; created?: unknown; owned_by?: unknown }[] };
    return (list.data ?? [])
      .filter((m) => typeof m.id === "string")
      .map((m) => ({
        id: m.id as string,
        object: "model" as const,
        created: typeof m.created === "number" ? m.created : 0,
        owned_by: typeof m.owned_by === "string" ? m.owned_by : target.provider.telemetryName,
      }));
  } catch {
    throw new HttpError(502, `upstream ${target.provider.telemetryName} returned a model list the gateway could not read`, { code: "upstream_invalid_response" });
  }
}
