/**
 * The streaming pipeline: upstream bytes -> (translation) -> client bytes, one network read at a
 * time, never holding a whole response.
 *
 * Whatever goes wrong after the response headers went out (connection reset at any byte, a
 * stall past the timeout, invalid JSON, a stream cut before its end) ends the client's stream with
 * a final OpenAI-shaped `data: {"error": ...}` event, never a silent cut; when it goes wrong
 * before anything of the answer was produced, the client gets a real HTTP error instead. A client
 * that goes away cancels the upstream request. Reads are pulled, so a slow client slows the
 * upstream read. The relays of chat streams (passthrough with a usage tap, translated) are
 * relays.ts; a client's own format from its own provider is native.ts.
 */
import { concatBytes } from "../../http/bytes.ts";
import type { HttpError } from "../../http/errors.ts";
import type { StreamFailure } from "../hub/parts.ts";
import type { Usage } from "../types.ts";
import { KEEP_ALIVE } from "./silence.ts";
import { EventTooLarge } from "./sse.ts";

export interface StreamOutcome {
  usage: Usage | undefined;
  /** set when the stream ended with an error event */
  error: string | undefined;
  /** ms from the start of the exchange to the first byte sent to the client */
  firstByteMs: number | undefined;
  /** the model the upstream says answered, when the stream told */
  responseModel?: string | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What a relayed answer is: a plain body when the whole stream was already here, else a stream. */
export type RelayedBody = Uint8Array | string | ReadableStream<Uint8Array>;

export interface RelayOptions {
  upstream: ReadableStream<Uint8Array>;
  /** called exactly once, when the client stream ends for any reason */
  onEnd(outcome: StreamOutcome): void;
  startedAt: number;
  /**
   * ms of silence after the answer started after which a `: keep-alive` comment goes to the
   * client (undefined: never); before it starts, the pre-answer keep-alive sends them.
   * Reasoning models can think for minutes; proxies with 60 s idle timeouts cut silent streams.
   */
  keepAliveMs?: number | undefined;
  /**
   * When the answer goes out (relayBody): once the relay has something to send, or as soon as
   * the upstream pauses (nothing more at hand: `Reads.readyNow`), content or not.
   */
  answerAt: "content" | "pause";
}

/** One step of a relay: what to send (possibly empty) and whether the stream is complete. */
export interface Step {
  out: Uint8Array | string;
  done: boolean;
}

/** What a stream format makes of the upstream's bytes (OpenAI passthrough, translated, native: native.ts). */
export interface Relay {
  step(chunk: Uint8Array): Step;
  /** upstream ended: the closing bytes (or an error event if the stream was incomplete) */
  end(): string;
  /** the upstream connection failed mid-stream: the error event that ends the stream */
  broken(failure: StreamFailure): string;
  /** when the stream is over and all it said is a failure: the HTTP error to answer with instead */
  rejection(head: Uint8Array | string): HttpError | undefined;
  usage(): Usage | undefined;
  /** how the stream failed, for the log (undefined: it did not) */
  error(): string | undefined;
  responseModel(): string | undefined;
}

/** One read's outcome: what to send (possibly nothing); `last` when the stream is complete. */
interface Outcome {
  out: Uint8Array | string;
  last: boolean;
}
type ReadResult = { done: boolean; value?: Uint8Array | undefined };
interface UpstreamReader {
  read(): Promise<ReadResult>;
  cancel(): Promise<void>;
}

/**
 * Relays an upstream body through `relay`. Reads before answering: until there is something to
 * send (`answerAt: "content"`: a failure before any content can still be a real HTTP error, and
 * the candidate loop can still move on to another provider), or until the upstream pauses
 * (`"pause"`: a failure already read is still an HTTP error; one after the pause is an error
 * event, as the provider itself sends it). When that already completes the stream, the client
 * gets a plain body. Otherwise the rest goes out through a direct stream: each read's output is
 * written to the socket as it comes, without a queue or a promise per chunk (measured: about 3 µs
 * a chunk, against 4-5 for a pull stream).
 *
 * Answering at a pause takes the answer's setup (the Response, its way back through the handler,
 * Bun starting the stream: 40-55 µs measured) off the first token's path when that token comes
 * after a pause, as an LLM's does: the first token then goes out as any later chunk does.
 *
 * Silence before the first output does not commit an answer held for content: the pre-answer
 * keep-alive (keep-alive.ts, around the whole candidate loop) sends the client its comments
 * meanwhile, so a stall that ends in a timeout (`backendRequestTimeout`) is still a failure of
 * this attempt.
 */
export async function relayBody(opts: RelayOptions, relay: Relay): Promise<RelayedBody> {
  const reads = new Reads(opts, relay);
  // read until there is something to send (or, answering at a pause, until nothing more is
  // ready) or the stream is over (in this frame: an async method of its own would be one more on
  // every stream)
  let head: Outcome;
  try {
    head = reads.handle(await reads.reader.read());
    while (!head.last && sizeOf(head.out) === 0 && opts.answerAt === "content") head = reads.handle(await reads.reader.read());
  } catch (err) {
    head = reads.failed(err);
  }
  // Nothing was said yet and the answer is an error: a real HTTP status serves the client
  // better (SDK retries, error classes) than an error event under 200.
  const refusal = head.last ? relay.rejection(head.out) : undefined;
  if (refusal) throw refusal;
  // the reads already here (fast upstreams, short answers: often the whole stream) go into the
  // same answer, which is then a plain body with no stream machinery at all; an upstream that
  // needed several reads to say anything is producing as it goes (an LLM generating tokens):
  // waiting for more would only delay its first token
  if (!head.last && reads.count === 1) head = await reads.readyNow(head);
  if (sizeOf(head.out) > 0) reads.firstByteMs = performance.now() - opts.startedAt;
  if (head.last) {
    reads.finish();
    return head.out;
  }
  return liveStream(reads, head.out, opts.keepAliveMs);
}

/**
 * The rest of an answer as a direct stream: `opening` first, then the output of every later read
 * as it comes (a read `readyNow` left under way first), without a queue or a promise per chunk
 * (measured: about 3 µs a chunk, against 4-5 for a pull stream). With a keep-alive, one timer per
 * stream writes a comment after each interval in which nothing was written.
 */
function liveStream(reads: Reads, opening: Uint8Array | string, keepAliveMs: number | undefined): ReadableStream<Uint8Array> {
  let cancelled = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  return new ReadableStream<Uint8Array>({
    type: "direct",
    async pull(controller) {
      let wrote = true;
      if (keepAliveMs !== undefined) {
        timer = setInterval(() => {
          if (!wrote && !cancelled) controller.write(KEEP_ALIVE);
          wrote = false;
        }, keepAliveMs);
      }
      if (sizeOf(opening) > 0) controller.write(opening);
      try {
        // one await per upstream read: the read itself (each further async layer costs a
        // promise and a microtask turn per chunk)
        for (;;) {
          const read = reads.pending ?? reads.reader.read();
          reads.pending = undefined;
          let got: Outcome;
          try {
            got = reads.handle(await read);
          } catch (err) {
            got = reads.failed(err);
          }
          const out = reads.account(got);
          if (cancelled) return;
          if (sizeOf(out.out) > 0) {
            wrote = true;
            const written = controller.write(out.out);
            if (written instanceof Promise) await written; // the client is slow: so is the upstream read
          }
          if (out.last) break;
        }
        controller.close();
      } finally {
        clearInterval(timer);
      }
    },
    cancel() {
      cancelled = true;
      clearInterval(timer);
      reads.reader.cancel().catch(() => {});
      reads.finish("client disconnected");
    },
  });
}

function sizeOf(out: Uint8Array | string): number {
  return typeof out === "string" ? out.length : out.byteLength;
}

/** The reads of one relayed body, and its end (reported once). */
class Reads {
  readonly reader: UpstreamReader;
  firstByteMs: number | undefined;
  /** a read started but not awaited (`readyNow`): the stream goes on from it */
  pending: Promise<ReadResult> | undefined;
  /** reads handled so far */
  count = 0;
  private finished = false;

