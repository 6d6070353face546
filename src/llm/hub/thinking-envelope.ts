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
 *
 * The other way round, Gemini's thought signatures reach Anthropic and Responses clients as a
 * thinking block's `signature` or a reasoning item's `encrypted_content` (the one opaque field
 * each of those clients echoes back):
 *
 *   agw1.gc.<signature>   the signature of the tool call that follows (Gemini 3 refuses a turn
 *                         whose function calls come back without it)
 *   agw1.ga.<signature>   the signature of the answer text
 *
 * The readers turn them back into the hub's `extra_content.google.thought_signature` on the next
 * tool call or on the message (providers/gemini/signature.ts), which the Gemini translator reads.
 *
 * Reasoning no provider signed (Gemini's thought summaries, vLLM's reasoning_content) reaches
 * Responses clients as a reasoning item that carries nothing to verify; it is marked twice so
 * that a native passthrough can leave it out (OpenAI answers 404 "Item with id 'rs_...' not found"
 * for a reasoning item it did not issue):
 *
 *   agw1.u.               its `encrypted_content`: an envelope with nothing inside (Codex sends
 *                         reasoning items back without their ids on OpenAI, but with this field)
 *   rs_agw_...            the id of every reasoning item the gateway writes (gateway-ids.ts): for
 *                         clients that keep ids and not encrypted_content, or send an
 *                         `item_reference` by id
 *
 * A function call the gateway writes into a Gemini answer from a provider that gave no signature
 * for it (Claude without thinking, an OpenAI-format model, Bedrock without reasoning) carries a
 * `thoughtSignature` all the same, saying so (Gemini 3 refuses a turn whose function call comes
 * back without one, and a Gemini client's history without any envelope is passed through as it
 * is, so the gateway has to mark the call to find it again):
 *
 *   agw1.n.               a call no provider signed: before Gemini 3 it becomes Google's stand-in
 *                         signature, elsewhere it goes (formats/gemini-envelopes.ts); the Gemini
 *                         reader never reads a call's signature, so no other provider gets it
 *
 * An envelope never reaches a provider as it is: no provider issued it, so none could verify it
 * (Claude answers 400 "Invalid `signature` in `thinking` block", OpenAI `invalid_encrypted_content`).
 * `claudeIssued` opens one for Claude; before a native passthrough, Gemini's are opened for Gemini
 * and the rest are stripped (formats/native-envelopes.ts).
 */
import type { ThinkingBlock } from "./parts.ts";

/** What every envelope starts with (a client's own values never do). */
export const ENVELOPE = "agw1.";
const SIGNED = "agw1.t.";
const REDACTED = "agw1.r.";
const GEMINI_CALL = "agw1.gc.";
const GEMINI_ANSWER = "agw1.ga.";
const UNSIGNED = "agw1.u.";
const NO_SIGNATURE = "agw1.n.";

export function envelopeSigned(signature: string): string {
  return SIGNED + signature;
}

export function envelopeRedacted(data: string): string {
  return REDACTED + data;
}

/** The `encrypted_content` of a reasoning item whose reasoning no provider signed. */
export function envelopeUnsigned(): string {
  return UNSIGNED;
}

/** The `thoughtSignature` (before base64) of a function call whose provider gave it no signature. */
export function envelopeNoSignature(): string {
  return NO_SIGNATURE;
}

/** The thinking block an envelope stands for (`text` is the reasoning text it signed). */
export function openEnvelope(value: unknown, text: string): ThinkingBlock | undefined {
  if (typeof value !== "string") return undefined;
  if (value.startsWith(SIGNED)) return { type: "thinking", thinking: text, signature: value.slice(SIGNED.length) };
  if (value.startsWith(REDACTED)) return { type: "redacted_thinking", data: value.slice(REDACTED.length) };
  return undefined;
}

/** A Gemini thought signature: of the next tool call, or of the answer text. */
export function envelopeGemini(kind: "call" | "answer", signature: string): string {
  return (kind === "call" ? GEMINI_CALL : GEMINI_ANSWER) + signature;
}

/** The Gemini signature an envelope carries, if it is one. */
export function openGeminiEnvelope(value: unknown): { kind: "call" | "answer"; signature: string } | undefined {
  if (typeof value !== "string") return undefined;
  if (value.startsWith(GEMINI_CALL)) return { kind: "call", signature: value.slice(GEMINI_CALL.length) };
  if (value.startsWith(GEMINI_ANSWER)) return { kind: "answer", signature: value.slice(GEMINI_ANSWER.length) };
  return undefined;
}

/** Whether `value` is a gateway envelope, of any kind (this version's or a later one's). */
export function isEnvelope(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(ENVELOPE);
}

/**
 * A thinking block as Claude issued it: an `agw1.t.` / `agw1.r.` envelope opened to the signature
 * or redacted data inside, a block without an envelope as it is, undefined for any other envelope
 * (a Gemini signature: nothing Claude could verify).
 */
export function claudeIssued<B extends ThinkingBlock>(block: B): B | undefined {
  const value = block.type === "thinking" ? block.signature : block.data;
  if (!isEnvelope(value)) return block;
  const opened = openEnvelope(value, block.type === "thinking" ? block.thinking : "");
  if (opened?.type === "thinking" && block.type === "thinking") return { ...block, signature: opened.signature };
  if (opened?.type === "redacted_thinking" && block.type === "redacted_thinking") return { ...block, data: opened.data };
  return undefined;
}
