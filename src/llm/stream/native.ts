/**
 * Streams in the client's own format from a provider that speaks it (Messages on Anthropic,
 * Responses on OpenAI, Gemini SSE on Gemini): the bytes go to the client as they came, with the
 * guarantees translated streams have (pipeline.ts).
 *
 * The head of the stream, events that say nothing yet (Anthropic's `message_start` and `ping`,
 * Responses' `response.created` / `in_progress` / `queued`), is held until the first event that
 * does. A stream whose head is an error event (Anthropic's `overloaded_error` after a 200, a
 * `response.failed`, Gemini's `{"error"}`), or whose connection breaks or times out before that
 * first event, is answered as an HTTP error with that error's status while the answer has not
 * gone out yet (pipeline.ts `answerAt`): the candidate loop can still move on to another
 * provider. After that, an error event in the head reaches the client as it came, and a broken
 * connection ends the stream with the format's own error event (so does an end mid-event). Only
 * the head is read; the rest is relayed as it came, cut at event boundaries only.
 */
import { concatBytes } from "../../http/bytes.ts";
import type { HttpError } from "../../http/errors.ts";
import { clientErrorEvent, failureFields, formatOfRoute } from "../formats/errors.ts";
import type { UsageTap } from "../formats/native-usage.ts";
import { failureHttpError, failureLogLine } from "../hub/failure.ts";
import type { StreamFailure } from "../hub/parts.ts";
import type { RouteType, Usage } from "../types.ts";
import { anthropicEventError, errorMemberEvent, responsesEventError, type ErrorReader } from "./error-events.ts";
import { relayBody, textOf, type Relay, type RelayedBody, type RelayOptions, type Step } from "./pipeline.ts";
import { SseHeadJudge, type HeadVerdict } from "./sse-head.ts";
import { createSseFramer } from "./sse.ts";

export type NativeStreamRoute = "messages" | "responses" | "generateContent";

/** The route's stream format when the gateway knows its events (chat in the client's format). */
export function nativeStreamRoute(route: RouteType): NativeStreamRoute | undefined {
  return route === "messages" || route === "responses" || route === "generateContent" ? route : undefined;
}

export function nativeStream(opts: RelayOptions & { route: NativeStreamRoute; tap: UsageTap | undefined }): Promise<RelayedBody> {
  return relayBody(opts, new NativeRelay(opts.route, opts.tap));
}

/** A class, as the pipeline's relays are: one is made for every stream. */
class NativeRelay implements Relay {
  // only whole events go out: a keep-alive comment after half an event would corrupt it
  private readonly framer = createSseFramer();
  private readonly head: StreamHead;
  private failure: StreamFailure | undefined = undefined;

  constructor(
    private readonly route: NativeStreamRoute,
    private readonly tap: UsageTap | undefined,
  ) {
    this.head = new StreamHead(route);
  }

  step(chunk: Uint8Array): Step {
    this.tap?.push(chunk);
    const events = this.framer.push(chunk);
    const head = this.head;
    if (head.started) return { out: events, done: false };
    const verdict = head.push(events);
    if (verdict === "fail") this.failure = head.failure;
    return { out: verdict === "hold" ? EMPTY : head.take(), done: verdict === "fail" };
  }

  end(): string {
    const last = this.framer.end();
    // an answer with no content event at all (an empty stream) is passed on as it was
    const out = this.head.started ? textOf(last) : textOf(this.head.take()) + textOf(last);
    return this.framer.pending > 0 ? out + this.broken({ kind: "incomplete", message: "upstream stream was cut off mid-event" }) : out;
  }

  broken(f: StreamFailure): string {
    this.failure = f;
    const { status, type, code } = failureFields(f);
    const event = clientErrorEvent(formatOfRoute(this.route), status, f.message, type, code);
    // before the answer started, the held head goes first: an answer already given (at a pause,
    // pipeline.ts) ends with it; otherwise `rejection` answers instead and this is dropped
    return this.head.started ? event : textOf(this.head.take()) + event;
  }

  rejection(): HttpError | undefined {
    return this.failure && !this.head.started ? failureHttpError(this.failure) : undefined;
  }

  usage(): Usage | undefined {
    return this.tap?.end();
  }

  responseModel(): string | undefined {
    return this.tap?.model;
  }

  error(): string | undefined {
    return this.failure ? failureLogLine(this.failure) : undefined;
  }
}

const EMPTY = new Uint8Array(0);

/** Each format's error event (error-events.ts). */
const ERROR_EVENTS: Record<NativeStreamRoute, ErrorReader> = {
  messages: anthropicEventError,
  responses: responsesEventError,
  generateContent: errorMemberEvent,
};

/** The events before the first one with content: held, and read for an error (sse-head.ts). */
class StreamHead {
  started = false;
  private held: Uint8Array[] = [];
  private readonly judge: SseHeadJudge;

  constructor(route: NativeStreamRoute) {
    this.judge = new SseHeadJudge(ERROR_EVENTS[route]);
  }

  get failure(): StreamFailure | undefined {
    return this.judge.error?.failure;
  }

  /** Takes whole events: hold them, start the answer with them (the held bytes go out), or fail. */
  push(events: Uint8Array): HeadVerdict {
    if (events.byteLength === 0) return "hold";
    this.held.push(events);
    const verdict = this.judge.judge(events);
    if (verdict === "start") this.started = true;
    return verdict;
  }

  /** The bytes held so far (the upstream's own), once. */
  take(): Uint8Array {
    const out = this.held.length === 1 ? this.held[0]! : concatBytes(this.held);
    this.held = [];
    return out;
  }
}
