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
  if (FITS.test(id)) return id;
  const kept = id.replace(/[^a-zA-Z0-9_-]/g, "_").slice(0, 48);
  return `${kept}_${Bun.hash(id).toString(36)}`.slice(0, 64);
}
