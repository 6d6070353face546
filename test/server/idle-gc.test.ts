/**
 * The idle collector: it collects once the gateway has been idle for two checks after the heap
 * grew, never while requests are in flight, and not again until the heap grows anew.
 */
import { describe, expect, test } from "bun:test";
import { startIdleCollector } from "../../src/server/idle-gc.ts";

const MB = 1024 * 1024;

function harness() {
  const state = { inFlight: 0, heap: 10 * MB, collections: 0 };
  const collector = startIdleCollector({
    everyMs: 5,
    minGrowthBytes: 8 * MB,
    inFlight: () => state.inFlight,
    heapBytes: () => state.heap,
    collect: () => {
      state.collections++;
      state.heap = 12 * MB; // what survives
    },
  });
  return { state, collector };
}

describe("idle collector", () => {
  test("collects once when idle after the heap grew, and not again until it grows anew", async () => {
    const { state, collector } = harness();
    try {
      state.heap = 30 * MB;
      await Bun.sleep(60);
      expect(state.collections).toBe(1);
      await Bun.sleep(60);
      expect(state.collections).toBe(1); // 12 MB now: no growth since
      state.heap = 21 * MB;
      await Bun.sleep(60);
      expect(state.collections).toBe(2);
    } finally {
      collector.stop();
    }
  });

  test("never collects while a request is in flight, nor for a small growth", async () => {
    const { state, collector } = harness();
    try {
      state.heap = 17 * MB; // grew by 7 MB: under the threshold
      await Bun.sleep(60);
      expect(state.collections).toBe(0);
      state.heap = 40 * MB;
      state.inFlight = 3;
      await Bun.sleep(60);
      expect(state.collections).toBe(0);
      state.inFlight = 0;
      await Bun.sleep(60);
      expect(state.collections).toBe(1);
    } finally {
      collector.stop();
    }
  });
});
