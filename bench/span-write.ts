/**
 * What the tracer costs per traced exchange, measured in a loop on realistic finished outcome
 * records (the bench's route, varying durations, token counts and costs from the bundled
 * catalog): the tracer's own listener and its batching and encoding, the export replaced by a
 * transport that keeps the bytes. Also the per-request part the handler and the upstream call
 * pay (`startTrace`, `formatTraceparent`). A loop flatters code that a gateway runs between
 * requests (caches stay warm), so read its figures as relative: before and after a change.
 *
 *   bun bench/span-write.ts [--spans 200000]
 */
import { bundledCatalog } from "../src/telemetry/cost/bundled.ts";
import { createLogger } from "../src/telemetry/log.ts";
import { recordOutcome, type ExchangeOutcome } from "../src/telemetry/outcome.ts";
import { createTracer } from "../src/telemetry/tracing/tracer.ts";
import { formatTraceparent, startTrace } from "../src/telemetry/tracing/traceparent.ts";

const i = process.argv.indexOf("--spans");
const SPANS = i === -1 ? 200_000 : Number(process.argv[i + 1]);
let exported = 0;
const tracer = createTracer(
  { endpoint: "sink", url: "http://127.0.0.1:1/v1/traces", protocol: "http", headers: new Map(), randomSampling: 1, clientSampling: 1, remove: new Set(), resources: {} },
  { logger: createLogger({ format: "json", level: "error" }), version: "bench", transport: async (body) => void (exported += body.byteLength) },
);
const catalog = bundledCatalog().catalog;
const sampling = { random: 1, client: 1 };

/** A finished exchange as the gateway records it for an OpenAI chat request on the bench route. */
function exchange(n: number): ExchangeOutcome {
  let t = 1_000 + n;
  const rec = recordOutcome({ start: t, bind: 4000, method: "POST", path: "" }, [], () => (t += 3 + (n % 97) / 10), catalog);
  rec.path("/v1/chat/completions");
  rec.matched("default", "route0");
  rec.traced(startTrace(null, sampling, Math.random));
  rec.requested("chat", "gpt-4o-mini");
  rec.attempt("openai", "openai-0", "llm");
  rec.answered(200, { usage: { inputTokens: 10 + (n % 500), outputTokens: 1 + (n % 300), totalTokens: 11 + (n % 500) + (n % 300) }, responseModel: "gpt-4o-mini-2024-07-18", firstByteMs: 1 + (n % 13) / 7 });
  rec.finish();
  return rec.record as ExchangeOutcome;
}

const records = Array.from({ length: 4096 }, (_, n) => exchange(n));
/** `count` exchanges finishing, with a turn of the event loop every 256 (the exports settle there, as between requests) */
const run = async (count: number) => {
  for (let n = 0; n < count; n++) {
    tracer.listener(records[n & 4095]!);
    if ((n & 255) === 255) await new Promise((r) => setImmediate(r));
  }
};
await run(20_000); // warm up (JIT)
/** µs of CPU a span: the least of ten runs of a tenth of the spans each (the least is the run other processes disturbed least) */
const runs: number[] = [];
for (let k = 0; k < 10; k++) {
  const c0 = process.cpuUsage();
  await run(SPANS / 10);
  const c = process.cpuUsage(c0);
  runs.push((c.user + c.system) / (SPANS / 10));
}
const perSpan = Math.min(...runs);
let headerChars = 0;
const t2 = performance.now();
for (let n = 0; n < SPANS; n++) headerChars += formatTraceparent(startTrace(null, sampling, Math.random)!).length;
const t3 = performance.now();
await tracer.shutdown();
console.log(`span written and batched: ${perSpan.toFixed(3)} µs; trace started and its traceparent formatted: ${(((t3 - t2) * 1000) / SPANS).toFixed(3)} µs (${SPANS} spans, ${(exported / 1024 / 1024).toFixed(0)} MB exported${headerChars ? "" : ""})`);
