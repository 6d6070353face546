/**
 * Request headers for api.anthropic.com, fixed up after backend auth (agentgateway's rules):
 * `Authorization: Bearer <key>` moves to `x-api-key` unless it is an OAuth token (`sk-ant-oat...`,
 * which Anthropic takes as a bearer token); `anthropic-version` is set unless the client chose one;
 * browser headers go, since Anthropic refuses CORS requests from unknown origins.
 */
import { moveBearerToKeyHeader } from "../key-header.ts";

export const ANTHROPIC_VERSION = "2023-06-01";

const BROWSER_HEADERS = ["origin", "referer", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest", "sec-fetch-user", "access-control-request-method", "access-control-request-headers"];

export function finalizeAnthropicHeaders(headers: Headers): void {
  moveBearerToKeyHeader(headers, "x-api-key", (token) => token.startsWith("sk-ant-oat"));
  if (!headers.has("anthropic-version")) headers.set("anthropic-version", ANTHROPIC_VERSION);
  for (const name of BROWSER_HEADERS) headers.delete(name);
}
