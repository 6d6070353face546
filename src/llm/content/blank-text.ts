/**
 * Whether a text is more than whitespace. Claude refuses empty and whitespace-only text blocks
 * (400 "text content blocks must contain non-whitespace text"), Bedrock blank ones ("The text
 * field in the ContentBlock object ... is blank"): their translations leave such text out. (A
 * test, not `trim()`: no copy of a long prompt.)
 */
export function hasText(text: string): boolean {
  return /\S/.test(text);
}
