/**
 * The client's headers on a call to a provider of another format (and the client's keys on any
 * call that carries the gateway's own credentials):
 * - protocol headers of the client's API (`anthropic-version`, `anthropic-beta`, Anthropic's
 *   browser flag, `x-goog-api-client`) are not the provider's business and are not forwarded;
 * - the client's key in its format's own header (`x-api-key`, `x-goog-api-key`): never forwarded
 *   when the gateway sends its own credentials (backendAuth); otherwise it goes on as
 *   `Authorization: Bearer`, which each provider's header fix-up moves to its own key header.
 */
import type { ProviderTarget } from "../../config/model.ts";

const PROTOCOL_HEADERS = ["anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access", "x-goog-api-client"];
const KEY_HEADERS = ["x-api-key", "x-goog-api-key"];

/** For a translated call (the client's format is not the provider's). */
export function formatHeaders(_client: Headers, target: ProviderTarget): (headers: Headers) => void {
  return (headers) => {
    for (const name of PROTOCOL_HEADERS) headers.delete(name);
    let key: string | null = null;
    for (const name of KEY_HEADERS) {
      key ??= headers.get(name);
      headers.delete(name);
    }
    if (!target.stripClientAuth && key !== null && !headers.has("authorization")) headers.set("authorization", `Bearer ${key}`);
  };
}

/** For a native call: the client's own-format key stays only when the gateway adds none. */
export function nativeHeaders(target: ProviderTarget): ((headers: Headers) => void) | undefined {
  if (!target.stripClientAuth) return undefined;
  return (headers) => {
    for (const name of KEY_HEADERS) headers.delete(name);
  };
}
