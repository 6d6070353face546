/**
 * A request for an OpenAI-compatible server fitted to the OpenAI fields it refuses (its
 * `OpenAIDialect`): the client's own fields and the ones the gateway adds (`stream_options` for
 * usage) alike, so that the server answers instead of refusing the whole request.
 */
import type { BodyDraft } from "../../policies/types.ts";
import type { OpenAIDialect } from "../types.ts";

export function fitDialect(draft: BodyDraft, dialect: OpenAIDialect): void {
  for (const field of dialect.refuses) {
    if (!(field in draft.body)) continue;
    if (field === "max_completion_tokens" && draft.body.max_tokens === undefined) draft.set("max_tokens", draft.body.max_completion_tokens);
    draft.delete(field);
  }
}

/** Whether the gateway may ask the server for usage with `stream_options.include_usage`. */
export function takesStreamOptions(dialect: OpenAIDialect | undefined): boolean {
  return dialect === undefined || !dialect.refuses.includes("stream_options");
}
