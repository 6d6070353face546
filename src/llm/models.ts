/**
 * `GET /v1/models` (and `/v1/models/{id}`), always answered in the OpenAI list shape: the
 * configured models, plus the upstream's own list for providers with no pinned model.
 */
import type { LlmModelEntry, ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import type { LlmExchange } from "./handler.ts";
import { modelIdFromPath } from "./route-type.ts";

/** Process start, OpenAI's `created` for configured models (as agentgateway does). */
const STARTED = Math.floor(Date.now() / 1000);

interface ModelObject {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
}

export type ModelSource = ProviderTarget | LlmModelEntry;

export async function listModels(
  x: LlmExchange,
  sources: ModelSource[],
  fetchUpstream: (target: ProviderTarget) => Promise<ModelObject[]>,
): Promise<Response> {
  const seen = new Map<string, ModelObject>();
  const add = (m: ModelObject) => {
    if (!seen.has(m.id)) seen.set(m.id, m);
  };
  let failure: HttpError | undefined;
  for (const s of sources) {
    const target = "target" in s ? s.target : s;
    const configured = "target" in s ? (s.name.includes("*") ? undefined : s.name) : target.model;
    if (configured !== undefined) {
      add({ id: configured, object: "model", created: STARTED, owned_by: target.telemetryName });
      continue;
    }
    try {
      const list = await fetchUpstream(target);
      for (const m of list) if (!("target" in s) || s.matches(m.id)) add(m);
    } catch (err) {
      failure ??= err instanceof HttpError ? err : new HttpError(502, "could not list the upstream's models", { code: "upstream_models_failed" });
    }
  }
  if (seen.size === 0 && failure) throw failure;
  x.log.operation = "models";
  const id = modelIdFromPath(x.path);
  let body: string;
  if (id !== undefined) {
    const m = seen.get(id);
    if (!m) throw new HttpError(404, `model '${id}' does not exist on this gateway`, { code: "model_not_found", param: "model" });
    body = JSON.stringify(m);
  } else {
    body = JSON.stringify({ object: "list", data: [...seen.values()] });
  }
  x.log.status = 200;
  x.done();
  return new Response(body, { headers: { "content-type": "application/json" } });
}