  constructor(
    private readonly opts: RelayOptions,
    private readonly relay: Relay,
  ) {
    this.reader = opts.upstream.getReader();
  }

  finish(error?: string): void {
    if (this.finished) return;
    this.finished = true;
    const relay = this.relay;
    this.opts.onEnd({ usage: relay.usage(), error: error ?? relay.error(), firstByteMs: this.firstByteMs, responseModel: relay.responseModel() });
  }

  handle(r: ReadResult): Outcome {
    this.count++;
    try {
      if (r.done) return { out: this.relay.end(), last: true };
      const step = this.relay.step(r.value!);
      // read the (normally empty) rest instead of cancelling, so the upstream connection goes
      // back to the keep-alive pool rather than being torn down
      if (step.done) void drain(this.reader);
      return { out: step.out, last: step.done };
    } catch (err) {
      // a translator that could not read what the upstream sent (or an event too large to
      // hold): the stream is invalid (the callers' catch would take it for a broken connection)
      this.reader.cancel().catch(() => {});
      return { out: this.relay.broken(err instanceof EventTooLarge ? { kind: "invalid", message: err.message } : UNREADABLE), last: true };
    }
  }

  failed(err: unknown): Outcome {
    this.reader.cancel().catch(() => {});
    return { out: this.relay.broken(connectionFailure(err)), last: true };
  }

