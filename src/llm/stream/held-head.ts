/**
 * The head of a passed-through stream, held until it says something, when another attempt could
 * still replace a failed answer (the candidate loop's `mayMoveOn`). The formats are told by the
 * answer's content type: SSE (any format the gateway knows: sse-head.ts, error-events.ts) and AWS
 * event streams (eventstream-head.ts). Reads go on until the first one that carries content; then
 * everything read so far goes out as it came and the rest is relayed unchanged (passthrough.ts).
 *
 * Before that first content:
 *   - an error event or exception is a refusal: the HTTP error the provider answers the same error
 *     with, which the loop screens like any answer (and fails over from on a 429 or 5xx);
 *   - a broken connection or the backend timeout is a thrown HTTP error (502, 504), a failure of
 *     the attempt like a refused connection;
 *   - an end inside an event or frame is a 502 (`upstream_stream_incomplete`); an end after whole
 *     events that said nothing passes the stream on as it was.
 */
import { concatBytes } from "../../http/bytes.ts";
import { anyEventError } from "./error-events.ts";
import { eventStreamHead } from "./eventstream-head.ts";
import { failureHttpError, failureStatus } from "../hub/failure.ts";
import { connectionFailure } from "./pipeline.ts";
import { SseHeadJudge, type HeadVerdict } from "./sse-head.ts";
import { createSseFramer } from "./sse.ts";

/** An answer in place of a stream that failed before its content: status, JSON body, headers. */
export interface Refusal {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** A format's reading of a stream's head, one network read at a time. */
export interface HeadJudge {
  push(chunk: Uint8Array): HeadVerdict;
  /** the upstream ended: false when it ended inside an event or frame */
  complete(): boolean;
  /** set with a "fail" verdict */
  readonly refusal: Refusal | undefined;
}

/** The upstream body's reader, as far as a relay needs it. */
export interface ByteReader {
  read(): Promise<{ done: false; value: Uint8Array } | { done: true; value?: Uint8Array | undefined }>;
  cancel(): Promise<void>;
}

/** What was read: the bytes to send first and the reader to go on from, or a refusal. */
export type Head = { held: Uint8Array; reader: ByteReader } | { refusal: Refusal };

/** The judge for an answer's content type, when it is a stream format the gateway can read. */
export function headJudge(contentType: string): HeadJudge | undefined {
  if (contentType.includes("text/event-stream")) return sseHead();
  if (contentType.includes("application/vnd.amazon.eventstream")) return eventStreamHead();
  return undefined;
}

/** Reads `upstream` until its first content (see the top of this file). */
export async function readHead(upstream: ReadableStream<Uint8Array>, judge: HeadJudge): Promise<Head> {
  const reader: ByteReader = upstream.getReader();
  const held: Uint8Array[] = [];
  for (;;) {
    let read: Awaited<ReturnType<ByteReader["read"]>>;
    try {
      read = await reader.read();
    } catch (err) {
      reader.cancel().catch(() => {});
      throw failureHttpError(connectionFailure(err));
    }
    if (read.done) {
      if (!judge.complete()) throw failureHttpError({ kind: "incomplete", message: "upstream stream was cut off before its first content" });
      return { held: concatBytes(held), reader };
    }
    held.push(read.value);
    const verdict = judge.push(read.value);
    if (verdict === "start") return { held: concatBytes(held), reader };
    if (verdict === "fail") {
      reader.cancel().catch(() => {});
      return { refusal: judge.refusal! };
    }
  }
}

/** SSE of any format the gateway knows; the error event's data is the provider's HTTP error body. */
function sseHead(): HeadJudge {
  const framer = createSseFramer();
  const judge = new SseHeadJudge(anyEventError);
  return {
    push: (chunk) => judge.judge(framer.push(chunk)),
    complete() {
      framer.end();
      return framer.pending === 0;
    },
    get refusal() {
      const e = judge.error;
      return e && { status: failureStatus(e.failure), body: e.body, headers: {} };
    },
  };
}
