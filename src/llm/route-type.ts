/**
 * Which LLM API a request on an `ai` backend speaks, from its path. Without `policies.ai.routes`
 * the gateway uses the default table of agentgateway's `llm:` router (a deliberate difference:
 * agentgateway parses every path on an `ai` backend as a chat completion).
 */
import { HttpError } from "../http/errors.ts";
import type { RouteType } from "./types.ts";

const DEFAULT_TABLE: readonly [string, RouteType][] = sortTable([
  ["/chat/completions", "completions"],
  ["/v1/messages", "messages"],
  ["/v1/messages/count_tokens", "anthropicTokenCount"],
  [":rawPredict", "messages"],
  [":streamRawPredict", "messages"],
  [":generateContent", "generateContent"],
  [":streamGenerateContent", "generateContent"],
  [":countTokens", "geminiCountTokens"],
  ["/v1/responses", "responses"],
  ["/v1/realtime", "realtime"],
  ["/v1/responses/compact", "detect"],
  ["/v1/images/generations", "detect"],
  ["/v1/images/edits", "detect"],
  ["/v1/images/variations", "detect"],
  ["/embeddings", "embeddings"],
  ["/v1/rerank", "rerank"],
  ["/v2/rerank", "rerank"],
]);

/** Longest suffix first, so `/v1/messages/count_tokens` wins over `/v1/messages`. */
export function sortTable(entries: [string, RouteType][]): [string, RouteType][] {
  return entries.filter(([k]) => k !== "*").sort((a, b) => b[0].length - a[0].length);
}

/**
 * @param table explicit `policies.ai.routes` (sorted, without "*"), or undefined for the default
 * @param fallback the route type for paths no entry matches
 */
export function detectRouteType(
  method: string,
  path: string,
  table: readonly (readonly [string, RouteType])[] | undefined,
  fallback: RouteType,
): RouteType {
  const p = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  for (const [suffix, type] of table ?? DEFAULT_TABLE) if (p.endsWith(suffix)) return type;
  if (table === undefined && (method === "GET" || method === "HEAD") && isModelsPath(p)) return "models";
  // the model list with another method: answered as a wrong method (405), not passed on
  if (table === undefined && p.endsWith("/models")) return "models";
  return fallback;
}

/** The methods a route type's API accepts (undefined: any, the upstream decides). */
const METHODS: Partial<Record<RouteType, string>> = {
  completions: "POST",
  embeddings: "POST",
  messages: "POST",
  anthropicTokenCount: "POST",
  responses: "POST",
  generateContent: "POST",
  geminiCountTokens: "POST",
  rerank: "POST",
  models: "GET, HEAD",
  realtime: "GET",
};

/** A 405 with `allow` when `method` is not one the route type's API accepts. */
export function checkMethod(routeType: RouteType, method: string, path: string): void {
  const allow = METHODS[routeType];
  if (allow === undefined || allow.split(", ").includes(method)) return;
  throw new HttpError(405, `${method} is not allowed on ${path}: use ${allow.replace(", ", " or ")}`, {
    type: "invalid_request_error",
    code: "method_not_allowed",
    headers: { allow },
  });
}

/** `/v1/models`, `/models` and `/v1/models/{id}` (but not Gemini's `/v1beta/models/{m}:action`). */
function isModelsPath(p: string): boolean {
  if (p.endsWith("/models")) return true;
  const i = p.lastIndexOf("/models/");
  return i !== -1 && !p.includes(":", i) && p.indexOf("/", i + 8) === -1;
}

/** The model id of `GET /v1/models/{id}`, or undefined for the list. */
export function modelIdFromPath(p: string): string | undefined {
  const i = p.lastIndexOf("/models/");
  if (i === -1) return undefined;
  const id = p.slice(i + 8).replace(/\/$/, "");
  return id === "" ? undefined : decodeURIComponent(id);
}
