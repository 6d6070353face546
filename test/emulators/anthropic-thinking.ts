/**
 * What Anthropic checks of the thinking in a Messages request before it answers (the 400s its
 * API returns, messages as the API words them):
 *
 *   - a `thinking` block's `signature` and a `redacted_thinking` block's `data` are Claude's own,
 *     checked cryptographically: a value Claude did not issue is refused ("Invalid `signature` in
 *     `thinking` block"), wherever the block is in the history;
 *   - with `thinking: {type: "enabled"}`, an assistant turn that tool results continue (a tool-use
 *     loop) must open with a thinking block: "Expected `thinking` or `redacted_thinking`, but
 *     found `tool_use`. When `thinking` is enabled, a final `assistant` message must start with a
 *     thinking block (...). To avoid this requirement, disable `thinking`."
 *
 * The emulator cannot verify a signature, so it remembers what it issued: the signatures and
 * redacted data of the turns it answered, plus what a test declares Claude issued elsewhere
 * (another platform: signatures are valid across the Claude API, Bedrock and Vertex).
 */

type Block = { type?: unknown; signature?: unknown; data?: unknown; content_block?: unknown; delta?: unknown };
type Message = { role?: unknown; content?: unknown };

/** The signatures and redacted data a turn's events carry (what Claude issues by answering). */
export function issuedIn(events: readonly Record<string, unknown>[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    const block = (e.content_block ?? e.delta) as Block | undefined;
    if (typeof block?.signature === "string" && block.signature !== "") out.push(block.signature);
    if (block?.type === "redacted_thinking" && typeof block.data === "string") out.push(block.data);
  }
  return out;
}

/** Anthropic's 400 message for the request's thinking, or undefined when it would take it. */
export function thinkingRefusal(body: Record<string, unknown>, issued: ReadonlySet<string>): string | undefined {
  const messages = Array.isArray(body.messages) ? (body.messages as Message[]) : [];
  for (const [i, m] of messages.entries()) {
    if (m?.role !== "assistant" || !Array.isArray(m.content)) continue;
    for (const [j, b] of (m.content as Block[]).entries()) {
      if (b?.type === "thinking" && !issued.has(String(b.signature))) return `messages.${i}.content.${j}: Invalid \`signature\` in \`thinking\` block`;
      if (b?.type === "redacted_thinking" && !issued.has(String(b.data))) return `messages.${i}.content.${j}: Invalid \`data\` in \`redacted_thinking\` block`;
    }
  }
  const thinking = body.thinking as { type?: unknown } | undefined;
  return thinking?.type === "enabled" ? loopWithoutThinking(messages) : undefined;
}

/**
 * The turn in progress starts after the last user message without tool results; when tool
 * results continue it, its first assistant message must open with thinking.
 */
function loopWithoutThinking(messages: Message[]): string | undefined {
  const hasToolResult = (m: Message) => Array.isArray(m.content) && (m.content as Block[]).some((b) => b?.type === "tool_result");
  let start = messages.length - 1;
  while (start >= 0 && !(messages[start]!.role === "user" && !hasToolResult(messages[start]!))) start--;
  const first = messages.findIndex((m, i) => i > start && m.role === "assistant");
  if (first < 0 || !messages.some((m, i) => i > first && m.role === "user" && hasToolResult(m))) return undefined;
  const content = messages[first]!.content;
  const opening = typeof content === "string" ? "text" : String((Array.isArray(content) ? (content[0] as Block | undefined)?.type : undefined) ?? "nothing");
  if (opening === "thinking" || opening === "redacted_thinking") return undefined;
  return (
    `messages.${first}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${opening}\`. ` +
    "When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). " +
    "We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. " +
    "Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
  );
}
