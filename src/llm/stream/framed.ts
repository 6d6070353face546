/**
 * A provider translator is a frame decoder (SSE, AWS event stream) paired with the provider's
 * state machine over those frames; `framed` makes the pair the pipeline's `ByteTranslator`.
 *
 * The pairing is checked by the compiler: the frame type is inferred from the decoder alone
 * (`NoInfer`), and the machine's `frame` is a function-typed property (checked contravariantly,
 * unlike a method), so `framed(eventStreamFrames(), sseMachine, out)` does not compile.
 *
 * What every framed stream shares lives here: frames stop once the machine has finished (an
 * error event, or a provider that says the answer is complete), and a stream that ends in the
 * middle of a frame is incomplete whatever the machine has seen.
 */
import type { ByteTranslator, HubWriter } from "../hub/parts.ts";
import type { FrameDecoder } from "../types.ts";

/** A provider's state machine over its frames; it writes parts to the writer it was made with. */
export interface FrameMachine<F> {
  /** one complete frame */
  readonly frame: (frame: F) => void;
  /** the upstream ended on a frame boundary: finish the answer, or fail it as incomplete */
  readonly end: () => void;
  /** the stream stops early (connection broken, cut mid-frame): report what is held back (usage) */
  readonly interrupted?: (() => void) | undefined;
  /** the machine has written `end()` or `fail()`; it takes no more frames */
  readonly finished: boolean;
}

export function framed<F>(decoder: FrameDecoder<F>, machine: FrameMachine<NoInfer<F>>, out: HubWriter): ByteTranslator {
  const feed = (frames: F[]) => {
    for (let i = 0; i < frames.length && !machine.finished; i++) machine.frame(frames[i]!);
  };
  return {
    push(chunk) {
      if (!machine.finished) feed(decoder.push(chunk));
    },
    end() {
      if (!machine.finished && decoder.end) feed(decoder.end());
      if (machine.finished) return;
      if (decoder.pending > 0) {
        machine.interrupted?.();
        out.fail({ kind: "incomplete", message: "upstream stream was cut off mid-event" });
        return;
      }
      machine.end();
    },
    interrupted() {
      if (!machine.finished) machine.interrupted?.();
    },
    get pending() {
      return decoder.pending;
    },
  };
}
