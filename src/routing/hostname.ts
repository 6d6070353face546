/** Hostname patterns: exact names, or `*.suffix` matching any name below the suffix (not the suffix itself). */

export function isWildcard(pattern: string): boolean {
  return pattern.startsWith("*.");
}

/** `pattern` and `host` are lower-case, without port. */
export function hostnameMatches(pattern: string, host: string): boolean {
  if (!isWildcard(pattern)) return pattern === host;
  const suffix = pattern.slice(1); // ".example.com"
  return host.length > suffix.length && host.endsWith(suffix);
}

/** The Host header without port, lower-cased (IPv6 literals keep their brackets). */
export function hostOf(hostHeader: string | null): string {
  if (!hostHeader) return "";
  const h = hostHeader.toLowerCase();
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(":");
  return colon === -1 ? h : h.slice(0, colon);
}
