/**
 * Schema building blocks shared by the config schema and the policy and provider modules that
 * bring their own schemas: agentgateway's serde conventions (exactly-one-of objects, durations,
 * `{file}` secrets) and the fields we do not implement yet (declared so the error names them).
 */
import { z } from "zod";

/** An agentgateway field we do not implement yet: present in the schema so the error names it. */
export function notYet(name: string) {
  return z
    .never({ error: `'${name}' is not supported yet by this gateway` })
    .nullish()
    .meta({ description: `Not supported yet by this gateway (agentgateway field '${name}').` });
}

export function notYetFields<const K extends string>(names: readonly K[]) {
  return Object.fromEntries(names.map((n) => [n, notYet(n)])) as Record<K, ReturnType<typeof notYet>>;
}

/** Objects whose variants are told apart by which single key is present (agentgateway's serde enums). */
export function exactlyOne<T extends object>(keys: readonly string[], what: string) {
  return (value: T, ctx: z.core.$RefinementCtx<T>) => {
    const present = keys.filter((k) => {
      const v = (value as Record<string, unknown>)[k];
      return v !== undefined && v !== null;
    });
    if (present.length === 1) return;
    ctx.addIssue({
      code: "custom",
      message:
        present.length === 0
          ? `${what}: expected exactly one of ${keys.join(", ")}`
          : `${what}: expected exactly one of ${keys.join(", ")}, found ${present.join(" and ")}`,
    });
  };
}

const DURATION = /^(\d+(\.\d+)?(ms|s|m|h))+$/;
export const Duration = z
  .string()
  .regex(DURATION, { error: "expected a duration such as 30s, 1m30s, 500ms or 1h" })
  .meta({ description: "A duration: 500ms, 30s, 1m30s, 1h" });

/** A model name in provider settings (unset: the client's model is used). */
export const ModelName = z.string().min(1).nullish();

export const Port = z.int({ error: "expected a port number (0-65535)" }).min(0).max(65535).meta({ id: "Port" });

/** A secret inline or from a file (`{file: path}`); resolved and wrapped in `Secret` when compiled. */
export const FileOrInline = z.union([z.string(), z.strictObject({ file: z.string() })], {
  error: "expected a string or {file: path}",
});

/** A path the config gives for upstream requests (`pathPrefix`, `pathOverride`). */
export const UpstreamPath = z
  .string()
  .regex(/^\/(?!\/)[^\\?#\s]*$/, { error: "expected an absolute path such as /v1 (no '//' at the start, '\\', '?', '#' or spaces)" })
  .refine((p) => !p.split("/").some((seg) => seg === "." || seg === ".."), { error: "a path may not contain '.' or '..' segments" })
  .meta({ id: "UpstreamPath" });

export const StringOrList = z.union([z.string(), z.array(z.string())]).meta({ id: "StringOrList" });

// ---------------------------------------------------------------------------------------------
// matching

export const PathMatch = z
  .strictObject({
    exact: z.string().startsWith("/", { error: "a path must start with /" }).optional(),
    pathPrefix: z.string().startsWith("/", { error: "a path prefix must start with /" }).optional(),
    regex: z.string().optional(),
  })
  .superRefine(exactlyOne(["exact", "pathPrefix", "regex"], "path")).meta({ id: "PathMatch" });

export const ValueMatch = z
  .strictObject({ exact: z.string().optional(), regex: z.string().optional() })
  .superRefine(exactlyOne(["exact", "regex"], "value")).meta({ id: "ValueMatch" });

export const HeaderMatch = z.strictObject({ name: z.string().min(1), value: ValueMatch }).meta({ id: "HeaderMatch" });

export const RouteMatch = z.strictObject({
  path: PathMatch.optional(),
  method: z.string().min(1).optional(),
  headers: z.array(HeaderMatch).optional(),
  query: z.array(HeaderMatch).optional(),
}).meta({ id: "RouteMatch" });

export const RouteTypeName = z.enum([
  "completions",
  "messages",
  "models",
  "passthrough",
  "detect",
  "responses",
  "embeddings",
  "realtime",
  "anthropicTokenCount",
  "generateContent",
  "geminiCountTokens",
  "rerank",
]).meta({ id: "RouteType" });

export const JsonRecord = z.record(z.string(), z.unknown()).meta({ id: "JsonObject" });


/** Whether Bun takes this as a header (name, value): what it refuses would fail every request that sends it, so the config is checked at load. */
function bunTakes(name: string, value: string): boolean {
  try {
    new Headers().set(name, value);
    return true;
  } catch {
    return false;
  }
}

/** A header name in the config: an HTTP token (letters, digits, `-`, no spaces or colons). */
export const HeaderName = z.string().refine((name) => name !== "" && bunTakes(name, ""), { message: "not a valid header name (an HTTP token: letters, digits and !#$%&'*+-.^_`|~)" });
/** A header value in the config: HTTP header values are bytes, so Latin-1 text without line breaks. */
export const HeaderValue = z.string().refine((value) => bunTakes("x", value), {
  message: "not a valid header value: header values are Latin-1 text without line breaks (percent-encode other characters)",
});
/** Header names to values, both checked (see HeaderName, HeaderValue). */
export const HeaderMap = z.record(HeaderName, HeaderValue);

/** `requestHeaderModifier` / `responseHeaderModifier` (also the llm: form's `requestHeaders` / `responseHeaders`). */
export const HeaderModifier = z.strictObject({
  add: HeaderMap.nullish(),
  set: HeaderMap.nullish(),
  remove: z.array(z.string()).nullish(),
}).meta({ id: "HeaderModifier" });

/** Where a credential is read from (client auth) or put (backend auth). */
export const AuthorizationLocation = z
  .strictObject({
    header: z.strictObject({ name: z.string().min(1), prefix: z.string().nullish() }).optional(),
    queryParameter: z.strictObject({ name: z.string().min(1) }).optional(),
    cookie: z.strictObject({ name: z.string().min(1) }).optional(),
    /** CEL returning the credential (extract only: it is removed from wherever it was sent) */
    expression: z.string().min(1).optional(),
  })
  .superRefine(exactlyOne(["header", "queryParameter", "cookie", "expression"], "location")).meta({ id: "AuthorizationLocation" });

export type RawAuthorizationLocation = z.output<typeof AuthorizationLocation>;
export type RawHeaderModifier = z.output<typeof HeaderModifier>;
export type RawRouteMatch = z.output<typeof RouteMatch>;
export type RawFileOrInline = z.output<typeof FileOrInline>;
export type RouteTypeName = z.output<typeof RouteTypeName>;
