/**
 * Keep-alive while a streamed answer has not started: some providers send nothing at all (not
 * even headers) until their first token, and reasoning models can think for minutes; proxies with
 * 60 s idle timeouts cut such connections. When the answer is not there within the keep-alive
 * interval, the client gets a 200 event stream now, `: keep-alive` comments while it waits, and
 * then the answer's own bytes (or, for an error, an error event: past this point the status is
 * committed). Answers that come in time are returned as they are: no cost on the usual path.
 *
 * It wraps the whole candidate loop, and an answer is not there until the pipeline has read the
 * start of its body (pipeline.ts `answerAt`): comments sent while a provider is silent, with or without
 * its headers, commit nothing, so a provider that stalls until its deadline
 * (`backendRequestTimeout`) or opens with an error event is failed over like one that refused.
 * Who answered cannot be a header any more by then: a `: x-agw-provider: <name>` comment says it
 * before the answer's bytes, and the access log's `endpoint` has it as always.
 */
import { errorBody, asHttpError } from "../../http/errors.ts";
import { afterSilence, cancelSilence, KEEP_ALIVE } from "./silence.ts";

/** A client format's error event (formats/errors.ts), for answers that are not OpenAI-shaped. */
export type ErrorEvent = (status: number, message: string, type: string, code: string | null) => string;

/** What a late answer needs besides the answer: its headers and, for non-OpenAI clients, their error event. Built only if it is late. */
export interface LateAnswer {
  headers: Headers;
  errorEvent?: ErrorEvent | undefined;
}

interface Waiting<T> {
  answer: Promise<Response>;
  intervalMs: number;
  resolve: (res: Response) => void;
  late: (arg: T) => LateAnswer;
  arg: T;
  silent: boolean;
}

/**
 * The answer, or (after `intervalMs` of silence) a 200 event stream of keep-alive comments that
 * goes on with the answer; `late(arg)` builds what that stream needs, only when it is late.
 *
 * The deadline set holds the waiting request through a WeakRef. Held strongly (the promise Bun
 * awaits, the answer, their resolvers, from a process-wide set that outlives every request), it
 * measured 10-15 µs more CPU for each fast stream; weakly, 1-5 µs (docs/performance.md). The
 * request stays alive anyway while it waits: its pending upstream call holds the answer, whose
 * reactions below hold `w` (a test collects garbage during a silent upstream and still gets
 * the comment).
 */
export function keepAliveUntilAnswered<T>(answer: Promise<Response>, intervalMs: number | undefined, late: (arg: T) => LateAnswer, arg: T): Promise<Response> {
  if (intervalMs === undefined) return answer;
  // one promise settled by whichever comes first: no race, no async layer (each layer between
  // the answer and Bun measured as a few percent of the throughput of fast streams)
  return new Promise((resolve, reject) => {
    const w: Waiting<T> = { answer, intervalMs, resolve, late, arg, silent: false };
    const deadline = afterSilence(intervalMs, answerLateRef, new WeakRef(w));
    answer.then(
      (res) => {
        if (w.silent) return;
        cancelSilence(deadline);
        resolve(res);
      },
      (err: unknown) => {
        // after a keep-alive answer, `settled` reports the failure as an event
        if (w.silent) return;
        cancelSilence(deadline);
        reject(err);
      },
    );
  });
}

function answerLateRef<T>(r: WeakRef<Waiting<T>>): void {
  const w = r.deref();
  if (w) answerLate(w);
}

function answerLate<T>(w: Waiting<T>): void {
  w.silent = true;
  const settled = w.answer.then(
    (res) => ({ res }),
    (err: unknown) => ({ err }),
  );
  const { headers, errorEvent } = w.late(w.arg);
  w.resolve(new Response(lateStream(settled, w.intervalMs, errorEvent), { status: 200, headers }));
}

/** Message, type and code of an error body in any client's shape (each has `error.message`). */
function errorOf(text: string, status: number): [string, string, string | null] {
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown; type?: unknown; code?: unknown } }).error;
    if (typeof e?.message === "string") return [e.message, typeof e.type === "string" ? e.type : "api_error", typeof e.code === "string" ? e.code : null];
  } catch {
    // not JSON: described below
  }
  return [`upstream answered HTTP ${status}`, "api_error", "upstream_error"];
}

function lateStream(settled: Promise<{ res: Response } | { err: unknown }>, intervalMs: number, errorEvent: ErrorEvent | undefined): ReadableStream<Uint8Array> {
  let cancelled = false;
  let upstream: { cancel(): Promise<void> } | undefined;
  return new ReadableStream<Uint8Array>({
    type: "direct",
    async pull(controller) {
      controller.write(KEEP_ALIVE);
      const timer = setInterval(() => void (cancelled || controller.write(KEEP_ALIVE)), intervalMs);
      const outcome = await settled;
      clearInterval(timer);
      if (cancelled) return;
      if ("err" in outcome) {
        const e = asHttpError(outcome.err);
        controller.write(errorEvent ? errorEvent(e.status, e.message, e.type, e.code) : `data: ${errorBody(e.message, e.type, e.code, e.param)}\n\n`);
      } else if (errorEvent && (!outcome.res.ok || !outcome.res.body)) {
        controller.write(errorEvent(outcome.res.status, ...errorOf(await outcome.res.text(), outcome.res.status)));
      } else if (!outcome.res.ok || !outcome.res.body) {
        // an error answer (OpenAI-shaped JSON) becomes the stream's error event
        const text = (await outcome.res.text()).trim();
        controller.write(`data: ${text.startsWith("{") ? text : errorBody(`upstream answered HTTP ${outcome.res.status}`, "api_error", "upstream_error")}\n\n`);
      } else {
        // the answer's own stream: a keep-alive interval of silence already passed, so reading it
        // in JavaScript is not what latency is made of here. The headers went out before a
        // provider was chosen: a comment names it (the access log has it too).
        const provider = outcome.res.headers.get("x-agw-provider");
        if (provider) controller.write(`: x-agw-provider: ${provider}\n\n`);
        const reader = outcome.res.body.getReader();
        upstream = reader;
        for (;;) {
          const { done, value } = await reader.read();
          if (done || cancelled) break;
          const written = controller.write(value);
          if (written instanceof Promise) await written;
        }
      }
      controller.close();
    },
    cancel() {
      cancelled = true;
      upstream?.cancel().catch(() => {});
    },
  });
}
