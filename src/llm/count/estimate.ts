/**
 * A local estimate of the input tokens of a hub request, for count-tokens requests on providers
 * that have no counting endpoint. No tokenizer ships with the gateway (each model family has its
 * own, and they weigh megabytes); the estimate follows how BPE tokenizers cut text instead:
 *
 *   words       one token up to 9 letters (with their leading space), then one per 5 more
 *               (the common long words are single tokens; rare ones split in pieces)
 *   digits      one token per 3 (tokenizers group numbers by up to 3 digits)
 *   punctuation one token per 3 characters of a run (`("`, `});` merge), at least one
 *   whitespace  a single space joins the next token; any other run is one token
 *               (indentation and line breaks are merged tokens)
 *   CJK, kana   one token per 1.25 characters; other scripts' words: one per 5 letters
 *   per message 3 tokens, plus 3 for the reply's priming (OpenAI's documented overhead);
 *               tools: their JSON definition as text; images: 1,600 each (Claude's cost of an
 *               image at the ~1.15 MP size clients resize to); files: 1,500 each
 *
 * Error bound (test/llm/count/estimate.test.ts, against o200k, the GPT-4o / GPT-5 tokenizer):
 * within 15% on every sample of 200+ tokens (English prose and Markdown, TypeScript, JSON,
 * German, Spanish, Russian, Chinese and Japanese prose: test/fixtures/text/ and the recorded
 * provider fixtures), and within 5% on the corpus as a whole; the constants above were fitted
 * on that corpus. Other tokenizers differ among themselves by more than that (Claude's
 * counts about 10-25% more tokens than o200k on English), so treat the number as a budget
 * estimate, not a bill.
 */
import type { ChatMessage, ChatRequest } from "../types.ts";

const PIECE = /(\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul})+|\p{L}+|\p{N}+|\s+|[^\p{L}\p{N}\s]+/gu;
const CJK = /^(\p{Script=Han}|\p{Script=Hiragana}|\p{Script=Katakana}|\p{Script=Hangul})/u;
const LATIN = /^[\p{Script=Latin}]+$/u;

export const IMAGE_TOKENS = 1600;
export const FILE_TOKENS = 1500;
const PER_MESSAGE = 3;
const PRIMING = 3;

/** Estimated tokens of a text. */
export function estimateTextTokens(text: string): number {
  let tokens = 0;
  for (const m of text.matchAll(PIECE)) {
    const piece = m[0];
    const c = piece.charCodeAt(0);
    if (c === 32 || c === 10 || c === 9 || c === 13) tokens += piece === " " ? 0 : 1;
    else if (CJK.test(piece)) tokens += Math.ceil(piece.length / 1.25);
    else if (/^\p{N}/u.test(piece)) tokens += Math.ceil(piece.length / 3);
    else if (/^\p{L}/u.test(piece)) tokens += LATIN.test(piece) ? wordTokens(piece.length) : Math.ceil(piece.length / 5);
    else tokens += Math.ceil(piece.length / 3);
  }
  return tokens;
}

function wordTokens(letters: number): number {
  return letters <= 9 ? 1 : 1 + Math.ceil((letters - 9) / 5);
}

function contentTokens(content: unknown): number {
  if (typeof content === "string") return estimateTextTokens(content);
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const p of content as { type?: unknown; text?: unknown }[]) {
    if (typeof p?.text === "string") n += estimateTextTokens(p.text);
    else if (p?.type === "image_url") n += IMAGE_TOKENS;
    else if (p?.type === "file" || p?.type === "input_audio") n += FILE_TOKENS;
  }
  return n;
}

function messageTokens(m: ChatMessage): number {
  let n = PER_MESSAGE + contentTokens(m.content);
  for (const c of (m.tool_calls ?? []) as { function?: { name?: unknown; arguments?: unknown } }[]) {
    n += estimateTextTokens(`${String(c.function?.name ?? "")} ${String(c.function?.arguments ?? "")}`);
  }
  for (const b of (m.thinking_blocks ?? []) as { thinking?: unknown }[]) if (typeof b?.thinking === "string") n += estimateTextTokens(b.thinking);
  return n;
}

/** Estimated input tokens of a whole request: messages, tools and the reply's priming. */
export function estimateRequestTokens(req: ChatRequest): number {
  let n = PRIMING;
  for (const m of req.messages) n += messageTokens(m);
  if (Array.isArray(req.tools) && req.tools.length > 0) n += estimateTextTokens(JSON.stringify(req.tools));
  return n;
}
