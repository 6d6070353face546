/**
 * Claude's extended thinking and output cap from an OpenAI request, the same on every route to
 * Claude: Anthropic, Claude on Vertex (which reuses Anthropic's translation) and Claude on
 * Bedrock (in `additionalModelRequestFields`).
 *
 * Thinking tokens count against Claude's `max_tokens`, and Claude refuses a cap that is not above
 * the budget: a client cap at or below it is a 400 naming the client's parameter, and without a
 * cap the answer keeps the whole default after the budget.
 */
import { HttpError } from "../../http/errors.ts";
import { DEFAULT_MAX_TOKENS, requestedMaxTokens } from "../chat-request.ts";
import { reasoningEffort, thinkingBudget } from "../reasoning-effort.ts";
import type { ChatMessage, ChatRequest } from "../types.ts";

/**
 * Claude's `thinking` object: the client's own (sent by clients that know Anthropic's API) wins,
 * else the budget for `reasoning_effort`; undefined for `none` or no effort. The effort is
 * validated either way. Left out, too, while a tool loop runs that did not open with Claude's
 * signed thinking (see loopLacksThinking), and when the tool choice forces a tool call.
 */
export function claudeThinking(req: ChatRequest): Record<string, unknown> | undefined {
  const budget = thinkingBudget(reasoningEffort(req));
  // Claude refuses thinking with a tool choice that forces tool use ("Thinking may not be enabled
  // when tool_choice forces tool use"): the client's tool choice is the requirement, thinking goes
  if (forcesToolUse(req)) return undefined;
  const own = req.thinking && typeof req.thinking === "object" && !Array.isArray(req.thinking) ? (req.thinking as Record<string, unknown>) : undefined;
  const thinking = own ?? (budget === undefined ? undefined : { type: "enabled", budget_tokens: budget });
  if (!thinking || thinking.type === "disabled" || !loopLacksThinking(req.messages.flatMap(hubStep))) return thinking;
  return undefined;
}

/** `tool_choice: "required"` or a named function, with tools to call (Claude's `any` and `tool`). */
function forcesToolUse(req: ChatRequest): boolean {
  if (!Array.isArray(req.tools) || req.tools.length === 0) return false;
  return req.tool_choice === "required" || (typeof req.tool_choice === "object" && req.tool_choice !== null);
}

/** One message as Claude's tool-loop rule sees it. */
export interface LoopStep {
  role: "user" | "assistant";
  /** a user message that carries tool results */
  toolResults?: boolean;
  /** an assistant message whose first block is a (redacted) thinking block */
  opensWithThinking?: boolean;
}

/**
 * Whether `thinking` would make Claude refuse the conversation: with thinking on, the assistant
 * turn in progress (since the last user message without tool results), once tool results
 * continue it, must open with a signed thinking block, or Claude answers 400 ("When `thinking` is
 * enabled, a final `assistant` message must start with a thinking block ... To avoid this
 * requirement, disable `thinking`"). That happens when the loop began on another provider (a
 * Gemini answer, or Claude Code history from another backend): its thinking has no signature Claude
 * could verify, so it is not sent. No signed block can be made up, so the request goes without
 * `thinking` until the loop ends, as LiteLLM does with `modify_params` (thinking is dropped when
 * tool calls come back without thinking blocks); Claude thinks again on the next user turn.
 * Consecutive messages of one role are one turn to Claude (it merges them), and so here.
 */
export function loopLacksThinking(steps: readonly LoopStep[]): boolean {
  const turns: LoopStep[] = [];
  for (const step of steps) {
    const last = turns.at(-1);
    if (last?.role !== step.role) turns.push({ ...step });
    else if (step.toolResults) last.toolResults = true;
  }
  let start = turns.length - 1;
  while (start >= 0 && !(turns[start]!.role === "user" && !turns[start]!.toolResults)) start--;
  const opening = turns[start + 1];
  return opening?.role === "assistant" && turns.length > start + 2 && !opening.opensWithThinking;
}

/** A hub message as Claude's translators send it (system and developer messages go to `system`). */
function hubStep(m: ChatMessage): LoopStep[] {
  if (m.role === "system" || m.role === "developer") return [];
  if (m.role === "tool") return [{ role: "user", toolResults: true }];
  if (m.role !== "assistant") return [{ role: "user" }];
  const blocks = Array.isArray(m.thinking_blocks) ? (m.thinking_blocks as { type?: unknown }[]) : [];
  return [{ role: "assistant", opensWithThinking: blocks.some((b) => b?.type === "thinking" || b?.type === "redacted_thinking") }];
}

/** The `max_tokens` to send with `thinking` (see above). */
export function claudeMaxTokens(req: ChatRequest, thinking: Record<string, unknown> | undefined): number {
  const asked = requestedMaxTokens(req);
  const budget = thinking?.type === "enabled" && typeof thinking.budget_tokens === "number" ? thinking.budget_tokens : 0;
  if (asked === undefined) return DEFAULT_MAX_TOKENS + budget;
  if (budget > 0 && asked.value <= budget) {
    throw new HttpError(400, `${asked.param} (${asked.value}) must be greater than the thinking budget (${budget} tokens)`, {
      code: "invalid_request_body",
      param: asked.param,
    });
  }
  return asked.value;
}
