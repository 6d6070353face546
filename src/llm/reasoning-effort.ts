/**
 * OpenAI's `reasoning_effort`, read once for every translated provider (Anthropic, Claude on
 * Vertex, Bedrock, Gemini on AI Studio and Vertex). OpenAI-format upstreams get the field as
 * sent, and answer for it themselves.
 *
 * - The accepted values are OpenAI's (the openai SDK's `ReasoningEffort`): none, minimal, low,
 *   medium, high, xhigh, max. Anything else (a typo, a number) is a 400 naming `reasoning_effort` and listing the accepted values, as OpenAI
 *   answers an invalid enum value: never ignored on one provider and refused on another.
 * - `none` (or no value) means no thinking is asked for.
 * - Claude's thinking budgets (THINKING_BUDGET) are one table for Anthropic, Vertex and Bedrock.
 *   Gemini keeps its own budgets (its scale differs: 2.5 Flash thinks up to 24576 tokens) but
 *   reads the effort through here, and providers with fewer levels clamp with `clampEffort`.
 */
import { HttpError } from "../http/errors.ts";
import type { ChatRequest } from "./types.ts";

export const REASONING_EFFORTS = ["none", "minimal", "low", "medium", "high", "xhigh", "max"] as const;
export type ReasoningEffort = (typeof REASONING_EFFORTS)[number];
/** An effort that asks for thinking. */
export type ThinkingEffort = Exclude<ReasoningEffort, "none">;

/**
 * Claude's thinking budget per effort: LiteLLM's defaults (low 1024, medium 2048, high 4096,
 * xhigh 8192, max 16384), with `minimal` raised from LiteLLM's 128 to 1024, Anthropic's minimum.
 */
export const THINKING_BUDGET: Readonly<Record<ThinkingEffort, number>> = { minimal: 1024, low: 1024, medium: 2048, high: 4096, xhigh: 8192, max: 16384 };

/** The request's effort, undefined when unset (absent or null); any other value is a 400. */
export function reasoningEffort(req: ChatRequest): ReasoningEffort | undefined {
  const effort = req.reasoning_effort;
  if (effort === undefined || effort === null) return undefined;
  if (typeof effort === "string" && (REASONING_EFFORTS as readonly string[]).includes(effort)) return effort as ReasoningEffort;
  const shown = typeof effort === "string" ? `'${effort}'` : JSON.stringify(effort);
  const accepted = REASONING_EFFORTS.map((e) => `'${e}'`);
  throw new HttpError(400, `Invalid value for 'reasoning_effort': ${shown}. Supported values are: ${accepted.slice(0, -1).join(", ")} and ${accepted.at(-1)}.`, {
    code: "invalid_value",
    param: "reasoning_effort",
  });
}

/** The effort when it asks for thinking; undefined for `none` or no effort. */
export function thinkingEffort(effort: ReasoningEffort | undefined): ThinkingEffort | undefined {
  return effort === undefined || effort === "none" ? undefined : effort;
}

/** Claude's thinking budget for the effort; undefined when no thinking is asked for. */
export function thinkingBudget(effort: ReasoningEffort | undefined): number | undefined {
  const e = thinkingEffort(effort);
  return e === undefined ? undefined : THINKING_BUDGET[e];
}

/**
 * The effort within a provider's range of levels (`lowest`..`highest` in OpenAI's order): e.g.
 * Nova takes low to high, so `minimal` asks for low and `xhigh` or `max` for high.
 */
export function clampEffort(effort: ThinkingEffort, lowest: ThinkingEffort, highest: ThinkingEffort): ThinkingEffort {
  const rank = (e: ReasoningEffort) => REASONING_EFFORTS.indexOf(e);
  if (rank(effort) < rank(lowest)) return lowest;
  if (rank(effort) > rank(highest)) return highest;
  return effort;
}
