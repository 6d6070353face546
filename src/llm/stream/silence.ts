/**
 * "Has this been silent for N ms?" for every streamed request, on one coarse process-wide clock.
 *
 * Keep-alive comments must go out when an upstream has said nothing for the keep-alive interval
 * (15 s by default), which almost never happens: nearly every stream answers in time. A timer and
 * a promise race per request for that rare case measured 6 µs of CPU a streamed request and 10%
 * of the throughput of fast streams (A/B of one binary with `streamKeepAlive` on and off). Here a
 * request registers a deadline in a set and removes it when the answer comes; one interval timer,
 * running only while deadlines are pending, fires the late ones. A deadline fires between `ms` and
 * `ms + TICK_MS` after it was set; intervals under a second (tests, unusual configs) get their own
 * timer, where a quarter second would matter.
 */

const TICK_MS = 250;

interface Deadline {
  readonly due: number;
  run(): void;
}

/** A class: `fire` and its argument side by side, with no closure binding them for every request. */
class Silence<T> implements Deadline {
  constructor(
    readonly due: number,
    private readonly fire: (arg: T) => void,
    private readonly arg: T,
  ) {}

  run(): void {
    this.fire(this.arg);
  }
}

const pending = new Set<Deadline>();
let ticker: ReturnType<typeof setInterval> | undefined;

function sweep(): void {
  const now = performance.now();
  for (const d of pending) {
    if (d.due > now) continue;
    pending.delete(d);
    d.run();
  }
  if (pending.size === 0) {
    clearInterval(ticker);
    ticker = undefined;
  }
}

/**
 * Calls `fire(arg)` once after `ms`, unless the returned deadline is cancelled first
 * (`cancelSilence`). What is held here outlives requests: hold a request's objects weakly
 * (keep-alive.ts says why and what it measured).
 */
export function afterSilence<T>(ms: number, fire: (arg: T) => void, arg: T): Deadline | ReturnType<typeof setTimeout> {
  if (ms < 1000) return setTimeout(fire, ms, arg);
  const d = new Silence(performance.now() + ms, fire, arg);
  pending.add(d);
  if (ticker === undefined) {
    ticker = setInterval(sweep, TICK_MS);
    // pending keep-alives alone must not hold a stopping process open
    ticker.unref?.();
  }
  return d;
}

/** Cancels what afterSilence armed (nothing happens if it already fired). */
export function cancelSilence(d: Deadline | ReturnType<typeof setTimeout>): void {
  if (isDeadline(d)) pending.delete(d);
  else clearTimeout(d);
}

const isDeadline = (d: Deadline | ReturnType<typeof setTimeout>): d is Deadline => d instanceof Silence;

/** The SSE comment that keeps a silent stream's connection open. */
export const KEEP_ALIVE = ": keep-alive\n\n";
