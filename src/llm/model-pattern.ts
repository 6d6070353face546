/**
 * Model name patterns, one matcher for every place that takes them (`llm.models[].name`,
 * `policies.ai.modelAliases`, `apiKey.allowedModels`): `*` matches any run of characters,
 * anywhere and any number of times; everything else matches itself.
 */

export type ModelMatcher = (model: string) => boolean;

export function modelPattern(pattern: string): ModelMatcher {
  if (!pattern.includes("*")) return (m) => m === pattern;
  if (pattern === "*") return () => true;
  const parts = pattern.split("*");
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((p) => p !== "");
  const min = parts.reduce((n, p) => n + p.length, 0);
  return (m) => {
    if (m.length < min || !m.startsWith(first) || !m.endsWith(last)) return false;
    // the middle pieces in order, each as early as possible, within what first and last leave
    let at = first.length;
    const end = m.length - last.length;
    for (const piece of middle) {
      const i = m.indexOf(piece, at);
      if (i === -1 || i + piece.length > end) return false;
      at = i + piece.length;
    }
    return true;
  };
}

/** How specific a pattern is: literal characters, an exact name above every pattern. */
export function patternSpecificity(pattern: string): number {
  return pattern.replaceAll("*", "").length + (pattern.includes("*") ? 0 : 1_000_000);
}
