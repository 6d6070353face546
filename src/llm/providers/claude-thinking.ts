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
import type { ChatRequest } from "../types.ts";

/**
 * Claude's `thinking` object: the client's own (sent by clients that know Anthropic's API) wins,
 * else the budget for `reasoning_effort`; undefined for `none` or no effort. The effort is
 * validated either way.
 */
export function claudeThinking(req: ChatRequest): Record<string, unknown> | undefined {
  const budget = thinkingBudget(reasoningEffort(req));
  if (req.thinking && typeof req.thinking === "object" && !Array.isArray(req.thinking)) return req.thinking as Record<string, unknown>;
  return budget === undefined ? undefined : { type: "enabled", budget_tokens: budget };
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
