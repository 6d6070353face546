/**
 * Reading client request bodies the gateway must inspect (LLM routes), with a size limit that
 * holds with and without Content-Length, and JSON parsing that rejects bad UTF-8. (Upstream
 * answers are read within the same limit: answer-body.ts.)
 */
import { concatBytes } from "./bytes.ts";
import { HttpError } from "./errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** text from other parties, read as Response.text() reads it (invalid bytes replaced) */
export const lenientUtf8 = new TextDecoder();

/** A client body over the gateway's limit (`frontendPolicies.http.maxBufferSize`). */
export function bodyTooLarge(limit: number): HttpError {
  return new HttpError(413, `request body is larger than the gateway's limit of ${limit} bytes`, {
    code: "request_body_too_large",
  });
}

export function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (n > limit) return Promise.reject(bodyTooLarge(limit));
    // known length within the limit: let Bun read it in one go (its own promise: no async frame, no then)
    if (Number.isFinite(n)) return req.bytes();
  }
  return readChunked(req, limit);
}

/** A body of unknown length, read until the limit. */
async function readChunked(req: Request, limit: number): Promise<Uint8Array> {
  const bytes = await readWithin(req.body, limit);
  if (bytes === undefined) throw bodyTooLarge(limit);
  return bytes;
}

/** A body read whole, or undefined once it passed `limit` bytes (the rest cancelled, nothing joined). */
export async function readWithin(body: ReadableStream<Uint8Array> | null, limit: number): Promise<Uint8Array | undefined> {
  const read = await readUpTo(body, limit, false);
  return read.whole ? read.bytes : undefined;
}

/**
 * A body's first `limit` bytes at most, as text (the rest cancelled, never read; a body that
 * breaks off reads as ""): error pages, denials.
 */
export async function readTextPrefix(body: ReadableStream<Uint8Array> | null, limit: number): Promise<string> {
  const read = await readUpTo(body, limit, true).catch(() => undefined);
  return read ? lenientUtf8.decode(read.bytes) : "";
}

/**
 * Reads until the body ends or passes `limit` bytes (then cancels it: never more than `limit`
 * bytes plus one network read are held). Past the limit, `bytes` is the first `limit` bytes when
 * `keepPrefix`, else empty.
 */
async function readUpTo(body: ReadableStream<Uint8Array> | null, limit: number, keepPrefix: boolean): Promise<{ bytes: Uint8Array; whole: boolean }> {
  if (!body) return { bytes: new Uint8Array(0), whole: true };
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (total + value.byteLength > limit) {
      await reader.cancel().catch(() => {});
      if (!keepPrefix) return { bytes: new Uint8Array(0), whole: false };
      chunks.push(value.subarray(0, limit - total));
      return { bytes: concatBytes(chunks), whole: false };
    }
    total += value.byteLength;
    chunks.push(value);
  }
  return { bytes: chunks.length === 0 ? new Uint8Array(0) : concatBytes(chunks), whole: true };
}

/** Parses a JSON object body; 400 with a clear message for anything else. */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, "request body is not valid UTF-8", { code: "invalid_request_body" });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, `request body must be valid JSON: ${(err as Error).message}`, { code: "invalid_request_body" });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new HttpError(400, "request body must be a JSON object", { code: "invalid_request_body" });
  }
  if (bytes.length >= SCAN_NESTING_FROM && nestsDeeperThan(bytes, MAX_NESTING)) throw tooDeep();
  return value as Record<string, unknown>;
}

/**
 * Deeper than this, a body is refused when parsed. JSON.parse takes any depth, but
 * re-serializing a deeply nested value (a tool's schema, on its way to another provider) costs
 * the square of its depth in JSON.stringify's cycle check (about 0.5 s at 30 000 levels, 1.4 s
 * from a 120 KB body), and the translators and JSON.stringify recurse: past ~20 000 levels the
 * stack overflows.
 */
const MAX_NESTING = 1000;

/**
 * Bodies this long or longer are scanned for their nesting once parsed. A shorter one cannot nest
 * past ~2 000 levels (a few ms to re-serialize, far from the stack's limit), so the chat requests
 * of the hot path are never scanned; the scan skips strings with a native search and costs about
 * 0.5 ms a MB (a third of parsing).
 */
const SCAN_NESTING_FROM = 4096;

function tooDeep(): HttpError {
  return new HttpError(400, `request body nests more than ${MAX_NESTING} levels deep`, { code: "invalid_request_body" });
}

/**
 * Whether JSON text opens more than `limit` arrays or objects inside each other. Strings are
 * skipped with a native search for their closing quote (one not escaped by an odd run of
 * backslashes): most of a chat body is text, so only its structure is walked byte by byte.
 */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x22) {
      let q = bytes.indexOf(0x22, i + 1);
      for (;;) {
        if (q === -1) return false;
        let k = q - 1;
        while (bytes[k] === 0x5c) k--;
        if ((q - 1 - k) % 2 === 0) break;
        q = bytes.indexOf(0x22, q + 1);
      }
      i = q;
    } else if (b === 0x5b || b === 0x7b) {
      if (++depth > limit) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}
