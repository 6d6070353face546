/**
 * A guarded stream whose guards call out (webhook, services): the pipeline's reads are
 * synchronous, so the gate reads the upstream itself, feeds the translator, and waits for the
 * guards' verdicts on the windows it completed before handing the pipeline an (empty) chunk to
 * take the writer's output. The pipeline drives a translator stand-in that does nothing; the
 * upstream's failures reach it as they are (a broken connection, a timeout).
 */
import type { ByteTranslator } from "../hub/parts.ts";
import type { GuardedWriter } from "./stream.ts";

const TICK = new Uint8Array(0);

export function gateUpstream(upstream: ReadableStream<Uint8Array>, translator: ByteTranslator, writer: GuardedWriter): { upstream: ReadableStream<Uint8Array>; translator: ByteTranslator } {
  const reader = upstream.getReader();
  const gated = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          translator.end();
          await writer.drain();
          controller.close();
          return;
        }
        translator.push(value);
        if (writer.waiting) await writer.drain();
        controller.enqueue(TICK);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
  const standIn: ByteTranslator = {
    push() {},
    end() {},
    interrupted: () => translator.interrupted?.(),
    get pending() {
      return translator.pending;
    },
  };
  return { upstream: gated, translator: standIn };
}
