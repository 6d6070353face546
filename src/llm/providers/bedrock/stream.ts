/**
 * ConverseStream events -> OpenAI `chat.completion.chunk`s (one state machine per stream).
 *
 *   messageStart                    -> a chunk with `delta.role`
 *   contentBlockDelta text          -> `delta.content`
 *   contentBlockStart toolUse       -> a tool call's first delta: index, id, type, name, `arguments: ""`
 *   contentBlockDelta toolUse       -> `arguments` fragments for that index
 *   contentBlockStop (tool, no args)-> `arguments: "{}"` (a tool without input sends no delta)
 *   contentBlockDelta reasoning     -> `delta.reasoning_content`; when the block's signature
 *                                      arrives, the whole block once as `delta.thinking_blocks`
 *                                      (what a client sends back to continue with thinking);
 *                                      redacted reasoning likewise as `redacted_thinking`
 *   messageStop + metadata          -> the finish chunk, the usage chunk (when the client asked),
 *                                      `[DONE]`; Bedrock sends them in either order
 *   exception / error messages      -> an OpenAI error event with the kind's status, stream ends
 * Tool-call `index` counts tool blocks only (0, 1, ...), never Bedrock's content-block index.
 *
 * Hot path: text deltas (nearly every event of an answer) are not parsed: their JSON string
 * literal is found in the payload bytes and spliced into the chunk as is (the frame's CRC has
 * vouched for the bytes, and a JSON string literal is valid JSON wherever it goes). Every other
 * event is parsed once. Output is built from string pieces prepared at the start of the stream.
 */
import type { EventStreamMessage, StreamContext, StreamTranslator, Usage } from "../../types.ts";
import { usageToOpenAI } from "../../usage.ts";
import { redactAwsMessage, streamErrorEvent } from "./error.ts";
import type { BedrockRequestState } from "./request.ts";
import { responseId } from "./response.ts";
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

const DONE = "data: [DONE]\n\n";
/** what a text delta's payload holds before its text: `{"contentBlockIndex":N,"delta":{"text":"` */
const TEXT_DELTA = new TextEncoder().encode('"delta":{"text":"');
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE_BRACE = 0x7d;
/** the status reported for streams the upstream broke (bad frames, cut short) */
const BAD_UPSTREAM = 502;
const utf8 = new TextDecoder();

