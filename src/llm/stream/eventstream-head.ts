/**
 * The head of an AWS event stream (`application/vnd.amazon.eventstream`: Bedrock's
 * converse-stream and invoke-with-response-stream), judged frame by frame for a passed-through
 * answer another attempt could still replace (held-head.ts):
 *   - `messageStart` (the role: nothing said yet) is held;
 *   - any other event (`contentBlockStart`, `contentBlockDelta`, invoke's `chunk`...) starts the
 *     answer (so does a message of a type the protocol does not define: the client's business);
 *   - an exception first (`throttlingException`, `serviceUnavailableException`...) is refused as
 *     Bedrock answers the same error over HTTP: the status its API reference gives the exception
 *     (providers/bedrock/error.ts), the frame's JSON payload (`{"message": ...}`) as the body and
 *     the kind in `x-amzn-errortype` (`ThrottlingException`), which is what the AWS SDKs read;
 *   - a protocol error (`:message-type: error`, or a frame the decoder found corrupt) is refused
 *     the same way with a 502 (the upstream, not the request, is at fault).
 */
import { BAD_UPSTREAM } from "../hub/failure.ts";
import { exceptionStatus, httpErrorType } from "../providers/bedrock/error.ts";
import type { EventStreamMessage } from "../types.ts";
import { eventStreamFrames } from "./eventstream.ts";
import type { HeadJudge, Refusal } from "./held-head.ts";

const utf8 = new TextDecoder();

export function eventStreamHead(): HeadJudge {
  const frames = eventStreamFrames();
  let refusal: Refusal | undefined;
  return {
    push(chunk) {
      for (const frame of frames.push(chunk)) {
        const kind = frame.headers[":message-type"];
        if (kind === "event" && frame.headers[":event-type"] === "messageStart") continue;
        if (kind !== "exception" && kind !== "error") return "start";
        refusal = kind === "exception" ? exceptionRefusal(frame) : protocolRefusal(frame);
        return "fail";
      }
      return "hold";
    },
    complete: () => frames.pending === 0,
    get refusal() {
      return refusal;
    },
  };
}

function exceptionRefusal(frame: EventStreamMessage): Refusal {
  const type = String(frame.headers[":exception-type"] ?? "internalServerException");
  const payload = utf8.decode(frame.payload);
  return { status: exceptionStatus(type), body: isJsonObject(payload) ? payload : JSON.stringify({ message: type }), headers: { "x-amzn-errortype": httpErrorType(type) } };
}

function protocolRefusal(frame: EventStreamMessage): Refusal {
  const code = String(frame.headers[":error-code"] ?? "InternalFailure");
  const message = String(frame.headers[":error-message"] ?? "upstream stream error");
  return { status: BAD_UPSTREAM, body: JSON.stringify({ message }), headers: { "x-amzn-errortype": code } };
}

function isJsonObject(text: string): boolean {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}
