/** Gateway configs for the Gemini suites: one bind, one `gemini` backend on the emulator. */

export const GEMINI_KEY = "AIzaTestKey0123456789";

/**
 * @param model the pinned model; null for none
 * @param auth false: no backendAuth (the client's own key goes upstream)
 * @param routePolicies extra YAML lines under the route's `policies:` (8-space indent)
 */
export function geminiConfig(host: string, opts: { model?: string | null; auth?: boolean; routePolicies?: string[] } = {}): string {
  const model = opts.model === undefined ? "gemini-2.5-flash" : opts.model;
  const policies = [...(opts.auth === false ? [] : ["        backendAuth:", `          key: ${GEMINI_KEY}`]), ...(opts.routePolicies ?? [])];
  return [
    "binds:",
    "- port: 0",
    "  listeners:",
    "  - routes:",
    ...(policies.length > 0 ? ["    - policies:", ...policies, "      backends:"] : ["    - backends:"]),
    "      - ai:",
    "          name: gemini",
    `          hostOverride: ${host}`,
    "          provider:",
    model === null ? "            gemini: {}" : `            gemini:\n              model: ${model}`,
    "",
  ].join("\n");
}
