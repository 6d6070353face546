/**
 * Log output that cannot eat the gateway's memory. Bun queues whatever a pipe does not take at
 * once, without bound: with stdout's reader stalled (a blocked logging driver, a terminal on
 * pause) measured 70 MB more RSS a second at 70 MB/s of lines, until the process is killed. Here
 * a stream that reported itself full (`write` returned false) takes at most `maxBacklog` more
 * bytes until it drains; the batches beyond are dropped and counted, and the first batch after
 * the drain begins with a warning that says how many lines were lost. Dropping logs is what
 * agentgateway's peers do when the consumer falls behind (Envoy's access-log buffers, tracing's
 * non-blocking writer); stalling every request for a log line would be worse.
 */
import type { LogSink } from "./log.ts";

/** The part of a Node-style writable stream the sink uses (process.stdout). */
export interface WritableOut {
  write(bytes: Uint8Array): boolean;
  on(event: "drain", listener: () => void): unknown;
}

/** about 2 s of access log at 10,000 requests a second */
export const MAX_BACKLOG_BYTES = 8 * 1024 * 1024;

export function boundedSink(out: WritableOut, maxBacklog = MAX_BACKLOG_BYTES): LogSink {
  /** bytes handed to the stream since it reported itself full; undefined: it is not full */
  let backlog: number | undefined;
  let droppedLines = 0;
  let droppedBytes = 0;
  out.on("drain", () => {
    backlog = undefined;
  });
  return {
    write(bytes, lines) {
      if (backlog !== undefined) {
        if (backlog + bytes.byteLength > maxBacklog) {
          droppedLines += lines;
          droppedBytes += bytes.byteLength;
          return;
        }
        backlog += bytes.byteLength;
      }
      if (!out.write(bytes)) backlog ??= bytes.byteLength;
    },
    takeDropped() {
      if (backlog !== undefined || droppedLines === 0) return undefined;
      const dropped = { lines: droppedLines, bytes: droppedBytes };
      droppedLines = droppedBytes = 0;
      return dropped;
    },
  };
}
