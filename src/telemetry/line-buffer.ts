/**
 * Log lines written straight into bytes. Building a line as a string made about 55 strings a
 * request for the access log (a rope per `+=`, one per number, one per quoted value) that the
 * collector then had to sweep, and the sink had to flatten and encode the result again; here
 * the values are copied byte by byte into one buffer, and a batch of lines is one copy out.
 * Plain ASCII (nearly every value: routes, paths, models, numbers) takes the byte loop; anything
 * else goes through the exact rules below as a string, then UTF-8.
 */

const encoder = new TextEncoder();

/**
 * A text-format value written without quotes: not empty, no space, quote, `=` or control
 * character (else a JSON string). Control characters are escaped so that a client's text (a model
 * name) cannot put terminal escapes or a NUL into an operator's log.
 */
const BARE = /^[^\s"=\u0000-\u001f\u007f-\u009f]+$/;

const C1 = /[\u007f-\u009f]/;
const C1_ALL = /[\u007f-\u009f]/g;

/** A JSON string literal that also escapes DEL and the C1 controls (JSON.stringify leaves them raw; some terminals act on them). */
function quoted(s: string): string {
  const json = JSON.stringify(s);
  return C1.test(json) ? json.replace(C1_ALL, (c) => `\\u00${c.charCodeAt(0).toString(16)}`) : json;
}

export class LineBuffer {
  private bytes = new Uint8Array(16 * 1024);
  private at = 0;

  /** what was written since the last `take`, as a copy the sink may keep; the buffer starts over */
  take(): Uint8Array {
    const out = this.bytes.slice(0, this.at);
    this.at = 0;
    return out;
  }

  get length(): number {
    return this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.at + n));
    grown.set(this.bytes.subarray(0, this.at));
    this.bytes = grown;
  }

  byte(b: number): void {
    this.room(1);
    this.bytes[this.at++] = b;
  }

  /** text as it is: ASCII byte by byte, anything else as UTF-8 */
  raw(s: string): void {
    this.room(s.length);
    const bytes = this.bytes;
    const from = this.at;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 128) return this.utf8(s);
      bytes[from + i] = c;
    }
    this.at = from + s.length;
  }

  /** any text, as UTF-8 (lone surrogates become U+FFFD) */
  utf8(s: string): void {
    this.room(s.length * 3);
    this.at += encoder.encodeInto(s, this.bytes.subarray(this.at)).written;
  }

  /** A value in the text format: as it is when bare (see BARE), else as a JSON string. */
  textValue(s: string): void {
    if (!this.plain(s, false)) this.utf8(BARE.test(s) ? s : quoted(s));
  }

  /** A JSON string literal. */
  jsonString(s: string): void {
    this.byte(34);
    if (this.plain(s, true)) this.byte(34);
    else {
      this.at--; // the quote: quoted() writes its own
      this.utf8(quoted(s));
    }
  }

  /**
   * Copies `s` when it needs nothing done: printable ASCII without `"`, and in the text format
   * without a space or `=`, in a JSON string without `\`. Otherwise it writes nothing and answers
   * false. Empty text is not plain in the text format (it is written `""`).
   */
  private plain(s: string, json: boolean): boolean {
    const n = s.length;
    if (n === 0) return json;
    this.room(n);
    const bytes = this.bytes;
    const from = this.at;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 127 || c === 34 || (json ? c < 32 || c === 92 : c <= 32 || c === 61)) return false;
      bytes[from + i] = c;
    }
    this.at = from + n;
    return true;
  }

  /** A number as JavaScript writes it; in JSON, NaN and the infinities are `null` (as JSON.stringify has them). */
  number(v: number, json: boolean): void {
    // (int32 arithmetic: counts, statuses, ports and milliseconds; the rest as JavaScript writes them)
    if (v >= 0 && v <= 0x7fffffff && (v | 0) === v) this.digits(v | 0);
    else if (json && !Number.isFinite(v)) this.raw("null");
    else this.raw(String(v));
  }

  private digits(v: number): void {
    let width = 1;
    for (let rest = (v / 10) | 0; rest > 0; rest = (rest / 10) | 0) width++;
    this.room(width);
    const bytes = this.bytes;
    let at = this.at + width;
    this.at = at;
    do {
      const next = (v / 10) | 0;
      bytes[--at] = 48 + v - next * 10;
      v = next;
    } while (v > 0);
  }
}
