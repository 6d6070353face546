/**
 * The one scripted-upstream API every LLM emulator is built on (OpenAI, Anthropic, Bedrock,
 * Gemini, Azure): a real HTTP server on a free port that records every request it receives and
 * answers from, in order of precedence,
 *   1. the script (`script(fn)`), while `fn` returns a reply for the request;
 *   2. the queue (`enqueue(...replies)`), one reply per request;
 *   3. the emulator's default reply (a short greeting, or an error saying nothing was queued).
 * What a reply is and how it goes on the wire is the emulator's business (`answer`): each keeps
 * its provider's documented format byte for byte, and checks what the provider checks (auth,
 * paths, signatures) before a reply is taken.
 *
 * The same verbs everywhere:
 *   emu.requests                  every request received, in order (method, path, query, headers,
 *                                 body text, parsed json, aborted)
 *   emu.script(fn) / enqueue(r)   how the next requests are answered; script(undefined) clears
 *   emu.waitForRequest(match)     the first request matching, now or when it arrives
 *   emu.until(cond, ms, what)     resolves when `cond` holds, rejects naming `what` otherwise
 *   emu.aborted                   how many requests the client (the gateway) dropped mid-answer
 *   emu.lastJson()                the JSON body of the last request
 *   await emu.stop()
 */
import { receive, type ReceivedRequest } from "./record.ts";

/** What every emulator records of a request. */
export type RecordedRequest = ReceivedRequest & {
  /** set once the client (the gateway) dropped the connection before the answer was complete */
  aborted: boolean;
};

/** Answers requests while it returns a reply; `undefined` passes the request on to the queue. */
export type ScriptFn<Reply, Rec extends RecordedRequest = RecordedRequest> = (req: Rec) => Reply | undefined | Promise<Reply | undefined>;

export interface ScriptedUpstream<Reply, Rec extends RecordedRequest = RecordedRequest> {
  /** the emulator's name, in its error messages */
  readonly name: string;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** 127.0.0.1:PORT, for `hostOverride` */
  readonly host: string;
  /** every request received, in order */
  readonly requests: Rec[];
  /** answers with `fn` while it returns a reply (before the queue); `undefined` removes the script */
  script(fn: ScriptFn<Reply, Rec> | undefined): void;
  /** queues replies, each answering one request the script did not */
  enqueue(...replies: Reply[]): void;
  /** requests whose connection the client (the gateway) dropped before the answer was complete */
  readonly aborted: number;
  /**
   * Resolves as soon as `condition` holds (checked now, on every request received and on every
   * abort); rejects after `timeoutMs` with `what()` as the message, so a test names what never happened.
   */
  until(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void>;
  /**
   * The first request (already received or still to come) that `match` accepts, any by default;
   * rejects after `timeoutMs` (3 s) with `what` as the message.
   */
  waitForRequest(match?: (req: Rec) => boolean, timeoutMs?: number, what?: string): Promise<Rec>;
  /** the parsed JSON body of the last request; throws when there is none */
  lastJson(): any;
  stop(): Promise<void>;
}

export interface ScriptedUpstreamOptions<Reply, Rec extends RecordedRequest> {
  name: string;
  /** the reply when neither the script nor the queue has one; none: `answer` gets undefined */
  defaultReply?: (req: Rec) => Reply | undefined | Promise<Reply | undefined>;
  /** turns the common record into the emulator's own (extra fields, a decoded path) */
  record?: (base: RecordedRequest, req: Request) => Rec;
  /**
   * The emulator's wire: checks the request as the provider would, and answers it. `reply()` takes
   * the reply for this request (script, queue, default), so requests refused before it consume none.
   */
  answer(req: Rec, reply: () => Promise<Reply | undefined>, raw: Request): Response | Promise<Response>;
}

export function startScriptedUpstream<Reply, Rec extends RecordedRequest = RecordedRequest>(opts: ScriptedUpstreamOptions<Reply, Rec>): ScriptedUpstream<Reply, Rec> {
  const requests: Rec[] = [];
  const queue: Reply[] = [];
  let current: ScriptFn<Reply, Rec> | undefined;
  let aborted = 0;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const check of waiters) check();
  };
  const nextReply = async (rec: Rec): Promise<Reply | undefined> => {
    const scripted = await current?.(rec);
    if (scripted !== undefined) return scripted;
    if (queue.length > 0) return queue.shift();
    return opts.defaultReply?.(rec);
  };
  const until = (condition: () => boolean, timeoutMs: number, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`${opts.name} emulator, after ${timeoutMs} ms: ${what()}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const base: RecordedRequest = Object.assign(await receive(req), { aborted: false });
      const rec = opts.record ? opts.record(base, req) : (base as Rec);
      requests.push(rec);
      req.signal.addEventListener("abort", () => {
        aborted++;
        rec.aborted = true;
        changed();
      });
      changed();
      return opts.answer(rec, () => nextReply(rec), req);
    },
  });

  return {
    name: opts.name,
    origin: `http://127.0.0.1:${server.port}`,
    host: `127.0.0.1:${server.port}`,
    requests,
    script: (fn) => {
      current = fn;
    },
    enqueue: (...replies) => void queue.push(...replies),
    get aborted() {
      return aborted;
    },
    until,
    async waitForRequest(match = () => true, timeoutMs = 3000, what) {
      await until(() => requests.some(match), timeoutMs, () => what ?? `no matching request among the ${requests.length} received`);
      return requests.find(match)!;
    },
    lastJson() {
      const r = requests.at(-1);
      if (r?.json === undefined) throw new Error(`the ${opts.name} emulator received ${r ? "no JSON body last" : "no request"}`);
      return r.json;
    },
    stop: async () => {
      await server.stop(true);
    },
  };
}
