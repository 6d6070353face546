/**
 * `/api/config`: the config as the user wrote it, YAML turned into JSON, with `$VARIABLES`
 * left unexpanded (a key read from the environment shows as `$OPENAI_API_KEY`, never its value)
 * and every literal credential replaced by "[redacted]": values under keys that name one (`key`,
 * `apiKey`, `secretAccessKey`, `client_secret`, `authorization`, `token`, `password`...) and any
 * string that contains a secret the compiled config holds.
 */
import { parse } from "yaml";

const SENSITIVE_KEY = /(key|secret|token|password|passwd|authorization|credential|cookie|signature)/i;
/** a value that only references the environment (`$NAME`, `${NAME}`, `${NAME:-default}` without a literal secret) */
const ENV_REFERENCE = /^\$(\{[\p{L}\p{N}_]+\}|[\p{L}\p{N}_]+)$/u;

export const REDACTED = "[redacted]";

export function redactedConfig(text: string, secrets: readonly string[]): unknown {
  let doc: unknown;
  try {
    doc = parse(text, { merge: true, maxAliasCount: 1000 });
  } catch {
    return { error: "the config file is not valid YAML" };
  }
  return redact(doc, false, secrets.filter((s) => s.length >= 4));
}

function redact(value: unknown, sensitive: boolean, secrets: readonly string[]): unknown {
  if (typeof value === "string") {
    if (sensitive && !ENV_REFERENCE.test(value)) return REDACTED;
    return secrets.some((s) => value.includes(s)) ? REDACTED : value;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, sensitive, secrets));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    // `{file: path}` names where a secret is, not the secret
    for (const [k, v] of Object.entries(value)) out[k] = k === "file" && typeof v === "string" ? redact(v, false, secrets) : redact(v, sensitive || SENSITIVE_KEY.test(k), secrets);
    return out;
  }
  // numbers and booleans under a sensitive key (a numeric PIN) are redacted too
  return sensitive && value !== null && value !== undefined ? REDACTED : value;
}
