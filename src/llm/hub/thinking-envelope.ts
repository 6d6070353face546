/**
 * Signed reasoning carried through formats that have no thinking block of their own: the OpenAI
 * Responses API's reasoning items (`encrypted_content`) and Gemini's `thoughtSignature`. The
 * gateway wraps the provider's signature (or redacted data) in an envelope only it reads back:
 *
 *   agw1.t.<signature>   a signed thinking block (its text is the item's summary / thought text)
 *   agw1.r.<data>        a redacted thinking block
 *
 * On the next turn the readers turn enveloped items back into `thinking_blocks`, which the
 * Anthropic and Bedrock translators replay verbatim; items without the envelope (another
 * provider's encrypted reasoning) are dropped, since no other provider could verify them.
 */
import type { ThinkingBlock } from "./parts.ts";

const SIGNED = "agw1.t.";
const REDACTED = "agw1.r.";

export function envelopeSigned(signature: string): string {
  return SIGNED + signature;
}

export function envelopeRedacted(data: string): string {
  return REDACTED + data;
}

/** The thinking block an envelope stands for (`text` is the reasoning text it signed). */
export function openEnvelope(value: unknown, text: string): ThinkingBlock | undefined {
  if (typeof value !== "string") return undefined;
  if (value.startsWith(SIGNED)) return { type: "thinking", thinking: text, signature: value.slice(SIGNED.length) };
  if (value.startsWith(REDACTED)) return { type: "redacted_thinking", data: value.slice(REDACTED.length) };
  return undefined;
}
