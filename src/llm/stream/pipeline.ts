/**
 * The streaming pipeline: upstream bytes -> frames -> (translation) -> client bytes, one network
 * read at a time, never holding a whole response.
 *
 * Whatever goes wrong after the response headers went out (connection reset at any byte, a
 * stall past the timeout, invalid JSON, a stream cut before its end) ends the client's stream with
 * a final OpenAI-shaped `data: {"error": ...}` event, never a silent cut. A client that goes away
 * cancels the upstream request. Reads are pulled, so a slow client slows the upstream read.
 */
import { concatBytes } from "../../http/bytes.ts";
import { HttpError, sseErrorEvent } from "../../http/errors.ts";
import type { FrameDecoder, StreamTranslator, Usage } from "../types.ts";
import { createOpenAITap } from "./openai-tap.ts";
import { createSseFramer } from "./sse.ts";

export interface StreamOutcome {
  usage: Usage | undefined;
  /** set when the stream ended with an error event */
  error: string | undefined;
  /** ms from the start of the exchange to the first byte sent to the client */
  firstByteMs: number | undefined;
  /** the model the upstream says answered, when the stream told */
  responseModel?: string | undefined;
}

export interface RelayOptions {
  upstream: ReadableStream<Uint8Array>;
  /** aborts the upstream request (client went away) */
  abort(): void;
  /** called exactly once, when the client stream ends for any reason */
  onEnd(outcome: StreamOutcome): void;
  startedAt: number;
}

const encoder = new TextEncoder();

/** One step of a relay: bytes to send (possibly empty) and whether the stream is complete. */
interface Step {
  out: Uint8Array | string;
  done: boolean;
}

interface Relay {
  step(chunk: Uint8Array): Step;
  /** upstream ended: closing text, or an error event if the stream was incomplete */
  end(): { out: string; error: string | undefined };
  usage(): Usage | undefined;
  /** an error the relay itself reported in-band (e.g. an upstream error event) */
  error?(): string | undefined;
  /** the HTTP status matching that error, when the translator knows it */
  errorStatus?(): number | undefined;
  responseModel?(): string | undefined;
}

/**
 * Relays an upstream body through `relay`. Reads until there is something to send before
 * answering: when that first read already completes the stream (fast upstreams, short answers),
 * the client gets a plain body and the stream machinery is skipped; otherwise a stream that
 * continues with the rest.
 */
async function relayBody(opts: RelayOptions, relay: Relay): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const reader = opts.upstream.getReader();
  let finished = false;
  let firstByteMs: number | undefined;
  const finish = (error: string | undefined) => {
    if (finished) return;
    finished = true;
    opts.onEnd({ usage: relay.usage(), error: error ?? relay.error?.(), firstByteMs, responseModel: relay.responseModel?.() });
  };

  /** One read's outcome: bytes to send (possibly none); `last` when the stream is complete. */
  type Outcome = { bytes: Uint8Array; last: boolean; error?: string | undefined };
  type ReadResult = { done: boolean; value?: Uint8Array | undefined };
  const handle = (r: ReadResult): Outcome => {
    if (r.done) {
      const end = relay.end();
      return { bytes: encoder.encode(end.out), last: true, error: end.error };
    }
    const step = relay.step(r.value!);
    const bytes = typeof step.out === "string" ? encoder.encode(step.out) : step.out;
    // read the (normally empty) rest instead of cancelling, so the upstream connection goes
    // back to the keep-alive pool rather than being torn down
    if (step.done) void drain(reader);
    return { bytes, last: step.done };
  };
  const failed = (err: unknown): Outcome => {
    const message = streamFailure(err);
    reader.cancel().catch(() => {});
    return { bytes: encoder.encode(sseErrorEvent(message, "api_error", "upstream_stream_error")), last: true, error: message };
  };
  /** Reads until there is something to send or the stream is over (starting with `started`). */
  const readOutput = async (started?: Promise<ReadResult>): Promise<Outcome> => {
    try {
      let out = handle(await (started ?? reader.read()));
      while (!out.last && out.bytes.byteLength === 0) out = handle(await reader.read());
      return out;
    } catch (err) {
      return failed(err);
    }
  };
  /** The same, once the answer is a stream: notes the first byte and the end. */
  const next = async (started?: Promise<ReadResult>): Promise<Outcome> => {
    const out = await readOutput(started);
    if (out.bytes.byteLength > 0) firstByteMs ??= performance.now() - opts.startedAt;
    if (out.last) finish(out.error);
    return out;
  };

  const first = await readOutput();
  // Nothing was said yet and the answer is an error: a real HTTP status serves the client
  // better (SDK retries, error classes) than an error event under 200.
  if (first.last && startsWithErrorEvent(first.bytes)) throw rejection(first.bytes, relay.errorStatus?.());

  // Whatever else the upstream has already delivered goes into the same answer: when that is
  // the whole stream (fast upstreams, short answers) the client gets a plain body and the stream
  // machinery is skipped. A read that is not ready within this turn of the event loop is left
  // pending for the stream.
  const parts = [first.bytes];
  let pending: Promise<ReadResult> | undefined;
  let last = first;
  while (!last.last) {
    const read = reader.read();
    try {
      const ready = await Promise.race([read, nextTurn()]);
      if (ready === NOT_READY) {
        pending = read;
        break;
      }
      last = handle(ready);
    } catch (err) {
      last = failed(err);
    }
    if (last.bytes.byteLength > 0) parts.push(last.bytes);
  }
  const head = concatBytes(parts);
  if (head.byteLength > 0) firstByteMs = performance.now() - opts.startedAt;
  if (last.last) {
    finish(last.error);
    return head;
  }

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(head);
      },
      async pull(controller) {
        const out = await next(pending);
        pending = undefined;
        if (out.bytes.byteLength > 0) controller.enqueue(out.bytes);
        if (out.last) controller.close();
      },
      cancel() {
        opts.abort();
        reader.cancel().catch(() => {});
        finish("client disconnected");
      },
    },
    { highWaterMark: 0 },
  );
}