export function converseStream(ctx: StreamContext, state: BedrockRequestState | undefined): StreamTranslator<EventStreamMessage> {
  const id = JSON.stringify(responseId(ctx.upstreamHeaders));
  const envelope = `data: {"id":${id},"object":"chat.completion.chunk","created":${ctx.created},"model":${JSON.stringify(ctx.model)},"choices":`;
  const usageNull = ctx.includeUsage ? `,"usage":null` : "";
  const deltaHead = `${envelope}[{"index":0,"delta":`;
  const deltaTail = `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;

  let roleSent = false;
  /** Bedrock content-block index -> OpenAI tool-call index, and whether arguments came */
  const tools = new Map<number, { index: number; args: boolean }>();
  /** reasoning text per content block, for the signed block */
  const reasoning = new Map<number, string>();
  let finish: string | undefined;
  let usage: Usage | undefined;
  let sawMetadata = false;
  let finished = false;
  let error: string | undefined;
  let errorStatus: number | undefined;

  const chunk = (delta: string) => {
    if (roleSent) return deltaHead + delta + deltaTail;
    roleSent = true;
    return `${deltaHead}{"role":"assistant","content":""}${deltaTail}${deltaHead}${delta}${deltaTail}`;
  };

  const closing = () => {
    finished = true;
    return ctx.includeUsage && usage ? `${envelope}[],"usage":${JSON.stringify(usageToOpenAI(usage))}}\n\n${DONE}` : DONE;
  };

  const fail = (kind: string, message: string, status?: number) => {
    const event = streamErrorEvent(kind, message, status);
    errorStatus = event.status;
    finished = true;
    error = `${kind}: ${redactAwsMessage(message)}`.slice(0, 200);
    return event.text;
  };

  const onDelta = (p: EventPayload): string => {
    const d = p.delta;
    if (!d) return "";
    if (typeof d.text === "string") return d.text === "" ? "" : chunk(`{"content":${JSON.stringify(d.text)}}`);
    const block = p.contentBlockIndex ?? 0;
    if (d.toolUse) {
      const call = tools.get(block);
      const input = d.toolUse.input;
      if (!call || typeof input !== "string" || input === "") return "";
      call.args = true;
      return chunk(`{"tool_calls":[{"index":${call.index},"function":{"arguments":${JSON.stringify(input)}}}]}`);
    }
    const r = d.reasoningContent;
    if (!r) return ""; // citations and future delta kinds have no chat-completions equivalent
    if (typeof r.text === "string") {
      if (r.text === "") return "";
      reasoning.set(block, (reasoning.get(block) ?? "") + r.text);
      return chunk(`{"reasoning_content":${JSON.stringify(r.text)}}`);
    }
    if (typeof r.signature === "string") {
      const signed = { type: "thinking", thinking: reasoning.get(block) ?? "", signature: r.signature };
      return chunk(`{"thinking_blocks":[${JSON.stringify(signed)}]}`);
    }
    if (typeof r.redactedContent === "string") {
      return chunk(`{"thinking_blocks":[${JSON.stringify({ type: "redacted_thinking", data: r.redactedContent })}]}`);
    }
    return "";
  };

  const onEvent = (type: unknown, p: EventPayload): string => {
    switch (type) {
      case "contentBlockDelta":
        return onDelta(p);
      case "messageStart":
        if (roleSent) return "";
        roleSent = true;
        return `${deltaHead}{"role":"assistant","content":""}${deltaTail}`;
      case "contentBlockStart": {
        const use = p.start?.toolUse;
        if (!use) return "";
        const index = tools.size;
        tools.set(p.contentBlockIndex ?? 0, { index, args: false });
        const name = typeof use.name === "string" ? originalName(state?.toolNames, use.name) : "";
        return chunk(`{"tool_calls":[{"index":${index},"id":${JSON.stringify(use.toolUseId ?? "")},"type":"function","function":{"name":${JSON.stringify(name)},"arguments":""}}]}`);
      }
      case "contentBlockStop": {
        const call = tools.get(p.contentBlockIndex ?? 0);
        if (!call || call.args) return "";
        call.args = true;
        return chunk(`{"tool_calls":[{"index":${call.index},"function":{"arguments":"{}"}}]}`);
      }
      case "messageStop": {
        finish = finishReason(p.stopReason, tools.size > 0);
        const out = `${roleSent ? "" : `${deltaHead}{"role":"assistant","content":""}${deltaTail}`}${deltaHead}{},"logprobs":null,"finish_reason":"${finish}"}]${usageNull}}\n\n`;
        roleSent = true;
        return sawMetadata ? out + closing() : out;
      }
      case "metadata":
        sawMetadata = true;
        usage = usageFromBedrock(p.usage) ?? usage;
        return finish !== undefined ? closing() : "";
      default:
        return ""; // event types added after this was written
    }
  };

  return {
    push(frame) {
      if (finished) return "";
      const kind = frame.headers[":message-type"];
      if (kind === "event" && frame.headers[":event-type"] === "contentBlockDelta") {
        const literal = textLiteral(frame.payload);
        if (literal !== undefined) return literal === "" ? "" : chunk(`{"content":"${literal}"}`);
      }
      let payload: EventPayload;
      try {
        payload = frame.payload.byteLength === 0 ? {} : JSON.parse(utf8.decode(frame.payload));
      } catch {
        return fail("upstream_invalid_event", "upstream sent an event that is not JSON", BAD_UPSTREAM);
      }
      if (kind === "event") return onEvent(frame.headers[":event-type"], payload);
      if (kind === "exception") {
        const type = String(frame.headers[":exception-type"] ?? "internalServerException");
        return fail(type, typeof payload.message === "string" ? payload.message : type);
      }
      if (kind === "error") {
        // protocol-level errors: the upstream's own, or the decoder's report of a corrupt frame
        return fail(String(frame.headers[":error-code"] ?? "InternalFailure"), String(frame.headers[":error-message"] ?? "upstream stream error"), BAD_UPSTREAM);
      }
      return "";
    },
    end() {
      if (finished) return "";
      if (finish !== undefined) return closing(); // metadata (usage) never came: the answer itself is complete
      return fail("upstream_stream_incomplete", "upstream stream ended before the message was complete", BAD_UPSTREAM);
    },
    get finished() {
      return finished;
    },
    get error() {
      return error;
    },
    get errorStatus() {
      return errorStatus;
    },
    get usage() {
      return usage;
    },
  };
}

/**
 * The raw JSON string literal (without its quotes, escapes kept) of a text delta's
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
  return utf8.decode(p.subarray(at, end));
}
