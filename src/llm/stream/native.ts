/**
 * Streams in the client's own format from a provider that speaks it (Messages on Anthropic,
 * Responses on OpenAI, Gemini SSE on Gemini): the bytes go to the client as they came, with the
 * guarantees translated streams have (pipeline.ts).
 *
 * The head of the stream, events that say nothing yet (Anthropic's `message_start` and `ping`,
 * Responses' `response.created` / `in_progress` / `queued`), is held until the first event that
 * does. A stream whose head is an error event (Anthropic's `overloaded_error` after a 200, a
 * `response.failed`, Gemini's `{"error"}`), or whose connection breaks or times out before that
 * first event, is answered as an HTTP error with that error's status: nothing was sent yet, so
 * the candidate loop can still move on to another provider. After it, a broken connection ends
 * the stream with the format's own error event (so does an end mid-event). Only the head is read;
 * the rest is relayed as it came, cut at event boundaries only.
 */
import { concatBytes } from "../../http/bytes.ts";
import { clientErrorEvent, failureFields, formatOfRoute } from "../formats/errors.ts";
import type { UsageTap } from "../formats/native-usage.ts";
import { failureHttpError, failureLogLine } from "../hub/failure.ts";
import type { StreamFailure } from "../hub/parts.ts";
import { statusOfAnthropicType } from "../providers/anthropic/error.ts";
import type { RouteType } from "../types.ts";
import { relayBody, textOf, type RelayedBody, type RelayOptions } from "./pipeline.ts";
import { createSseFramer } from "./sse.ts";

export type NativeStreamRoute = "messages" | "responses" | "generateContent";

/** The route's stream format when the gateway knows its events (chat in the client's format). */
export function nativeStreamRoute(route: RouteType): NativeStreamRoute | undefined {
  return route === "messages" || route === "responses" || route === "generateContent" ? route : undefined;
}

export function nativeStream(opts: RelayOptions & { route: NativeStreamRoute; tap: UsageTap | undefined }): Promise<RelayedBody> {
  const { route, tap } = opts;
  // only whole events go out: a keep-alive comment after half an event would corrupt it
  const framer = createSseFramer();
  const head = new StreamHead(route);
  let failure: StreamFailure | undefined;
  const fail = (f: StreamFailure): string => {
    failure = f;
    if (!head.started) return "";
    const { status, type, code } = failureFields(f);
    return clientErrorEvent(formatOfRoute(route), status, f.message, type, code);
  };
  return relayBody(opts, {
    step(chunk) {
      tap?.push(chunk);
      const events = framer.push(chunk);
      if (head.started) return { out: events, done: false };
      const verdict = head.push(events);
      if (verdict === "fail") failure = head.failure;
      return { out: verdict === "hold" ? EMPTY : head.take(), done: verdict === "fail" };
    },
    end() {
      const last = framer.end();
      // an answer with no content event at all (an empty stream) is passed on as it was
      const out = head.started ? textOf(last) : textOf(head.take()) + textOf(last);
      return framer.pending > 0 ? out + fail({ kind: "incomplete", message: "upstream stream was cut off mid-event" }) : out;
    },
    broken: fail,
    rejection: () => (failure && !head.started ? failureHttpError(failure) : undefined),
    usage: () => tap?.end(),
    responseModel: () => tap?.model,
    error: () => (failure ? failureLogLine(failure) : undefined),
  });
}

const EMPTY = new Uint8Array(0);

/** The events before the first one with content: held, and read for an error. */
class StreamHead {
  started = false;
  failure: StreamFailure | undefined;
  private held: Uint8Array[] = [];

  constructor(private readonly route: NativeStreamRoute) {}

  /** Takes whole events: hold them, start the answer with them (the held bytes go out), or fail. */
  push(events: Uint8Array): "hold" | "start" | "fail" {
    if (events.byteLength === 0) return "hold";
    this.held.push(events);
    for (const block of textOf(events).replace(/\r\n?/g, "\n").split("\n\n")) {
      const verdict = this.judge(block);
      if (verdict === "hold") continue;
      if (verdict === "start") this.started = true;
      return verdict;
    }
    return "hold";
  }

  /** The bytes held so far (the upstream's own), once. */
  take(): Uint8Array {
    const out = this.held.length === 1 ? this.held[0]! : concatBytes(this.held);
    this.held = [];
    return out;
  }

  private judge(block: string): "hold" | "start" | "fail" {
    let name: string | undefined;
    let data = "";
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(line.startsWith("data: ") ? 6 : 5);
    }
    if (!data && !name) return "hold"; // comments, blank lines
    let json: Record<string, any>;
    try {
      json = (JSON.parse(data) as Record<string, any> | null) ?? {};
    } catch {
      return "start"; // not an event this gateway reads: the client's business
    }
    const type: unknown = name ?? json.type;
    this.failure = failureOf(this.route, type, json);
    if (this.failure) return "fail";
    return typeof type === "string" && HEAD_EVENTS.has(type) ? "hold" : "start";
  }
}

/** Events that open a stream before anything is said. */
const HEAD_EVENTS = new Set(["message_start", "ping", "response.created", "response.in_progress", "response.queued"]);

/** The failure an event stands for, when it is an error event of the route's format. */
function failureOf(route: NativeStreamRoute, type: unknown, json: Record<string, any>): StreamFailure | undefined {
  if (route === "messages" && type === "error") {
    const e = json.error ?? {};
    return provider(e.message, statusOfAnthropicType(e.type), e.type);
  }
  if (route === "responses" && (type === "error" || type === "response.failed")) {
    const e = type === "error" ? json : (json.response?.error ?? {});
    return provider(e.message, statusOfResponsesCode(e.code), e.code);
  }
  if (route === "generateContent" && json.error) {
    const e = json.error;
    return provider(e.message, typeof e.code === "number" && e.code >= 400 && e.code <= 599 ? e.code : undefined, e.status);
  }
  return undefined;
}

function provider(message: unknown, status: number | undefined, code: unknown): StreamFailure {
  const f: StreamFailure = { kind: "provider", message: typeof message === "string" ? message : "upstream error event" };
  if (status !== undefined) f.status = status;
  if (typeof code === "string") f.providerCode = code;
  return f;
}

/** OpenAI's error codes in Responses streams, by the status the same error has as an answer. */
function statusOfResponsesCode(code: unknown): number | undefined {
  if (typeof code !== "string") return undefined;
  if (code.includes("rate_limit") || code === "insufficient_quota") return 429;
  if (code === "server_error") return 500;
  if (code.startsWith("invalid")) return 400;
  return undefined;
}
