/**
 * The bounded log sink's rule: once the stream says it is full, at most `maxBacklog` more bytes
 * until it drains; batches beyond are dropped and counted, and the count is handed over once,
 * after the drain. (A real stalled pipe: test/e2e/log-backpressure.test.ts.)
 */
import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { boundedSink } from "../../src/telemetry/stdout-sink.ts";

/** a stream that takes `room` bytes before it reports itself full (as a pipe's kernel buffer does) */
function stream(room: number) {
  const e = new EventEmitter();
  let taken = 0;
  return Object.assign(e, {
    taken: () => taken,
    write(bytes: Uint8Array) {
      taken += bytes.byteLength;
      return taken <= room;
    },
    drain() {
      room = Infinity;
      e.emit("drain");
    },
  });
}

test("full stream: up to the backlog is still handed over, the rest dropped and counted; reported once after the drain", () => {
  const out = stream(100);
  const sink = boundedSink(out, 1000);
  const batch = new Uint8Array(300);
  sink.write(batch, 3); // 300 > 100: the stream is full from here, this batch queued
  sink.write(batch, 3); // backlog 600
  sink.write(batch, 3); // backlog 900
  sink.write(batch, 3); // 1200 > 1000: dropped
  sink.write(new Uint8Array(50), 1); // 950: still fits
  expect(out.taken()).toBe(950);
  expect(sink.takeDropped!()).toBeUndefined(); // not while it is still full
  out.drain();
  expect(sink.takeDropped!()).toEqual({ lines: 3, bytes: 300 });
  expect(sink.takeDropped!()).toBeUndefined();
  sink.write(batch, 3);
  expect(out.taken()).toBe(1250);
});
