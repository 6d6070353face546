/**
 * Why the first token of a stream with spaced chunks is later through the gateway than through
 * the bare proxy, although the same request is fast under load: the same JavaScript runs several
 * times slower when the process has been idle a while (caches, branch predictors and the vCPU
 * itself go cold, and on a 2-core machine the other processes run in between). This times one
 * fixed piece of work, roughly the size of the gateway's path before its upstream call (parse a
 * chat request, build upstream headers and a translated body), back to back, then after gaps of
 * 1 and 25 ms, and after 25 ms of busy-waiting (the CPU never idles, yet the work is still slower).
 *
 *   bun bench/cold-path.ts
 */
export {};

const body = JSON.stringify({
  model: "gpt-4o-mini",
  stream: true,
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Write a short story about a gateway that translates every word faithfully." },
  ],
});

/** One request's worth of gateway-like work: parse, check, translate, build headers. */
function work(): number {
  const req = JSON.parse(body) as { model: string; messages: { role: string; content: string }[]; stream: boolean };
  const system = req.messages.filter((m) => m.role === "system").map((m) => m.content);
  const messages = req.messages.filter((m) => m.role !== "system").map((m) => ({ role: m.role, content: [{ type: "text", text: m.content }] }));
  const translated = JSON.stringify({ model: req.model, system: system.join("\n"), messages, max_tokens: 4096, stream: req.stream });
  const headers = new Headers({ "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01" });
  headers.set("content-length", String(translated.length));
  return translated.length + [...headers].length;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(between: () => Promise<void> | void, n = 300): Promise<number> {
  const us: number[] = [];
  for (let i = 0; i < n; i++) {
    await between();
    const t = performance.now();
    work();
    us.push((performance.now() - t) * 1000);
  }
  return median(us);
}

for (let i = 0; i < 20_000; i++) work(); // JIT-compiled before anything is timed
const rows: [string, number][] = [
  ["back to back (a turn of the event loop between)", await timed(() => new Promise((r) => setImmediate(r)))],
  ["1 ms idle between", await timed(() => Bun.sleep(1))],
  ["25 ms idle between", await timed(() => Bun.sleep(25), 120)],
  [
    "25 ms busy-waiting between",
    await timed(() => {
      const end = performance.now() + 25;
      while (performance.now() < end);
    }, 120),
  ],
];
console.log("the same work, median µs:");
for (const [what, us] of rows) console.log(`  ${what.padEnd(50)} ${us.toFixed(1).padStart(6)} µs  (${(us / rows[0]![1]).toFixed(1)}x)`);
