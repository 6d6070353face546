/**
 * The streaming pipeline: upstream bytes -> frames -> (translation) -> client bytes, one network
 * read at a time, never holding a whole response.
 *
 * Whatever goes wrong after the response headers went out (connection reset at any byte, a
 * stall past the timeout, invalid JSON, a stream cut before its end) ends the client's stream with
 * a final OpenAI-shaped `data: {"error": ...}` event, never a silent cut. A client that goes away
 * cancels the upstream request. Reads are pulled, so a slow client slows the upstream read.
 */
import { sseErrorEvent } from "../../http/errors.ts";
import type { FrameDecoder, StreamTranslator, Usage } from "../types.ts";
import { createOpenAITap } from "./openai-tap.ts";
import { createSseFramer } from "./sse.ts";

export interface StreamOutcome {
  usage: Usage | undefined;
  /** set when the stream ended with an error event */
  error: string | undefined;
  /** ms from the start of the exchange to the first byte sent to the client */
  firstByteMs: number | undefined;
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
    opts.onEnd({ usage: relay.usage(), error: error ?? relay.error?.(), firstByteMs });
  };

  /** One read's outcome: bytes to send (possibly none) and whether the stream is complete. */
  const handle = (r: { done: boolean; value?: Uint8Array | undefined }): { bytes: Uint8Array; last: boolean } => {
    let bytes: Uint8Array;
    let last: boolean;
    if (r.done) {
      const end = relay.end();
      bytes = encoder.encode(end.out);
      last = true;
      if (bytes.byteLength > 0) firstByteMs ??= performance.now() - opts.startedAt;
      finish(end.error);
      return { bytes, last };
    }
    const step = relay.step(r.value!);
    bytes = typeof step.out === "string" ? encoder.encode(step.out) : step.out;
    last = step.done;
    if (firstByteMs === undefined && bytes.byteLength > 0) firstByteMs = performance.now() - opts.startedAt;
    if (last) {
      finish(undefined);
      // read the (normally empty) rest instead of cancelling, so the upstream connection goes
      // back to the keep-alive pool rather than being torn down
      void drain(reader);
    }
    return { bytes, last };
  };

  const failed = (err: unknown): { bytes: Uint8Array; last: true } => {
    const message = streamFailure(err);
    reader.cancel().catch(() => {});
    const bytes = encoder.encode(sseErrorEvent(message, "api_error", "upstream_stream_error"));
    firstByteMs ??= performance.now() - opts.startedAt;
    finish(message);
    return { bytes, last: true };
  };

  let first: { bytes: Uint8Array; last: boolean };
  try {
    do first = handle(await reader.read());
    while (!first.last && first.bytes.byteLength === 0);
  } catch (err) {
    first = failed(err);
  }
  if (first.last) return first.bytes;

  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        controller.enqueue(first.bytes);
      },
      async pull(controller) {
        let out: { bytes: Uint8Array; last: boolean };
        try {
          do out = handle(await reader.read());
          while (!out.last && out.bytes.byteLength === 0);
        } catch (err) {
          out = failed(err);
        }
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
export function passthroughStream(opts: RelayOptions & { clientWantsUsage: boolean; onModel?(model: string): void }): Promise<Uint8Array | ReadableStream<Uint8Array>> {
  const framer = createSseFramer();
  const tap = createOpenAITap(opts.clientWantsUsage);
  return relayBody(opts, {
    usage: () => tap.usage,
    step: (chunk) => tap.scan(framer.push(chunk)),
    end() {
      const last = tap.scan(framer.end());
      if (tap.responseModel) opts.onModel?.(tap.responseModel);
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
