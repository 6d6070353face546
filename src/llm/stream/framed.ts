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
  return new Framed(decoder, machine, out);
}

/** A class: one is made for every translated stream (its methods are not closures made with it). */
class Framed<F> implements ByteTranslator {
  constructor(
    private readonly decoder: FrameDecoder<F>,
    private readonly machine: FrameMachine<F>,
    private readonly out: HubWriter,
  ) {}

  private feed(frames: F[]): void {
    const machine = this.machine;
    for (let i = 0; i < frames.length && !machine.finished; i++) machine.frame(frames[i]!);
  }

  push(chunk: Uint8Array): void {
    if (!this.machine.finished) this.feed(this.decoder.push(chunk));
  }

  end(): void {
    const { decoder, machine } = this;
    if (!machine.finished && decoder.end) this.feed(decoder.end());
    if (machine.finished) return;
    if (decoder.pending > 0) {
      machine.interrupted?.();
      this.out.fail({ kind: "incomplete", message: "upstream stream was cut off mid-event" });
      return;
    }
    machine.end();
  }

  interrupted(): void {
    if (!this.machine.finished) this.machine.interrupted?.();
  }

  get pending(): number {
    return this.decoder.pending;
  }
}
