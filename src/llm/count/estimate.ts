/**
 * A local estimate of the input tokens of a hub request, for count-tokens requests on providers
 * that have no counting endpoint. No tokenizer ships with the gateway (each model family has its
 * own, and they weigh megabytes); the estimate follows how BPE tokenizers cut text instead:
 *
 *   words       one token up to 8 letters (with their leading space), then one per 4.5 more
 *               (the common long words are single tokens; rare ones split in pieces of ~4)
 *   digits      one token per 3 (tokenizers group numbers by up to 3 digits)
 *   punctuation one token per 2 characters of a run (`("`, `});` merge), at least one
 *   whitespace  one token per run (indentation and line breaks are merged tokens)
 *   CJK, kana   one token per 1.25 characters; other letters outside Latin: 1 per 2.6 characters
 *   per message 3 tokens, plus 3 for the reply's priming (OpenAI's documented overhead);
 *               tools: their JSON definition as text; images: 1,600 each (Claude's cost of an
 *               image at the ~1.15 MP size clients resize to); files: 1,500 each
 *
 * Error bound (test/llm/count/estimate.test.ts, against o200k, the GPT-4o / GPT-5 tokenizer):
 * within 15% on every sample of 200+ tokens of English prose, source code, JSON, Markdown and
 * chat transcripts, within 25% on German, Russian, Chinese and Japanese text, and within 10% on
 * the corpus as a whole. Other tokenizers differ among themselves by more than that (Claude's
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
    if (c === 32 || c === 10 || c === 9 || c === 13) tokens += 1;
    else if (CJK.test(piece)) tokens += Math.ceil(piece.length / 1.25);
    else if (/^\p{N}/u.test(piece)) tokens += Math.ceil(piece.length / 3);
    else if (/^\p{L}/u.test(piece)) tokens += LATIN.test(piece) ? wordTokens(piece.length) : Math.ceil(piece.length / 2.6);
    else tokens += Math.ceil(piece.length / 2);
  }
  // a space before a word is part of the word's token, not one of its own
  const spacedWords = text.match(/ (?=\p{L})/gu)?.length ?? 0;
  return Math.max(0, tokens - spacedWords);
}

function wordTokens(letters: number): number {
  return letters <= 8 ? 1 : 1 + Math.ceil((letters - 8) / 4.5);
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
