/**
 * ConverseStream events -> hub parts (one state machine per stream).
 *
 *   (stream start)                  -> start, with Bedrock's request id (`x-amzn-requestid`) as the id
 *   contentBlockDelta text          -> text
 *   contentBlockStart toolUse       -> a tool call (name restored), arguments to follow
 *   contentBlockDelta toolUse       -> argument fragments for that call
 *   contentBlockDelta reasoning     -> reasoning; its signature: the block is signed; redacted
 *                                      reasoning: a redacted block
 *   messageStop + metadata          -> finish, usage, end; Bedrock sends them in either order
 *   exception messages              -> a provider failure with the kind's status, the kind as code
 *   error messages                  -> a corrupt frame (the decoder's report): invalid; the
 *                                      upstream's own protocol error: a provider failure
 * Tool-call `index` counts tool blocks only (0, 1, ...), never Bedrock's content-block index.
 * The role chunk, `"{}"` for a tool without input and `thinking_blocks` are the writer's.
 *
 * Hot path: text deltas (nearly every event of an answer) are not parsed: their JSON string
 * literal is found in the payload bytes and handed to the writer as is (the frame's CRC has
 * vouched for the bytes, and a JSON string literal is valid JSON wherever it goes). Every other
 * event is parsed once.
 */
import { BAD_UPSTREAM } from "../../hub/failure.ts";
import { literal, trustedLiteral, type ByteTranslator, type HubWriter, type StreamFailure } from "../../hub/parts.ts";
import { eventStreamFrames, INVALID_FRAME_CODE } from "../../stream/eventstream.ts";
import { framed, type FrameMachine } from "../../stream/framed.ts";
import type { EventStreamMessage, StreamContext, Usage } from "../../types.ts";
import { exceptionStatus, redactAwsMessage } from "./error.ts";
import type { BedrockRequestState } from "./request.ts";
import { finishReason } from "./stop-reason.ts";
import { originalName } from "./tool-names.ts";
import { usageFromBedrock, type BedrockUsage } from "./usage.ts";

interface Delta {
  text?: unknown;
  toolUse?: { input?: unknown };
  reasoningContent?: { text?: unknown; signature?: unknown; redactedContent?: unknown };
}

interface EventPayload {
  contentBlockIndex?: number;
  delta?: Delta;
  start?: { toolUse?: { toolUseId?: unknown; name?: unknown } };
  stopReason?: unknown;
  usage?: BedrockUsage;
  message?: unknown;
}

