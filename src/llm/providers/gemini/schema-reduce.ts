/**
 * JSON Schema, as OpenAI tools and `response_format` carry it, reduced to the OpenAPI 3.0 subset
 * Gemini accepts in `functionDeclarations[].parameters` and `responseSchema`
 * (https://ai.google.dev/api/caching#Schema). Gemini rejects the whole request on a keyword it
 * does not know, so everything outside the subset is rewritten or dropped:
 *   $ref/$defs   inlined (a recursive reference becomes a plain object: Gemini has no recursion)
 *   allOf        merged into one schema
 *   oneOf        becomes anyOf
 *   const        a one-value enum
 *   type arrays  one type plus `nullable`, or an anyOf of the types
 *   null members of anyOf   become `nullable`
 *   enum         kept on strings only (Gemini enums are strings)
 *   format       kept only where Gemini knows it (date-time, enum, int32/int64, float/double)
 *   additionalProperties, $schema, examples, ...   dropped
 */

type Schema = Record<string, unknown>;

const KEPT = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "items",
  "properties",
  "required",
  "anyOf",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "minimum",
  "maximum",
  "propertyOrdering",
  "default",
  "example",
]);

const FORMATS: Record<string, Set<string>> = {
  string: new Set(["date-time", "enum"]),
  integer: new Set(["int32", "int64"]),
  number: new Set(["float", "double"]),
};

/** The reduced schema, or undefined when it says nothing (an object without properties). */
export function reduceParameters(schema: unknown): Schema | undefined {
  if (!isObject(schema)) return undefined;
  const out = reduceSchema(schema);
  const props = out.properties as Schema | undefined;
  if (out.type === "object" && (!props || Object.keys(props).length === 0)) return undefined;
  return out;
}

export function reduceSchema(schema: unknown): Schema {
  if (!isObject(schema)) return { type: "object" };
  const defs: Schema = { ...(schema.$defs as Schema | undefined), ...(schema.definitions as Schema | undefined) };
  return reduce(schema, defs, []);
}

function reduce(node: Schema, defs: Schema, chain: string[]): Schema {
  let s = node;
  if (typeof s.$ref === "string") {
    const name = s.$ref.slice(s.$ref.lastIndexOf("/") + 1);
    const target = defs[name];
    const { $ref: _ref, ...siblings } = s;
    if (!isObject(target) || chain.includes(name)) {
      return finish({ type: "object", ...pick(siblings, ["description", "title"]) });
    }
    return reduce({ ...target, ...siblings }, defs, [...chain, name]);
  }
  if (Array.isArray(s.allOf)) {
    const { allOf, ...rest } = s;
    s = (allOf as unknown[]).filter(isObject).reduce<Schema>((acc, m) => mergeSchemas(acc, reduce(m, defs, chain)), rest);
  }

  const out: Schema = {};
  for (const key in s) if (KEPT.has(key)) out[key] = s[key];

  if ("const" in s) {
    out.enum = [s.const];
    out.type ??= jsonType(s.const);
  }
  if (Array.isArray(s.type)) {
    const types = (s.type as unknown[]).filter((t): t is string => typeof t === "string");
    const nonNull = types.filter((t) => t !== "null");
    if (nonNull.length < types.length) out.nullable = true;
    delete out.type;
    if (nonNull.length === 1) out.type = nonNull[0];
    else if (nonNull.length > 1) out.anyOf = nonNull.map((t) => ({ type: t }));
  }
  const union = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined) as unknown[] | undefined;
  if (union) {
    delete out.anyOf;
    const members = union.filter(isObject);
    const nonNull = members.filter((m) => m.type !== "null");
    if (nonNull.length < members.length) out.nullable = true;
    const reduced = nonNull.map((m) => reduce(m, defs, chain));
    if (reduced.length === 1) Object.assign(out, { ...reduced[0], ...withoutUndefined(out) });
    else if (reduced.length > 1) out.anyOf = reduced;
  }

  if (isObject(out.properties)) {
    const props: Schema = {};
    for (const [k, v] of Object.entries(out.properties)) props[k] = isObject(v) ? reduce(v, defs, chain) : { type: "string" };
    out.properties = props;
    if (Array.isArray(out.required)) out.required = (out.required as unknown[]).filter((r) => typeof r === "string" && r in props);
  } else {
    delete out.properties;
    delete out.required;
  }
  if (out.items !== undefined) {
    const items = Array.isArray(out.items) ? out.items[0] : out.items;
    out.items = isObject(items) ? reduce(items, defs, chain) : { type: "string" };
  }
  return finish(out);
}

/** Scalar clean-ups once the structure is settled. */
function finish(out: Schema): Schema {
  if (Array.isArray(out.enum)) {
    const values = out.enum as unknown[];
    if (values.every((v) => typeof v === "string") && (out.type === undefined || out.type === "string")) out.type = "string";
    else delete out.enum;
  }
  if (out.type === undefined && out.anyOf === undefined) out.type = "object";
  if (out.type === "array" && out.items === undefined) out.items = { type: "object" };
  if (typeof out.format === "string" && !FORMATS[out.type as string]?.has(out.format)) delete out.format;
  return out;
}

function mergeSchemas(a: Schema, b: Schema): Schema {
  const out: Schema = { ...b, ...a };
  if (isObject(a.properties) || isObject(b.properties)) out.properties = { ...(b.properties as Schema), ...(a.properties as Schema) };
  if (Array.isArray(a.required) || Array.isArray(b.required)) {
    out.required = [...new Set([...((b.required as unknown[]) ?? []), ...((a.required as unknown[]) ?? [])])];
  }
  return out;
}

function jsonType(v: unknown): string {
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  if (Array.isArray(v)) return "array";
  return "object";
}

function pick(s: Schema, keys: string[]): Schema {
  const out: Schema = {};
  for (const k of keys) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

function withoutUndefined(s: Schema): Schema {
  const out: Schema = {};
  for (const k in s) if (s[k] !== undefined) out[k] = s[k];
  return out;
}

function isObject(v: unknown): v is Schema {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
