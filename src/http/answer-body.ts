/**
 * Upstream answers the gateway reads whole (to translate, guard or price them), within the buffer
 * limit: agentgateway bounds buffered answers by the same `maxBufferSize` as request bodies.
 * Without a bound, an upstream that sent an endless or huge body (a broken server, a
 * `hostOverride` pointing at the wrong service) grew the gateway's memory by ~300 MB a second
 * until the process died, and every client with it (measured, `bun src/main.ts`).
 *
 * A length the upstream declares (no content coding) within the limit is read by Bun in one go,
 * as before; one over it is refused before a byte is read. An answer of unknown length, or a
 * compressed one (Bun inflates it: its declared length is not what it becomes), is read and
 * counted, and cancelled once past the limit.
 */
import { lenientUtf8, readWithin } from "./body.ts";
import { HttpError } from "./errors.ts";

export function answerText(res: Response, limit: number): Promise<string> {
  const declared = declaredLength(res);
  if (declared !== undefined && declared <= limit) return res.text();
  return answerRead(res, limit, declared).then((bytes) => lenientUtf8.decode(bytes));
}

export function answerBytes(res: Response, limit: number): Promise<Uint8Array> {
  const declared = declaredLength(res);
  if (declared !== undefined && declared <= limit) return res.bytes();
  return answerRead(res, limit, declared);
}

/** The body's length as sent, when Bun hands it over as it came (no content coding to undo). */
function declaredLength(res: Response): number | undefined {
  const h = res.headers;
  const length = h.get("content-length");
  if (length === null || h.has("content-encoding")) return undefined;
  const n = Number(length);
  return Number.isFinite(n) ? n : undefined;
}

async function answerRead(res: Response, limit: number, declared: number | undefined): Promise<Uint8Array> {
  if (declared !== undefined) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(limit, declared);
  }
  const bytes = await readWithin(res.body, limit);
  if (bytes === undefined) throw tooLarge(limit, undefined);
  return bytes;
}

function tooLarge(limit: number, declared: number | undefined): HttpError {
  const size = declared === undefined ? `more than ${limit} bytes` : `${declared} bytes`;
  return new HttpError(502, `upstream answer of ${size} is larger than the gateway buffers (frontendPolicies.http.maxBufferSize: ${limit} bytes)`, {
    code: "upstream_answer_too_large",
  });
}
