/**
 * The `regex` guard's rules: agentgateway's builtins (`ssn`, `creditCard`, `phoneNumber`,
 * `email`, `caSin`) and custom patterns, found in text and masked (`<CREDIT_CARD>`, `<EMAIL>`...,
 * `<MASKED>` for custom patterns).
 *
 * Streams are masked incrementally (`StreamMasker`): text is released only up to where no match
 * can still begin. A match that reaches the end of the text seen so far may grow with the next
 * chunk, so the tail that could belong to one is held back: for a builtin, the run of characters
 * its matches are made of (digits and separators, an email's characters), at most its longest
 * match; for a custom pattern, the last 128 characters. A match is never released in part. The
 * released text is therefore exactly what masking the whole answer at once gives, wherever the
 * chunks are cut.
 */

export type Builtin = "ssn" | "creditCard" | "phoneNumber" | "email" | "caSin";

export interface Rule {
  readonly label: string;
  /** global regex (lastIndex is reset before each use) */
  readonly re: RegExp;
  /** an extra check of a match (Luhn for card numbers and SINs) */
  readonly valid?: (match: string) => boolean;
  /** the characters a match is made of (undefined: unknown, a custom pattern) */
  readonly chars?: RegExp;
  /** the characters a match can begin with (within `chars`) */
  readonly starts?: RegExp;
  /** a character every match contains: text without one is not searched (a digit, an `@`) */
  readonly needs?: RegExp;
  /** the longest match possible */
  readonly maxLength: number;
}

/** How much of a custom pattern's possible match is held back in streams. */
export const CUSTOM_HOLD = 128;

function luhn(match: string): boolean {
  const digits = match.replace(/\D/g, "");
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const DIGIT = /\d/;
const PHONE_START = /[\d+(]/;
const BUILTINS: Record<Builtin, Rule> = {
  ssn: { label: "<SSN>", re: /(?<![\w.-])\d{3}([- .])\d{2}\1\d{4}(?![\w-])/g, chars: /[\d .-]/, starts: DIGIT, needs: DIGIT, maxLength: 11 },
  creditCard: { label: "<CREDIT_CARD>", re: /(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d])/g, valid: luhn, chars: /[\d -]/, starts: DIGIT, needs: DIGIT, maxLength: 37 },
  phoneNumber: {
    label: "<PHONE_NUMBER>",
    re: /(?<![\w+(])(?:(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-]?)\d{3}[ .-]?\d{4}|\+[1-9](?:[ .-]?\d){7,13})(?![\w])/g,
    chars: /[\d ()+.-]/,
    starts: PHONE_START,
    needs: DIGIT,
    maxLength: 24,
  },
  email: { label: "<EMAIL>", re: /(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])/g, chars: /[\w.%+@-]/, starts: /[\w.%+-]/, needs: /@/, maxLength: 254 },
  caSin: { label: "<CA_SIN>", re: /(?<![\d-])\d{3}([ -]?)\d{3}\1\d{3}(?![\d])/g, valid: luhn, chars: /[\d -]/, starts: DIGIT, needs: DIGIT, maxLength: 11 },
};

/** ASCII membership tables of the rules' character classes (a regex test per character is slow). */
const TABLES = new WeakMap<RegExp, Uint8Array>();
function tableOf(chars: RegExp): Uint8Array {
  let table = TABLES.get(chars);
  if (!table) {
    table = new Uint8Array(128);
    for (let i = 0; i < 128; i++) table[i] = chars.test(String.fromCharCode(i)) ? 1 : 0;
    TABLES.set(chars, table);
  }
  return table;
}

function inClass(chars: RegExp, table: Uint8Array, text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code < 128 ? table[code] === 1 : chars.test(text[i]!);
}

export function builtinRule(name: Builtin): Rule {
  return BUILTINS[name];
}

/**
 * A custom pattern (JavaScript regex syntax, plus leading inline flags as agentgateway's Rust
 * patterns write them: `(?i)`, `(?s)`, `(?m)`); throws SyntaxError when it is not one.
 */
export function patternRule(pattern: string): Rule {
  const flags = /^\(\?([ims]+)\)/.exec(pattern);
  const source = flags ? pattern.slice(flags[0].length) : pattern;
  return { label: "<MASKED>", re: new RegExp(source, `g${flags ? [...new Set(flags[1])].join("") : ""}`), maxLength: CUSTOM_HOLD };
}

export interface Match {
  start: number;
  end: number;
  label: string;
}

