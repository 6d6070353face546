/**
 * The head of an event stream, judged event by event until it says something: events that open a
 * stream without saying anything (Anthropic's `message_start` and `ping`, Responses'
 * `response.created` / `in_progress` / `queued`, comments) are held; an error event first is a
 * failure; any other event starts the answer (an event that is not JSON too: the client's
 * business). Shared by the native streams (native.ts, one format each) and the passthrough
 * streams another attempt could still replace (held-head.ts, any format).
 */
import { textOf } from "./pipeline.ts";
import type { ErrorReader, EventError } from "./error-events.ts";

export type HeadVerdict = "hold" | "start" | "fail";

/** Events that open a stream before anything is said. */
const HEAD_EVENTS = new Set(["message_start", "ping", "response.created", "response.in_progress", "response.queued"]);

export class SseHeadJudge {
  /** the error event the head failed with */
  error: EventError | undefined;

  constructor(private readonly readError: ErrorReader) {}

  /** Whole events (as the SSE framer cuts them): the verdict of the first one that is not held. */
  judge(events: Uint8Array): HeadVerdict {
    if (events.byteLength === 0) return "hold";
    for (const block of textOf(events).replace(/\r\n?/g, "\n").split("\n\n")) {
      const verdict = this.block(block);
      if (verdict !== "hold") return verdict;
    }
    return "hold";
  }

  private block(block: string): HeadVerdict {
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
    this.error = this.readError(type, json, data);
    if (this.error) return "fail";
    return typeof type === "string" && HEAD_EVENTS.has(type) ? "hold" : "start";
  }
}
