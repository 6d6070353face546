/**
 * agentgateway's conditional form, shared by the policies that accept it (`directResponse`,
 * `extAuthz`, `remoteRateLimit`, `localRateLimit`): `{conditional: [{condition: <CEL>, ...}, ...]}`,
 * the first entry whose condition holds applies, and only the last entry may omit its condition.
 */
import type { YamlPath } from "../config/errors.ts";
import type { PolicyCompileContext } from "./types.ts";

/** Each entry with where it sits in the config; an entry without a condition before the last is reported. */
export function conditionalEntries<E extends { condition?: string | null | undefined }>(list: readonly E[], ctx: PolicyCompileContext): [E, YamlPath][] {
  list.slice(0, -1).forEach((e, i) => !e.condition && ctx.issue([...ctx.path, "conditional", i], "only the last conditional entry may omit 'condition'"));
  return list.map((e, i) => [e, [...ctx.path, "conditional", i]]);
}
