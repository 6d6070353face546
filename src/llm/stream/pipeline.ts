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
import { usageFromOpenAI } from "../usage.ts";
import { createSseDecoder } from "./sse.ts";

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

function relayStream(opts: RelayOptions, relay: Relay): ReadableStream<Uint8Array> {
  const reader = opts.upstream.getReader();
  let finished = false;
  let firstByteMs: number | undefined;
  const finish = (error: string | undefined) => {
    if (finished) return;
    finished = true;
    opts.onEnd({ usage: relay.usage(), error: error ?? relay.error?.(), firstByteMs });
  };
  const toBytes = (out: Uint8Array | string) => (typeof out === "string" ? encoder.encode(out) : out);

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) {
              const end = relay.end();
              if (end.out.length > 0) controller.enqueue(encoder.encode(end.out));
              controller.close();
              finish(end.error);
              return;
            }
            const step = relay.step(value);
            const bytes = toBytes(step.out);
            if (bytes.byteLength > 0) {
              firstByteMs ??= performance.now() - opts.startedAt;
              controller.enqueue(bytes);
            }
            if (step.done) {
              controller.close();
              reader.cancel().catch(() => {});
              finish(undefined);
              return;
            }
            if (bytes.byteLength > 0) return; // let the consumer pull again (backpressure)
          }
        } catch (err) {
          const message = streamFailure(err);
          controller.enqueue(encoder.encode(sseErrorEvent(message, "api_error", "upstream_stream_error")));
          controller.close();
          reader.cancel().catch(() => {});
          finish(message);
        }
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

function streamFailure(err: unknown): string {
  const name = (err as Error | undefined)?.name;
  if (name === "TimeoutError") return "upstream request timed out mid-stream";
  return "upstream connection failed mid-stream";
}

// ---------------------------------------------------------------------------------------------

/**
 * OpenAI-format upstream: bytes go to the client as they came, cut only at event boundaries.
 * Every event is checked to be JSON (garbage becomes an error event), usage is read for
 * telemetry, and the final usage-only chunk is dropped when the gateway (not the client) asked
 * for it.
 */
export function passthroughStream(opts: RelayOptions & { clientWantsUsage: boolean }): ReadableStream<Uint8Array> {
  const sse = createSseDecoder();
  let usage: Usage | undefined;
  let sawDone = false;
  let sawError = false;
  return relayStream(opts, {
    usage: () => usage,
    step(chunk) {
      const { bytes, events } = sse.push(chunk);
      let drop = -1;
      for (let i = 0; i < events.length; i++) {
        const data = events[i]!.data;
        if (data === "[DONE]") {
          sawDone = true;
          continue;
        }
        let obj: { usage?: unknown; error?: unknown; choices?: unknown[] };
        try {
          obj = JSON.parse(data);
        } catch {
          const keep = events.slice(0, i).filter((_, j) => j !== drop);
          return {
            out: keep.map((e) => `data: ${e.data}\n\n`).join("") + sseErrorEvent("upstream sent an invalid stream event", "api_error", "upstream_invalid_event"),
            done: true,
          };
        }
        if (obj.error !== undefined) sawError = true;
        if (obj.usage) {
          usage = usageFromOpenAI(obj.usage);
          if (!opts.clientWantsUsage && Array.isArray(obj.choices) && obj.choices.length === 0) drop = i;
        }
      }
      if (drop === -1) return { out: bytes, done: sawDone || sawError };
      const kept = events.filter((_, j) => j !== drop);
      return { out: kept.map((e) => `data: ${e.data}\n\n`).join(""), done: sawDone || sawError };
    },
    end() {
      const last = sse.end();
      for (const e of last.events) if (e.data === "[DONE]") sawDone = true;
      const tail = new TextDecoder().decode(last.bytes);
      if (sawDone || sawError) return { out: tail, error: sawError ? "upstream error event" : undefined };
      const message = sse.pending > 0 ? "upstream stream was cut off mid-event" : "upstream stream ended without [DONE]";
      return { out: tail + sseErrorEvent(message, "api_error", "upstream_stream_incomplete"), error: message };
    },
  });
}

/** A provider-native stream, translated frame by frame into OpenAI chunks. */
export function translatedStream<F>(
  opts: RelayOptions & {
    decoder: FrameDecoder<F>;
    translator: StreamTranslator<F>;
  },
): ReadableStream<Uint8Array> {
  const t = opts.translator;
  return relayStream(opts, {
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