/** Every match of `rules` in `text` at or after `from` (earlier text is lookbehind context), merged where they overlap. */
export function findMatches(rules: readonly Rule[], text: string, from = 0): Match[] {
  const found: Match[] = [];
  // rules in a row with the same needs (the builtins but email: a digit) look for it once
  let lastNeeds: RegExp | undefined;
  let lastFound = false;
  for (const rule of rules) {
    if (rule.needs) {
      if (rule.needs !== lastNeeds) {
        lastNeeds = rule.needs;
        lastFound = rule.needs.test(text);
      }
      if (!lastFound) continue;
    }
    const re = rule.re;
    re.lastIndex = from;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      if (!rule.valid || rule.valid(m[0])) found.push({ start: m.index, end: m.index + m[0].length, label: rule.label });
    }
  }
  if (found.length <= 1) return found;
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: Match[] = [found[0]!];
  for (const m of found.slice(1)) {
    const last = merged[merged.length - 1]!;
    if (m.start < last.end) last.end = Math.max(last.end, m.end);
    else merged.push(m);
  }
  return merged;
}

/** `text` with `matches` (inside [from, to)) replaced by their labels. */
export function applyMasks(text: string, matches: readonly Match[], from = 0, to = text.length): string {
  let out = "";
  let at = from;
  for (const m of matches) {
    if (m.start < from || m.end > to) continue;
    out += text.slice(at, m.start) + m.label;
    at = m.end;
  }
  return out + text.slice(at, to);
}

export function maskText(rules: readonly Rule[], text: string): { text: string; matched: boolean } {
  const matches = findMatches(rules, text);
  return matches.length === 0 ? { text, matched: false } : { text: applyMasks(text, matches), matched: true };
}

/** How many trailing characters of `text` could still be the start of a match that grows. */
function holdBack(rules: readonly Rule[], text: string): number {
  let hold = 0;
  for (const rule of rules) {
    const cap = Math.min(text.length, rule.maxLength - 1);
    if (!rule.chars) {
      hold = Math.max(hold, cap);
      continue;
    }
    const table = tableOf(rule.chars);
    let n = 0;
    while (n < cap && inClass(rule.chars, table, text, text.length - 1 - n)) n++;
    // a match begins at a character that can start one: separators before it cannot grow into one
    if (rule.starts && n > 0) {
      const starts = tableOf(rule.starts);
      while (n > 0 && !inClass(rule.starts, starts, text, text.length - n)) n--;
    }
    if (n > hold) hold = n;
  }
  return hold;
}

const CONTEXT = 16;
const NONE: Match[] = [];

/** Incremental masking of one stream of text (see the top of this file). */
export class StreamMasker {
  private pending = "";
  /** the last released characters, for the patterns' lookbehinds */
  private context = "";
  /** a match was seen (for `reject`) */
  matched = false;
  /** what text must contain to hold a match (undefined: anything may: a custom pattern) */
  private readonly needs: RegExp | undefined;

  constructor(private readonly rules: readonly Rule[]) {
    // one regex for all (the needs are single characters or classes): one pass over each chunk
    this.needs = rules.every((r) => r.needs) ? new RegExp([...new Set(rules.map((r) => r.needs!.source))].join("|")) : undefined;
  }

  /** More text; returns the masked text that can go out now ("" for none). */
  push(text: string): string {
    const held = this.pending + text;
    if (!this.mayMatch(held)) {
      // the usual case: what is held cannot contain a match (a match lies wholly in it: the
      // released text before is context only); only a tail that could start one waits. Most
      // chunks come here with a held word, since any word may begin an email address.
      const end = held.length - holdBack(this.rules, held);
      this.pending = end === held.length ? "" : held.slice(end);
      return this.released(end === held.length ? held : held.slice(0, end));
    }
    this.pending = held;
    return this.release(false);
  }

  /** The end of the text: everything held, masked. */
  flush(): string {
    return this.release(true);
  }

  get holding(): boolean {
    return this.pending.length > 0;
  }

  private mayMatch(text: string): boolean {
    return !this.needs || this.needs.test(text);
  }

  /** `out` goes out; the context keeps at least its last CONTEXT characters, trimmed only now and then (a slice per chunk flattened a string each time) */
  private released(out: string): string {
    if (out === "") return out;
    this.context = out.length >= CONTEXT ? out : this.context + out;
    if (this.context.length > 8 * CONTEXT) this.context = this.context.slice(-CONTEXT);
    return out;
  }

  private release(all: boolean): string {
    if (this.pending.length === 0) return "";
    const base = this.context.length;
    const text = this.context + this.pending;
    const matches = this.mayMatch(this.pending) ? findMatches(this.rules, text, base) : NONE;
    if (matches.length > 0) this.matched = true;
    let end = all ? text.length : text.length - holdBack(this.rules, this.pending);
    // never part of a match: stop before one that the cut would split
    for (const m of matches) if (m.start < end && m.end > end) end = m.start;
    if (end <= base) return "";
    const out = applyMasks(text, matches, base, end);
    this.context = text.slice(Math.max(0, end - CONTEXT), end);
    this.pending = text.slice(end);
    return out;
  }
}
