/**
 * The client's headers on a call to a provider of another format (and the client's keys on any
 * call that carries the gateway's own credentials):
 * - protocol headers of the client's API (`anthropic-version`, `anthropic-beta`, Anthropic's
 *   browser flag, `x-goog-api-client`) are not the provider's business and are not forwarded,
 *   except `anthropic-beta` to a target whose translation is Anthropic Messages (Anthropic, Claude
 *   on Vertex, which takes the header as Anthropic does): the flags switch on features the
 *   request uses (context management, 1M context...), and dropping them fails such requests
 *   or silently changes them. (Bedrock takes its flags in the body: adapt.ts.)
 * - the client's key in its format's own header (`x-api-key`, `x-goog-api-key`): never forwarded
 *   when the gateway sends its own credentials (backendAuth); otherwise it goes on as
 *   `Authorization: Bearer`, which each provider's header fix-up moves to its own key header.
 */
import type { ProviderTarget } from "../../config/model.ts";
import { speaksMessages } from "./adapt.ts";

const PROTOCOL_HEADERS = ["anthropic-version", "anthropic-beta", "anthropic-dangerous-direct-browser-access", "x-goog-api-client"];
const KEY_HEADERS = ["x-api-key", "x-goog-api-key"];

/** For a translated call (the client's format is not the provider's) to `model` (undefined: not known). */
export function formatHeaders(target: ProviderTarget, model: string | undefined): (headers: Headers) => void {
  const keepBeta = model !== undefined && speaksMessages(target, model);
  return (headers) => {
    for (const name of PROTOCOL_HEADERS) if (!(keepBeta && name === "anthropic-beta")) headers.delete(name);
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
