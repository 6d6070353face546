/** Helpers on JSON string literals (hub/parts.ts): joined and read without re-serialising. */
import { trustedLiteral, type JsonStringLiteral } from "./parts.ts";

/** Several JSON string literals as one: their insides joined between one pair of quotes. */
export function joinLiterals(literals: readonly string[]): JsonStringLiteral {
  if (literals.length === 0) return trustedLiteral('""');
  if (literals.length === 1) return trustedLiteral(literals[0]!);
  let inside = "";
  for (const l of literals) inside += l.slice(1, -1);
  return trustedLiteral(`"${inside}"`);
}

/** The text a literal stands for. */
export function literalText(value: string): string {
  return JSON.parse(value) as string;
}

/** `msg_1f2e...`: a prefix and 24 random hex digits (ids the gateway makes up). */
export function randomId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return `${prefix}${hex}`;
}
