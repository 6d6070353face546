/**
 * A streamed request answered whole. Some OpenAI-compatible servers (and proxies in front of
 * providers) answer `stream: true` with one JSON completion. Relayed as it was, an SDK reading
 * the body as server-sent events found no event in it and gave the application an empty answer
 * without an error; through a translation the client got "stream cut off mid-event". The answer
 * is now read whole (within the buffer limit) and written to the client as the stream it asked
 * for, as LiteLLM's fake streaming does: role, reasoning, text, tool calls, finish and usage, in
 * the client's own format.
 *
 * Which shape came is decided by the body, not the content type: a server that labels its
 * events `application/json` still streams. An answer declared `text/event-stream` (or AWS's
 * event stream) goes straight to the stream translator, so streams that are streams pay nothing.
 */
import type { ProviderTarget } from "../../config/model.ts";
import { concatBytes } from "../../http/bytes.ts";
import { HttpError } from "../../http/errors.ts";
import { lenientUtf8 } from "../../http/body.ts";
import { literal, type ByteTranslator, type HubMessage, type HubWriter } from "../hub/parts.ts";
import type { StreamContext } from "../types.ts";
import { errorInAnswer } from "../upstream-error.ts";

/** Leading whitespace read before deciding (a body of blanks only is not held without bound). */
const MAX_LEADING_BLANKS = 65536;

/** What reading a streamed request's answer takes (one object: no closures per stream). */
export interface StreamRead {
  /** the answer's content type */
  contentType: string | null;
  /** the provider's readers of streams and of whole answers */
  reader: { stream(ctx: StreamContext, out: HubWriter): ByteTranslator; response(body: string, ctx: StreamContext): HubMessage };
  ctx: StreamContext;
  /** the buffer limit a whole answer keeps to */
  limit: number;
  target: ProviderTarget;
}

/**
 * The translator for an answer to a streamed request: the stream reader for an event stream, a
 * whole answer's for a JSON body; chosen by the content type when it says event stream, else by
 * the first byte.
 */
export function streamOrWhole(read: StreamRead, out: HubWriter): ByteTranslator {
  return declaresStream(read.contentType) ? read.reader.stream(read.ctx, out) : new ShapeSniffer(read, out);
}

/** The content type of an event stream (SSE, or AWS's binary event stream). */
export function declaresStream(contentType: string | null): boolean {
  return contentType !== null && (contentType.includes("text/event-stream") || contentType.includes("eventstream"));
}

class ShapeSniffer implements ByteTranslator {
  private inner: ByteTranslator | undefined;
  private held: Uint8Array[] = [];
  private heldBytes = 0;

  constructor(
    private readonly read: StreamRead,
    private readonly out: HubWriter,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.inner) return this.inner.push(chunk);
    const at = firstNonBlank(chunk);
    if (at === -1 && this.heldBytes + chunk.byteLength <= MAX_LEADING_BLANKS) {
      this.held.push(chunk);
      this.heldBytes += chunk.byteLength;
      return;
    }
    const inner = (this.inner = at !== -1 && chunk[at] === 0x7b /* { */ ? new WholeAnswer(this.read, this.out) : this.stream());
    for (const h of this.held) inner.push(h);
    this.held = [];
    inner.push(chunk);
  }

  end(): void {
    (this.inner ??= this.stream()).end();
  }

  interrupted(): void {
    this.inner?.interrupted?.();
  }

  private stream(): ByteTranslator {
    return this.read.reader.stream(this.read.ctx, this.out);
  }

  get pending(): number {
    return this.inner ? this.inner.pending : this.heldBytes;
  }
}

function firstNonBlank(chunk: Uint8Array): number {
  for (let i = 0; i < chunk.byteLength; i++) {
    const c = chunk[i]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
  }
  return -1;
}

/**
 * A JSON answer read whole (within the buffer limit every answer read whole keeps to), read by the
 * provider's reader of whole answers (the same as for requests that did not stream), then written
 * to `out` as a stream's parts.
 */
class WholeAnswer implements ByteTranslator {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private over = false;

  constructor(
    private readonly read: StreamRead,
    private readonly out: HubWriter,
  ) {}

  push(chunk: Uint8Array): void {
    if (this.over) return;
    this.size += chunk.byteLength;
    const { limit, target } = this.read;
    if (this.size <= limit) return void this.chunks.push(chunk);
    this.over = true;
    this.chunks = [];
    this.out.fail({ kind: "invalid", status: 502, message: `upstream ${target.provider.telemetryName} answered the stream with one JSON body larger than the gateway's limit of ${limit} bytes` });
  }

  end(): void {
    if (this.over) return;
    const text = lenientUtf8.decode(concatBytes(this.chunks));
    this.chunks = [];
    this.size = 0;
    let msg: HubMessage;
    try {
      msg = this.read.reader.response(text, this.read.ctx);
    } catch (err) {
      // the reader's own verdict (a blocked prompt...), or an error object in place of the answer, keeps its status and message
      const verdict = err instanceof HttpError ? err : errorInAnswer(text, this.read.target);
      if (verdict) return this.out.fail({ kind: "provider", status: verdict.status, message: verdict.message, ...(verdict.code ? { providerCode: verdict.code } : {}) });
      return this.out.fail({ kind: "invalid", status: 502, message: `upstream ${this.read.target.provider.telemetryName} answered the stream with JSON the gateway could not read` });
    }
    writeMessage(msg, this.out);
  }

  get pending(): number {
    return this.size;
  }
}

/** A whole answer as the parts a stream of it would have brought, in a stream's order. */
function writeMessage(msg: HubMessage, out: HubWriter): void {
  out.start({ id: msg.id, model: msg.model });
  if (msg.thinkingBlocks?.length) {
    for (const b of msg.thinkingBlocks) {
      if (b.type === "redacted_thinking") {
        out.thinkingRedacted(b.data);
        continue;
      }
      if (b.thinking !== "") out.reasoning(literal(b.thinking));
      out.thinkingSigned(b.signature);
    }
  } else if (msg.reasoning) out.reasoning(literal(msg.reasoning));
  if (msg.text) out.text(literal(msg.text));
  if (msg.answerSignature) out.answerSignature(msg.answerSignature);
  msg.toolCalls.forEach((call, index) => out.toolCall({ index, id: call.id, name: call.name, args: literal(call.arguments), signature: call.signature }));
  out.finish(msg.finish);
  if (msg.usage) out.usage(msg.usage);
  out.end();
}
