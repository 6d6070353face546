/**
 * Environment expansion with agentgateway's (shellexpand) rules, applied to YAML scalars after
 * parsing rather than to the raw text: comments are never expanded, and a value cannot change the
 * document's structure (an API key containing `#` or `: ` stays one string).
 *
 *   $NAME, ${NAME}        value of NAME; unset -> error naming NAME
 *   ${NAME:-default}      default when NAME is unset (set-but-empty yields "")
 *   $$                    a literal $
 *   $ + non-name char     kept literally, as is `${` without a closing `}`
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface ExpandResult {
  value: string;
  /** names referenced without a default and not set */
  missing: string[];
  /** names set to the empty string (an unquoted scalar left empty is no value at all) */
  empty: string[];
  changed: boolean;
}

const NAME_CHAR = /[\p{L}\p{N}_]/u;

export function expandEnv(input: string, env: Env): ExpandResult {
  if (!input.includes("$")) return { value: input, missing: [], empty: [], changed: false };
  let out = "";
  const missing: string[] = [];
  const empty: string[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (ch !== "$") {
      out += ch;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const close = input.indexOf("}", i + 2);
      if (close === -1) {
        out += "${";
        i += 2;
        continue;
      }
      const body = input.slice(i + 2, close);
      const sep = body.indexOf(":-");
      const name = sep === -1 ? body : body.slice(0, sep);
      const value = env[name];
      if (value === "") empty.push(name);
      if (value !== undefined) out += value;
      else if (sep !== -1) out += body.slice(sep + 2);
      else missing.push(name);
      i = close + 1;
      continue;
    }
    let j = i + 1;
    while (j < input.length && NAME_CHAR.test(input[j]!)) j++;
    if (j === i + 1) {
      out += "$";
      i++;
      continue;
    }
    const name = input.slice(i + 1, j);
    const value = env[name];
    if (value === "") empty.push(name);
    if (value !== undefined) out += value;
    else missing.push(name);
    i = j;
  }
  return { value: out, missing, empty, changed: true };
}
