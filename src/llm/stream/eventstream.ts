/**
 * AWS `application/vnd.amazon.eventstream` framing (Bedrock ConverseStream).
 * Placeholder until the Bedrock work lands: the decoder is part of issue 5.
 */
import type { EventStreamMessage, FrameDecoder } from "../types.ts";

export function eventStreamFrames(): FrameDecoder<EventStreamMessage> {
  throw new Error("AWS event-stream decoding is not implemented yet");
}
