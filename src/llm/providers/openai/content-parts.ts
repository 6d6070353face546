/**
 * Assistant content given as a list of parts instead of a string. Mistral's reasoning models
 * answer so (docs.mistral.ai, "Reasoning"): `[{"type": "thinking", "thinking": [{"type": "text",
 * "text": ...}]}, {"type": "text", "text": ...}]`, in whole answers and in stream deltas while
 * they think. Read as plain content these were dropped: the answer's text and its reasoning.
 */

/** The text and the thinking of a content part list (other parts, such as references, carry neither). */
export function contentParts(parts: readonly unknown[]): { text: string; thinking: string } {
  let text = "";
  let thinking = "";
  for (const p of parts) {
    if (!p || typeof p !== "object") continue;
    const part = p as { type?: unknown; text?: unknown; thinking?: unknown };
    if (part.type === "text" && typeof part.text === "string") text += part.text;
    else if (part.type === "thinking") thinking += thinkingText(part.thinking);
  }
  return { text, thinking };
}

/** A thinking part's text: a list of text parts, or a string. */
function thinkingText(value: unknown): string {
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return "";
  let out = "";
  for (const v of value) if (v && typeof v === "object" && typeof (v as { text?: unknown }).text === "string") out += (v as { text: string }).text;
  return out;
}
