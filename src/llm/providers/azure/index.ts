/**
 * Azure OpenAI and Azure AI Foundry (`azure` provider, and the legacy `azureOpenAI` form). Azure
 * speaks the OpenAI format, so chat (streamed too), embeddings, responses and the model list pass
 * through the core untouched; this adapter only knows where they live and how Azure wants its key.
 *
 * URLs (CONFIG.md 2.2), `{suffix}` being chat/completions, embeddings, responses or models:
 *   openAI                    https://{resourceName}.openai.azure.com
 *     apiVersion v1 (default)   /openai/v1/{suffix}
 *     apiVersion preview        /openai/v1/{suffix}?api-version=preview
 *     any other version         /openai/deployments/{model}/{suffix}?api-version={v}
 *                               (responses and models: /openai/{suffix}?api-version={v})
 *   foundry, aiServices       https://{resourceName}.services.ai.azure.com
 *                               /api/projects/{projectName or resourceName}/openai/v1/{suffix}
 *   azureOpenAI (legacy)      https://{host}, paths as for openAI
 *
 * Auth: an API key (`backendAuth.key`, or the client's own) travels as `api-key`: the core sets
 * `Authorization: Bearer <key>` and finalizeHeaders moves it. Entra ID tokens stay bearers: those
 * from `backendAuth.azure` (marked by the authorizer) and any bearer that is a JWT (a client's own
 * Entra token passed through). Without backendAuth and hostOverride the default is Entra ID via
 * the implicit chain of `src/auth/azure.ts` (environment, workload identity, managed identity).
 */
import { azureDefaultAuth, hasEntraToken } from "../../../auth/azure.ts";
import { HttpError } from "../../../http/errors.ts";
import { pathSegment } from "../../../http/request-path.ts";
import type { ProviderAdapter, RouteType } from "../../types.ts";
import { isJwt, moveBearerToKeyHeader } from "../key-header.ts";

export interface AzureSpec {
  model?: string | null;
  resourceName?: string;
  resourceType?: "openAI" | "foundry" | "aiServices";
  apiVersion?: string | null;
  projectName?: string | null;
  /** the legacy `azureOpenAI` form: the full host */
  legacyHost?: string;
}

const SUFFIX: Partial<Record<RouteType, string>> = {
  completions: "/chat/completions",
  embeddings: "/embeddings",
  responses: "/responses",
  models: "/models",
  realtime: "/realtime",
};

function isFoundry(spec: AzureSpec): boolean {
  return spec.legacyHost === undefined && (spec.resourceType === "foundry" || spec.resourceType === "aiServices");
}

function apiVersion(spec: AzureSpec): string {
  return spec.apiVersion || "v1";
}

/** The v1 API (`/openai/v1/...`): Foundry always, Azure OpenAI with apiVersion v1 or preview. */
function usesV1(spec: AzureSpec): boolean {
  const v = apiVersion(spec);
  return isFoundry(spec) || v === "v1" || v === "preview";
}

function host(spec: AzureSpec): string {
  if (spec.legacyHost !== undefined) return spec.legacyHost;
  return isFoundry(spec) ? `${spec.resourceName}.services.ai.azure.com` : `${spec.resourceName}.openai.azure.com`;
}

export const azureAdapter: ProviderAdapter<AzureSpec> = {
  telemetryName: () => "azure",
  pathPrefix: "prepended",
  defaultBase(spec) {
    const h = host(spec);
    const origin = /^https?:\/\//.test(h) ? h.replace(/\/+$/, "") : `https://${h}`;
    if (isFoundry(spec)) return { origin, basePath: `/api/projects/${encodeURIComponent(spec.projectName || spec.resourceName || "")}/openai/v1` };
    return { origin, basePath: usesV1(spec) ? "/openai/v1" : "/openai" };
  },
  nativePath(route, spec, model, basePath) {
    const suffix = SUFFIX[route];
    if (suffix === undefined) return undefined;
    if (isFoundry(spec)) return basePath + suffix;
    const version = apiVersion(spec);
    if (version === "v1") return basePath + suffix;
    if (version === "preview") return `${basePath}${suffix}?api-version=preview`;
    const query = `?api-version=${encodeURIComponent(version)}`;
    if (route === "responses" || route === "models") return basePath + suffix + query;
    // the realtime socket names its deployment in the query
    if (route === "realtime") return `${basePath}${suffix}${query}${model ? `&deployment=${encodeURIComponent(model)}` : ""}`;
    if (!model) throw new HttpError(400, "Azure deployment URLs need a model (the deployment name)", { code: "missing_model", param: "model" });
    return `${basePath}/deployments/${pathSegment(model, "deployment")}${suffix}${query}`;
  },
  finalizeHeaders(headers) {
    // Entra ID tokens stay bearers: marked ones from backendAuth.azure, and any JWT a client sent
    if (!hasEntraToken(headers)) moveBearerToKeyHeader(headers, "api-key", isJwt);
  },
  defaultAuth: () => azureDefaultAuth(),
};
