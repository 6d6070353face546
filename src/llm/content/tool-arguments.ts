/**
 * `tool_calls[].function.arguments` of an assistant message, read once for every provider that
 * needs them as an object (Anthropic `tool_use.input`, Bedrock `toolUse.input`, Gemini
 * `functionCall.args`). OpenAI sends a JSON string; some clients send the object itself.
 *
 * - Absent, null or blank: `{}` (a call without arguments).
 * - An object: as is. A string: parsed, and it must encode an object.
 * - Anything else (malformed JSON, an array, a number, `"null"`) is a 400 naming the field: the
 *   providers want an object and would refuse it after a round trip, or worse, take it as given.
 */
import { badRequest } from "../../http/errors.ts";

export function toolArguments(raw: unknown, param: string): Record<string, unknown> {
  if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return {};
  let value = raw;
  if (typeof raw === "string") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw badRequest(param, `'${param}' is not valid JSON`);
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw badRequest(param, `'${param}' must encode a JSON object`);
  return value as Record<string, unknown>;
}
