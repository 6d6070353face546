/**
 * The client's request target, read once and normalised before routing, so that route matching,
 * every policy and the upstream path all see one path, and no path trick reaches a route a policy
 * should have guarded or an upstream path the gateway did not mean to build.
 *
 * Bun already resolves `.` / `..` segments (also `%2e`-encoded ones) and turns raw backslashes
 * into `/` (WHATWG URL parsing of the request line) before the gateway sees `req.url`. What is
 * left to do here: collapse duplicate slashes (`//host/x` is a network-path reference to any URL
 * parser), and refuse what would change meaning further down: encoded slashes and backslashes,
 * control characters and NUL (raw or encoded), malformed percent-encoding, and dot segments that
 * survived in another spelling (`..;`, `%2e%2e` from callers that do not resolve them).
 */
import { HttpError } from "./errors.ts";

export interface RequestTarget {
  /** normalised path: starts with one `/`, no empty or dot segments */
  path: string;
  /** raw query string without `?` ("" when none); never contains `#` */
  query: string;
}

/** Path and query of `req.url` (absolute `scheme://host/path?q`, or path-only when Bun got a malformed Host). */
export function requestTarget(url: string): RequestTarget {
  let start = 0;
  if (url.charCodeAt(0) !== SLASH) {
    const scheme = url.indexOf("://");
    start = scheme === -1 ? -1 : url.indexOf("/", scheme + 3);
  }
  if (start === -1) return { path: "/", query: "" };
  let end = url.length;
  const hash = url.indexOf("#", start);
  if (hash !== -1) end = hash;
  const q = url.indexOf("?", start);
  if (q !== -1 && q < end) return { path: normalizePath(url.slice(start, q)), query: url.slice(q + 1, end) };
  return { path: normalizePath(url.slice(start, end)), query: "" };
}

const SLASH = 47;
const BACKSLASH = 92;
const PERCENT = 37;
const DOT = 46;
const SEMICOLON = 59;

/**
 * The normalised form of a raw path; throws a 400 `HttpError` for what cannot be normalised safely.
 * Allocation-free for the common case (a clean path is returned as is).
 */
export function normalizePath(raw: string): string {
  let clean = raw.charCodeAt(0) === SLASH;
  for (let i = 0; clean && i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x21 || c === 0x7f || c === BACKSLASH || c === PERCENT || c === SEMICOLON) clean = false;
    else if (c === SLASH) {
      const next = raw.charCodeAt(i + 1);
      if (next === SLASH || (next === DOT && isDotSegmentAt(raw, i + 1))) clean = false;
    }
  }
  return clean ? raw : normalizeSlow(raw);
}

/** `.` or `..` starting at `i` and ending at `/` or the end. */
function isDotSegmentAt(s: string, i: number): boolean {
  const end = s.indexOf("/", i);
  const seg = end === -1 ? s.slice(i) : s.slice(i, end);
  return seg === "." || seg === "..";
}

function bad(message: string): HttpError {
  return new HttpError(400, `invalid request path: ${message}`, { code: "invalid_path" });
}

function normalizeSlow(raw: string): string {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw bad("control characters are not allowed");
    if (c === 0x20) throw bad("spaces must be percent-encoded");
    if (c === BACKSLASH) throw bad("backslashes are not allowed");
    if (c === PERCENT) checkEscape(raw, i);
  }
  const out: string[] = [];
  const segments = raw.split("/");
  for (const seg of segments) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      out.pop();
      continue;
    }
    // the same dot segment in another spelling: `%2e%2e`, `.%2E`, `..;jsessionid` (servlet containers
    // strip path parameters and then resolve the dots)
    const bare = seg.split(";", 1)[0]!.replace(/%2e/gi, ".");
    if (bare === "." || bare === "..") throw bad("encoded or parameterised dot segments are not allowed");
    out.push(seg);
  }
  const trailing = raw.length > 1 && raw.charCodeAt(raw.length - 1) === SLASH && out.length > 0;
  return `/${out.join("/")}${trailing ? "/" : ""}`;
}

/** A `%XY` escape must be well formed and must not hide a slash, a backslash or a control character. */
function checkEscape(raw: string, i: number): void {
  const hex = raw.slice(i + 1, i + 3);
  if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw bad("malformed percent-encoding");
  const byte = parseInt(hex, 16);
  if (byte === SLASH || byte === BACKSLASH) throw bad("encoded slashes are not allowed");
  if (byte < 0x20 || byte === 0x7f) throw bad("encoded control characters are not allowed");
}

/**
 * A client value that lands in an upstream path (a model id, a deployment name) as exactly one
 * segment: percent-encoded (`/`, `?`, `#`, `%` included), and never a dot segment.
 */
export function pathSegment(value: string, what: string): string {
  if (value === "" || value === "." || value === "..") {
    throw new HttpError(400, `${what} ${JSON.stringify(value)} cannot be used in an upstream path`, { code: "invalid_model", param: "model" });
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw new HttpError(400, `${what} contains a control character`, { code: "invalid_model", param: "model" });
  }
  // a lone surrogate (JSON's "\ud800") has no UTF-8 form: encodeURIComponent would throw
  if (!value.isWellFormed()) throw new HttpError(400, `${what} is not well-formed Unicode (a lone surrogate)`, { code: "invalid_model", param: "model" });
  return encodeURIComponent(value);
}
