/**
 * A request for an OpenAI-format server fitted to the fields it refuses: those of its provider
 * (its `OpenAIDialect`) and those of the model (OpenAI's reasoning models refuse `max_tokens`),
 * the client's own fields and the ones the gateway adds (`stream_options` for usage) alike, so
 * that the server answers instead of refusing the whole request.
 */
import type { BodyDraft } from "../../policies/types.ts";
import { lookup } from "../lookup.ts";
import { withFittedToolCallIds } from "../providers/tool-call-ids.ts";
import type { ChatMessage, OpenAIDialect } from "../types.ts";

export function fitDialect(draft: BodyDraft, dialect: OpenAIDialect): void {
  for (const field of dialect.refuses) {
    if (!(field in draft.body)) continue;
    if (field === "max_completion_tokens" && draft.body.max_tokens === undefined) draft.set("max_tokens", draft.body.max_completion_tokens);
    draft.delete(field);
  }
  const messages = draft.body.messages;
  if (dialect.fitToolCallId && Array.isArray(messages)) {
    const fitted = withFittedToolCallIds(messages as ChatMessage[], dialect.fitToolCallId);
    if (fitted !== messages) draft.set("messages", fitted);
  }
}

/** Whether the gateway may ask the server for usage with `stream_options.include_usage`. */
export function takesStreamOptions(dialect: OpenAIDialect | undefined): boolean {
  return dialect === undefined || !dialect.refuses.includes("stream_options");
}

/**
 * OpenAI's reasoning models (o1, o3, o4-mini, gpt-5 and later) refuse `max_tokens` with 400
 * "Unsupported parameter: 'max_tokens' is not supported with this model. Use
 * 'max_completion_tokens' instead." Claude's `max_tokens` (required in every Messages request:
 * Claude Code's included) and Gemini's `maxOutputTokens` arrive as `max_tokens`, and an alias may
 * send an OpenAI client's request to such a model: sent as `max_completion_tokens`, which every
 * current OpenAI chat model takes.
 */
const REFUSES_MAX_TOKENS = /^(o[1-9]|gpt-([5-9]|\d\d))/;

/** Whether `model` is one of them (a request to another needs no fitting for its model). */
export function isOpenAIReasoningModel(model: string): boolean {
  return REFUSES_MAX_TOKENS.test(model);
}

/** An OpenAI client's request: its `max_tokens` renamed when it goes to such a model. */
export function fitOutputCap(draft: BodyDraft, model: string): void {
  if (draft.body.max_tokens !== undefined && isOpenAIReasoningModel(model)) renameOutputCap(draft);
}

function renameOutputCap(draft: BodyDraft): void {
  const cap = draft.body.max_tokens;
  if (cap === undefined) return;
  if (draft.body.max_completion_tokens === undefined) draft.set("max_completion_tokens", cap);
  draft.delete("max_tokens");
}

/**
 * A translated request to one of these models (the caller has checked it is one): the cap
 * renamed; `temperature` and `top_p` (Claude's, Gemini's) left out unless they are the default,
 * since the same models take only that (400 "Unsupported value: 'temperature' does not support 0.2
 * with this model. Only the default (1) value is supported."); and the effort derived from
 * Claude's `thinking` or Gemini's `thinkingConfig` kept, on OpenAI's scale, so Claude Code's
 * thinking setting still says how hard gpt-5 thinks (other OpenAI-format models refuse the field).
 * An OpenAI client's own sampling is left as it sent it.
 */
export function fitForReasoningModel(draft: BodyDraft): void {
  renameOutputCap(draft);
  for (const k of ["temperature", "top_p"]) if (k in draft.body && draft.body[k] !== 1) draft.delete(k);
  const effort = draft.body.reasoning_effort;
  if (effort === undefined) return;
  const fitted = typeof effort === "string" ? lookup(OPENAI_EFFORTS, effort) : undefined;
  if (fitted === undefined) draft.delete("reasoning_effort");
  else if (fitted !== effort) draft.set("reasoning_effort", fitted);
}

/** The efforts OpenAI's reasoning models take (`xhigh` and Claude's `max` are asked as `high`). */
const OPENAI_EFFORTS: Readonly<Record<string, string>> = { none: "none", minimal: "minimal", low: "low", medium: "medium", high: "high", xhigh: "high", max: "high" };
