/**
 * Reading client request bodies the gateway must inspect (LLM routes), with a size limit that
 * holds with and without Content-Length, and JSON parsing that rejects bad UTF-8.
 */
import { concatBytes } from "./bytes.ts";
import { HttpError } from "./errors.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `request body is larger than the gateway's limit of ${limit} bytes`, {
    code: "request_body_too_large",
  });
}

export async function readBody(req: Request, limit: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  if (declared !== null) {
    const n = Number(declared);
    if (n > limit) throw tooLarge(limit);
    // known length within the limit: let Bun read it in one go
    if (Number.isFinite(n)) return new Uint8Array(await req.arrayBuffer());
  }
  const body = req.body;
  if (!body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return chunks.length === 0 ? new Uint8Array(0) : concatBytes(chunks);
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
  return value as Record<string, unknown>;
}

/**
 * Beyond this depth a stack overflow while handling a request is the body's doing: JSON.parse
 * takes any depth, but JSON.stringify, structuredClone and the translators recurse, and give out
 * somewhere past 20 000 levels (less on a deep call stack).
 */
const MAX_NESTING = 1000;

/**
 * A 400 for a request whose body nests too deeply for the gateway to walk (`err` a stack
 * overflow, `body` the client's JSON); any other error as it is. The body is scanned only after
 * such a failure, so requests that succeed pay nothing for the check.
 */
export function nestingError(err: unknown, body: Uint8Array | undefined): unknown {
  if (!(err instanceof RangeError) || body === undefined || !nestsDeeperThan(body, MAX_NESTING)) return err;
  return new HttpError(400, `request body nests more than ${MAX_NESTING} levels deep`, { code: "invalid_request_body" });
}

/** Whether JSON text opens more than `limit` arrays or objects inside each other (strings skipped). */
export function nestsDeeperThan(bytes: Uint8Array, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++; // a backslash escapes the next byte (a quote among them)
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > limit) return true;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return false;
}
