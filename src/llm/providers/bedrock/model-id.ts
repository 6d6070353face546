/**
 * Bedrock model ids: plain ids (`anthropic.claude-3-5-haiku-20241022-v1:0`), cross-region
 * inference profiles (`us.` / `eu.` / `apac.` / `global.` ... + id) and ARNs (foundation models,
 * inference profiles, application inference profiles, provisioned throughput). All go into the URL
 * path as one encoded segment (`:` and `/` included).
 */
import { pathSegment } from "../../../http/request-path.ts";

/** The path segment for a model id. */
export function modelPathSegment(modelId: string): string {
  return pathSegment(modelId, "model");
}

const PROFILE_PREFIX = /^(?:us|eu|apac|global|us-gov|ca|jp|au)\./;

/**
 * The foundation model behind an id, for capability decisions (prompt caching, reasoning
 * parameters, embeddings request shape): the region prefix and the ARN wrapper removed.
 * Opaque ARNs (application inference profiles, provisioned models) give undefined.
 */
export function baseModelId(modelId: string): string | undefined {
  let id = modelId;
  if (id.startsWith("arn:")) {
    const resource = id.split(":").slice(5).join(":"); // e.g. "foundation-model/anthropic.claude-...:0"
    const slash = resource.indexOf("/");
    const kind = resource.slice(0, slash);
    if (slash === -1 || (kind !== "foundation-model" && kind !== "inference-profile")) return undefined;
    id = resource.slice(slash + 1);
  }
  return id.replace(PROFILE_PREFIX, "");
}

/** The model family that decides request shapes: the provider part of the base id. */
export function modelFamily(modelId: string): string | undefined {
  const base = baseModelId(modelId);
  return base === undefined ? undefined : base.split(".")[0];
}