/** what a text delta's payload holds before its text: `{"contentBlockIndex":N,"delta":{"text":"` */
const TEXT_DELTA = new TextEncoder().encode('"delta":{"text":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
const utf8 = new TextDecoder();

export function converseStream(ctx: StreamContext, out: HubWriter): ByteTranslator {
  out.start({ id: ctx.upstreamHeaders.get("x-amzn-requestid") ?? undefined });
  return framed(eventStreamFrames(), new ConverseMachine(out, ctx.state as BedrockRequestState | undefined), out);
}

class ConverseMachine implements FrameMachine<EventStreamMessage> {
  finished = false;
  /** Bedrock content-block index -> tool-call index */
  private readonly tools = new Map<number, number>();
  private stopped = false;
  private sawMetadata = false;

  constructor(
    private readonly out: HubWriter,
    private readonly state: BedrockRequestState | undefined,
  ) {}

  frame(frame: EventStreamMessage): void {
    const kind = frame.headers[":message-type"];
    if (kind === "event" && frame.headers[":event-type"] === "contentBlockDelta") {
      const text = textLiteral(frame.payload);
      if (text !== undefined) return this.out.text(trustedLiteral(text));
    }
    let payload: EventPayload;
    try {
      payload = frame.payload.byteLength === 0 ? {} : JSON.parse(utf8.decode(frame.payload));
    } catch {
      return this.fail({ kind: "invalid", message: "upstream sent an event that is not JSON" });
    }
    if (kind === "event") return this.event(frame.headers[":event-type"], payload);
    if (kind === "exception") {
      const type = String(frame.headers[":exception-type"] ?? "internalServerException");
      const message = typeof payload.message === "string" ? payload.message : type;
      return this.fail({ kind: "provider", message: redactAwsMessage(message) || type, status: exceptionStatus(type), providerCode: type });
    }
    if (kind === "error") {
      const code = String(frame.headers[":error-code"] ?? "InternalFailure");
      const message = String(frame.headers[":error-message"] ?? "upstream stream error");
      // the decoder's report of a corrupt frame, or a protocol error of the upstream's own
      if (code === INVALID_FRAME_CODE) return this.fail({ kind: "invalid", message });
      return this.fail({ kind: "provider", message: redactAwsMessage(message) || code, status: BAD_UPSTREAM, providerCode: code });
    }
  }

  end(): void {
    // metadata (usage) never came: the answer itself is complete
    if (this.stopped) return this.close();
    this.fail({ kind: "incomplete", message: "upstream stream ended before the message was complete" });
  }

  private fail(failure: StreamFailure): void {
    this.finished = true;
    this.out.fail(failure);
  }

  private close(): void {
    this.finished = true;
    this.out.end();
  }

  private event(type: unknown, p: EventPayload): void {
    switch (type) {
      case "contentBlockDelta":
        return this.delta(p);
      case "contentBlockStart": {
        const use = p.start?.toolUse;
        if (!use) return;
        const index = this.tools.size;
        this.tools.set(p.contentBlockIndex ?? 0, index);
        const name = typeof use.name === "string" ? originalName(this.state?.toolNames, use.name) : "";
        this.out.toolCall({ index, id: typeof use.toolUseId === "string" ? use.toolUseId : "", name });
        return;
      }
      case "messageStop":
        this.stopped = true;
        this.out.finish(finishReason(p.stopReason, this.tools.size > 0));
        if (this.sawMetadata) this.close();
        return;
      case "metadata": {
        this.sawMetadata = true;
        const usage: Usage | undefined = usageFromBedrock(p.usage);
        if (usage) this.out.usage(usage);
        if (this.stopped) this.close();
        return;
      }
      default:
        return; // messageStart (the id is known from the headers), contentBlockStop, newer event types
    }
  }

  private delta(p: EventPayload): void {
    const d = p.delta;
    if (!d) return;
    if (typeof d.text === "string") return this.out.text(literal(d.text));
    const block = p.contentBlockIndex ?? 0;
    if (d.toolUse) {
      const call = this.tools.get(block);
      const input = d.toolUse.input;
      if (call !== undefined && typeof input === "string") this.out.toolArgs(call, literal(input));
      return;
    }
    const r = d.reasoningContent;
    if (!r) return; // citations and future delta kinds have no chat-completions equivalent
    if (typeof r.text === "string") this.out.reasoning(literal(r.text));
    else if (typeof r.signature === "string") this.out.thinkingSigned(r.signature);
    else if (typeof r.redactedContent === "string") this.out.thinkingRedacted(r.redactedContent);
  }
}

/**
 * The JSON string literal (quotes and escapes included) of a text delta's
 * `"delta":{"text":"..."}`, or undefined when the payload has another shape (then it is parsed).
 */
function textLiteral(p: Uint8Array): string | undefined {
  // the prefix sits right after `{"contentBlockIndex":N,` (N up to a few digits)
  const limit = Math.min(p.byteLength - TEXT_DELTA.byteLength, 40);
  let at = -1;
  search: for (let i = 1; i <= limit; i++) {
    for (let k = 0; k < TEXT_DELTA.byteLength; k++) if (p[i + k] !== TEXT_DELTA[k]) continue search;
    at = i + TEXT_DELTA.byteLength;
    break;
  }
  if (at === -1) return undefined;
  let end = at;
  while (end < p.byteLength && p[end] !== QUOTE) end += p[end] === BACKSLASH ? 2 : 1;
  // the delta must hold nothing but the text
  if (end >= p.byteLength || p[end + 1] !== CLOSE_BRACE) return undefined;
  return utf8.decode(p.subarray(at - 1, end + 1));
}
