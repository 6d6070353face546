/**
 * Preloaded into a process measured by bench/allocations.ts: on SIGUSR2 it writes the heap's
 * object counts by type to stderr, one `HEAP_STATS {json}` line.
 */
import { heapStats } from "bun:jsc";

process.on("SIGUSR2", () => {
  const s = heapStats();
  console.error(`HEAP_STATS ${JSON.stringify({ heapSize: s.heapSize, types: s.objectTypeCounts })}`);
});
