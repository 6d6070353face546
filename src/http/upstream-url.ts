/**
 * The one place upstream URLs are built: the configured scheme, host and port, then a path the
 * gateway built. Nothing is ever resolved against the origin (`new URL(path, origin)` treats a
 * path starting with `//` as a network-path reference that replaces the host: the credential
 * leak this module exists to prevent), and the result is checked to still point at the origin.
 */
import { HttpError } from "./errors.ts";

/** A configured upstream origin, validated once when the config is compiled. */
export interface UpstreamOrigin {
  /** `scheme://host:port`, as configured (the prefix every upstream URL starts with) */
  readonly base: string;
  /** the WHATWG origin of `base` (default ports dropped), what every built URL must have */
  readonly origin: string;
}

/** Parses `scheme://host[:port]` (http or https, no path, credentials, query or fragment). */
export function upstreamOrigin(base: string): UpstreamOrigin | undefined {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    return undefined;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") return undefined;
  if (u.username || u.password || u.search || u.hash || (u.pathname !== "/" && u.pathname !== "")) return undefined;
  const trimmed = base.replace(/\/+$/, "");
  return { base: trimmed, origin: u.origin };
}

/**
 * `origin` + `path` (which may carry a query the gateway built, e.g. Azure's `api-version`) +
 * the client's `query`. Throws a 500 when the path is not an absolute path the gateway could
 * have meant, or when the result would leave the origin: a bug, never a client's choice.
 */
export function upstreamUrl(origin: UpstreamOrigin, path: string, query?: string): URL {
  if (path.charCodeAt(0) !== 47 || path.charCodeAt(1) === 47 || path.includes("\\") || path.includes("#")) {
    throw refused(origin);
  }
  const text = query ? `${origin.base}${path}${path.includes("?") ? "&" : "?"}${query}` : origin.base + path;
  const url = new URL(text);
  if (url.origin !== origin.origin) throw refused(origin);
  return url;
}

function refused(origin: UpstreamOrigin): HttpError {
  return new HttpError(500, `refusing to build an upstream URL for ${origin.origin} from an unexpected path`, {
    type: "api_error",
    code: "invalid_upstream_path",
  });
}
