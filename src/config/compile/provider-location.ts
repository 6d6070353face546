/**
 * Where a provider lives, resolved once when the config is compiled: the upstream origin
 * (configured override or the provider's default), the base path every native path is built on,
 * and how a passthrough route maps the client's path onto it.
 *
 * `pathPrefix` keeps agentgateway's meaning: for OpenAI-style and Anthropic providers it replaces
 * the default base `/v1`; for Gemini, Vertex, Bedrock and Azure it is prepended to the full
 * native path (CONFIG.md, "Where we deliberately differ").
 */
import { upstreamOrigin, type UpstreamOrigin } from "../../http/upstream-url.ts";
import type { ResolvedProvider } from "../../llm/providers/define.ts";

export interface ProviderLocation {
  origin: UpstreamOrigin;
  /** the base path native paths are built on, with the prefix applied */
  basePath: string;
  /** a passthrough route's upstream path for the client's (normalised) path */
  passthroughPath(clientPath: string): string;
}

/**
 * @param override `scheme://host:port` from `hostOverride` / `baseUrl`, when configured
 * @param prefix the configured `pathPrefix` (already validated as an absolute path)
 * @returns the location, or a message saying what is wrong with the configured host
 */
export function providerLocation(provider: ResolvedProvider, override: string | undefined, prefix: string | undefined): ProviderLocation | string {
  const native = provider.defaultBase;
  const base = override ?? native.origin;
  if (!base) return "no upstream host: set 'hostOverride' (or params.baseUrl)";
  const origin = upstreamOrigin(base);
  if (!origin) return `invalid upstream host ${JSON.stringify(base)}: expected scheme://host[:port]`;
  // "/proxy/" and "/proxy" mean the same; "/" means "no prefix" (or "no base" where it replaces)
  const p = prefix === undefined ? undefined : prefix.replace(/\/+$/, "");
  if (provider.pathPrefix === "prepended") {
    const pre = p ?? "";
    return { origin, basePath: pre + native.basePath, passthroughPath: (path) => pre + underBase(path, native.basePath) };
  }
  const basePath = p ?? native.basePath;
  return { origin, basePath, passthroughPath: (path) => underBase(path, basePath) };
}

/** A client path below `/v1` moved below `base` (`/v1/files` -> `{base}/files`); other paths as they are. */
function underBase(path: string, base: string): string {
  if (base === "/v1" || !(path === "/v1" || path.startsWith("/v1/"))) return path;
  const rest = path.slice(3);
  return base + rest === "" ? "/" : base + rest;
}
