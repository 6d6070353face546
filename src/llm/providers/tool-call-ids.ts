/**
 * Tool call ids as Claude (Anthropic, Vertex) and Bedrock take them: `^[a-zA-Z0-9_-]+$` (Anthropic
 * answers 400 "tool_use.id: String should match pattern"; Bedrock's `toolUseId` has the same
 * pattern and at most 64 characters). Other providers' ids do not all fit: Kimi's
 * `functions.Bash:0`, MCP-qualified or client-made ids with dots, colons or slashes. A
 * conversation begun on such a provider and continued on Claude (failover, a virtual model, a
 * model switch) carries them in its history. An id that does not fit is replaced by its valid
 * characters and a hash of the whole id: the same for a call and its result, distinct for
 * distinct ids. Ids that fit go as they are.
 */
const FITS = /^[a-zA-Z0-9_-]{1,64}$/;

export function fittedToolCallId(id: string): string {
  return FITS.test(id) ? id : hashed(id, 64);
}

/** The id's letters, digits, `_` and `-` (others as `_`) and a hash of the whole id, in at most `max` characters. */
function hashed(id: string, max: number): string {
  const hash = Bun.hash(id).toString(36); // at most 13 characters
  return `${id.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, max - hash.length - 1)}_${hash}`;
}

/**
 * OpenAI's chat completions take a tool call id of at most 40 characters (400
 * `string_above_max_length`): ids from elsewhere can be longer (a Responses item id is 53).
 */
export function openaiToolCallId(id: string): string {
  return id.length <= 40 ? id : hashed(id, 40);
}

/**
 * Mistral takes exactly nine letters and digits ("Tool call id was ... but must be a-z, A-Z, 0-9,
 * with a length of 9"): another provider's ids in a conversation's history are refused.
 */
export function mistralToolCallId(id: string): string {
  if (/^[a-zA-Z0-9]{9}$/.test(id)) return id;
  return Bun.hash(id).toString(36).padStart(9, "0").slice(-9);
}

/**
 * The messages with each tool call id (an assistant's `tool_calls[].id`, a tool message's
 * `tool_call_id`) fitted by `fit`; the same array when none changes.
 */
export function withFittedToolCallIds<M extends { tool_calls?: unknown; tool_call_id?: unknown }>(messages: M[], fit: (id: string) => string): M[] {
  let out: M[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const next = fittedMessage(m, fit);
    if (next !== m) (out ??= messages.slice())[i] = next;
  }
  return out ?? messages;
}

function fittedMessage<M extends { tool_calls?: unknown; tool_call_id?: unknown }>(m: M, fit: (id: string) => string): M {
  if (typeof m.tool_call_id === "string") {
    const id = fit(m.tool_call_id);
    return id === m.tool_call_id ? m : { ...m, tool_call_id: id };
  }
  if (!Array.isArray(m.tool_calls)) return m;
  const calls = fittedCalls(m.tool_calls as { id?: unknown }[], fit);
  return calls === m.tool_calls ? m : { ...m, tool_calls: calls };
}

/**
 * The calls with their ids fitted; the same array when none changes. (A loop, apart from
 * fittedMessage: a closure there would give every message a scope object, calls or not.)
 */
function fittedCalls(calls: { id?: unknown }[], fit: (id: string) => string): { id?: unknown }[] {
  let out: { id?: unknown }[] | undefined;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i];
    if (typeof c?.id !== "string") continue;
    const id = fit(c.id);
    if (id !== c.id) (out ??= calls.slice())[i] = { ...c, id };
  }
  return out ?? calls;
}
