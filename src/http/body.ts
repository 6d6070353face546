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