  /** Notes what a streamed read means for the record: the first byte, the end. */
  account(out: Outcome): Outcome {
    if (sizeOf(out.out) > 0) this.firstByteMs ??= performance.now() - this.opts.startedAt;
    if (out.last) this.finish();
    return out;
  }

  /**
   * `head` plus whatever further reads are at hand. Once there is output, only whether the
   * answer is one plain body is at stake: bytes Bun already holds will do (`afterMicrotasks`).
   * Before it (answering at a pause), an error the provider sends right behind its first event
   * should still be an HTTP status: a whole event-loop turn lets a close second packet in.
   */
  async readyNow(head: Outcome): Promise<Outcome> {
    const parts = [head.out];
    let last = head;
    let said = sizeOf(head.out) > 0;
    while (!last.last) {
      const read = this.reader.read();
      try {
        const ready = await Promise.race([read, said ? afterMicrotasks() : nextTurn()]);
        if (ready === NOT_READY) {
          // not here yet: the stream continues from this read
          this.pending = read;
          break;
        }
        last = this.handle(ready);
      } catch (err) {
        last = this.failed(err);
      }
      parts.push(last.out);
      said ||= sizeOf(last.out) > 0;
    }
    return { out: joinOutputs(parts), last: last.last };
  }
}

const NOT_READY = Symbol("not ready");

/**
 * Resolves after a few microtask hops. A read whose bytes Bun already holds resolves before it
 * (every second read of a back-to-back stream did, within three hops); one that waits for the
 * network does not, and waiting a whole event-loop turn to find that out (an immediate) put
 * that turn on the first token's path.
 */
function afterMicrotasks(): Promise<typeof NOT_READY> {
  return Promise.resolve().then(hop).then(hop).then(hop).then(notReady);
}

function hop(): void {}

/** The pending `nextTurn`: every stream that asks in the same turn shares it (one promise and one immediate, not one each). */
let turn: Promise<typeof NOT_READY> | undefined;

/** Resolves after the current turn of the event loop (after pending I/O callbacks). */
function nextTurn(): Promise<typeof NOT_READY> {
  return (turn ??= new Promise((resolve) => setImmediate(endTurn, resolve)));
}

function endTurn(resolve: (v: typeof NOT_READY) => void): void {
  turn = undefined;
  resolve(NOT_READY);
}

function notReady(): typeof NOT_READY {
  return NOT_READY;
}

function joinOutputs(parts: (Uint8Array | string)[]): Uint8Array | string {
  if (parts.every((p) => typeof p === "string")) return parts.join("");
  return concatBytes(parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p)));
}

/** Reads an upstream body to its end, discarding it (at most 1 MiB, then it is cancelled). */
async function drain(reader: UpstreamReader): Promise<void> {
  let seen = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value?.byteLength ?? 0;
      if (seen > 1 << 20) break;
    }
  } catch {
    return;
  }
  await reader.cancel().catch(() => {});
}

const UNREADABLE: StreamFailure = { kind: "invalid", message: "upstream sent a stream the gateway could not read" };

/** A read that threw: the connection broke, timed out, or the client went away. */
export function connectionFailure(err: unknown): StreamFailure {
  const name = (err as Error | undefined)?.name;
  if (name === "TimeoutError") return { kind: "connection", message: "upstream request timed out mid-stream", status: 504 };
  if (name === "AbortError") return { kind: "connection", message: "client disconnected" };
  return { kind: "connection", message: "upstream connection failed mid-stream" };
}

/** A relay output as text (relays answer bytes or strings; error events and closings are text). */
export function textOf(out: Uint8Array | string): string {
  return typeof out === "string" ? out : out.byteLength === 0 ? "" : decoder.decode(out);
}