const NOT_READY = Symbol("not ready");

/** Resolves after the current turn of the event loop (after pending I/O callbacks). */
function nextTurn(): Promise<typeof NOT_READY> {
  return new Promise((resolve) => setImmediate(resolve, NOT_READY));
}

const ERROR_EVENT = encoder.encode('data: {"error"');

function startsWithErrorEvent(bytes: Uint8Array): boolean {
  if (bytes.byteLength < ERROR_EVENT.byteLength) return false;
  for (let i = 0; i < ERROR_EVENT.byteLength; i++) if (bytes[i] !== ERROR_EVENT[i]) return false;
  return true;
}

const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  rate_limit_error: 429,
};

/** The error event that opens a stream, as an HttpError (status from the translator, else the type). */
function rejection(bytes: Uint8Array, status: number | undefined): HttpError {
  const text = new TextDecoder().decode(bytes);
  const json = text.slice(6, text.indexOf("\n\n") === -1 ? undefined : text.indexOf("\n\n"));
  let err: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } = {};
  try {
    err = (JSON.parse(json) as { error?: typeof err }).error ?? {};
  } catch {
    // keep the defaults below
  }
  const type = typeof err.type === "string" ? err.type : "api_error";
  return new HttpError(status ?? STATUS_OF_TYPE[type] ?? 502, typeof err.message === "string" ? err.message : "upstream error", {
    type,
    code: typeof err.code === "string" ? err.code : null,
    param: typeof err.param === "string" ? err.param : null,
  });
}

/** Reads an upstream body to its end, discarding it (at most 1 MiB, then it is cancelled). */
async function drain(reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(): Promise<void> }): Promise<void> {
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

function streamFailure(err: unknown): string {
  const name = (err as Error | undefined)?.name;
  if (name === "TimeoutError") return "upstream request timed out mid-stream";
  if (name === "AbortError") return "client disconnected";
  return "upstream connection failed mid-stream";
}

// ---------------------------------------------------------------------------------------------

/**
 * OpenAI-format upstream: bytes go to the client as they came, cut only at event boundaries.
 * The tap (openai-tap.ts) checks events cheaply, reads usage for telemetry, and drops the final
 * usage-only chunk when the gateway (not the client) asked for it.
 */
export function passthroughStream(opts: RelayOptions & { clientWantsUsage: boolean }): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const framer = createSseFramer();
  const tap = createOpenAITap(opts.clientWantsUsage);
  return relayBody(opts, {
    usage: () => tap.usage,
    responseModel: () => tap.responseModel,
    step: (chunk) => tap.scan(framer.push(chunk)),
    end() {
      const last = tap.scan(framer.end());
      if (tap.sawDone || tap.sawError) return { out: textOf(last.out), error: tap.sawError ? "upstream error event" : undefined };
      const message = framer.pending > 0 ? "upstream stream was cut off mid-event" : "upstream stream ended without [DONE]";
      return { out: textOf(last.out) + sseErrorEvent(message, "api_error", "upstream_stream_incomplete"), error: message };
    },
    error: () => (tap.sawError ? "upstream error event" : undefined),
  });
}

function textOf(out: Uint8Array | string): string {
  return typeof out === "string" ? out : new TextDecoder().decode(out);
}

/** A provider-native stream, translated frame by frame into OpenAI chunks. */
export function translatedStream<F>(
  opts: RelayOptions & {
    decoder: FrameDecoder<F>;
    translator: StreamTranslator<F>;
  },
): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const t = opts.translator;
  return relayBody(opts, {
    usage: () => t.usage,
    step(chunk) {
      let out = "";
      for (const frame of opts.decoder.push(chunk)) {
        out += t.push(frame);
        if (t.finished) return { out, done: true };
      }
      return { out, done: false };
    },
    error: () => t.error,
    errorStatus: () => t.errorStatus,
    end() {
      let out = "";
      for (const frame of opts.decoder.end?.() ?? []) out += t.push(frame);
      if (t.finished) return { out, error: t.error };
      if (opts.decoder.pending > 0) {
        const message = "upstream stream was cut off mid-event";
        return { out: sseErrorEvent(message, "api_error", "upstream_stream_incomplete"), error: message };
      }
      out += t.end();
      return { out, error: t.error };
    },
  });
}
