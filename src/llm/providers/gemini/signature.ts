/**
 * Thought signatures and tool call ids on the OpenAI side.
 *
 * Gemini signs its reasoning (`thoughtSignature` on a part) and Gemini 3 refuses a later turn
 * whose function calls come back without their signature. OpenAI's chat format has no field for
 * it, so the gateway uses the convention of Google's own OpenAI-compatible endpoint:
 *
 *   tool_calls[i].extra_content.google.thought_signature   signature of that function call
 *   message.extra_content.google.thought_signature         signature of the answer text
 *   (delta.extra_content... in stream chunks)
 *
 * Clients that send the assistant message back as they received it (the usual agent loop) replay
 * the signatures without knowing about them.
 */

export interface ExtraContent {
  google: { thought_signature: string };
}

export function signatureField(signature: string): ExtraContent {
  return { google: { thought_signature: signature } };
}

/** The signature carried on an OpenAI message or tool call, if any. */
export function signatureOf(obj: unknown): string | undefined {
  const extra = (obj as { extra_content?: { google?: { thought_signature?: unknown } } } | null)?.extra_content;
  const sig = extra?.google?.thought_signature;
  return typeof sig === "string" && sig !== "" ? sig : undefined;
}

/**
 * Google's documented stand-in for a missing signature (history written by another model, or by
 * a client that dropped the field): Gemini 3 then skips the check instead of failing the turn.
 * https://ai.google.dev/gemini-api/docs/thought-signatures
 */
export const SKIP_SIGNATURE_CHECK = "skip_thought_signature_validator";

/** Gemini's function call ids are optional: when absent the gateway makes one up. */
export function syntheticCallId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `call_${hex}`;
}
