/**
 * Memory under a long mixed load: one million requests (streams, JSON answers, and clients that
 * leave mid-stream) through the gateway, its RSS sampled as it goes. Flat means what it holds
 * after the first fifth of the run is what it holds at the end.
 *
 *   bun bench/soak.ts [--requests 1000000] [--concurrency 64] [--bin dist/agentgateway]
 *
 * Writes bench/results/soak-<time>.json and prints the samples.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { openaiJson, openaiStream } from "./scenarios/index.ts";
import { freePort, waitForPort } from "./ports.ts";
import { rssMb } from "./cpu.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : process.argv[i + 1]!;
};
const TOTAL = Number(arg("--requests", "1000000"));
const CONCURRENCY = Number(arg("--concurrency", "64"));
const BIN = process.argv.includes("--bin") ? arg("--bin", "") : undefined;

const up = freePort();
const gw = freePort();
const upstream = Bun.spawn([process.execPath, "bench/serve-upstream.ts", "--scenario", "openai-stream", "--port", String(up), "--chunks", "20", "--delay-ms", "0"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
const cfg = join(mkdtempSync(join(tmpdir(), "agw-soak-")), "config.yaml");
writeFileSync(cfg, openaiStream.config(`http://127.0.0.1:${up}`, gw));
const gateway = Bun.spawn([...(BIN ? [resolve(ROOT, BIN)] : [process.execPath, "src/main.ts"]), cfg], { cwd: ROOT, env: { ...process.env, READINESS_ADDR: "off" }, stdout: "ignore", stderr: "inherit" });

const samples: { requests: number; rssMb: number; seconds: number }[] = [];
let done = 0;
let failures = 0;
try {
  await Promise.all([waitForPort(up), waitForPort(gw)]);
  const url = `http://127.0.0.1:${gw}/v1/chat/completions`;
  const headers = { "content-type": "application/json", authorization: "Bearer anything" };
  const started = performance.now();
  samples.push({ requests: 0, rssMb: rssMb(gateway.pid), seconds: 0 });

  /** every 10th request leaves after the first chunk; the rest alternate streams and JSON */
  const one = async (i: number) => {
    if (i % 10 === 9) {
      const ac = new AbortController();
      const res = await fetch(url, { method: "POST", headers, body: openaiStream.gatewayRequest.body, signal: ac.signal });
      await res.body!.getReader().read();
      ac.abort();
      return;
    }
    const res = await fetch(url, { method: "POST", headers, body: (i % 2 === 0 ? openaiStream : openaiJson).gatewayRequest.body });
    await res.arrayBuffer();
    if (!res.ok) failures++;
  };
  let next = 0;
  const worker = async () => {
    while (next < TOTAL) {
      const i = next++;
      await one(i).catch(() => void (i % 10 === 9 || failures++));
      done++;
      if (done % Math.max(1, Math.floor(TOTAL / 20)) === 0) {
        const s = { requests: done, rssMb: rssMb(gateway.pid), seconds: Math.round((performance.now() - started) / 1000) };
        samples.push(s);
        console.log(`${String(s.requests).padStart(8)} requests  ${String(s.rssMb).padStart(4)} MB  ${s.seconds}s`);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await Bun.sleep(3000);
  samples.push({ requests: done, rssMb: rssMb(gateway.pid), seconds: Math.round((performance.now() - started) / 1000) });
} finally {
  gateway.kill("SIGKILL");
  upstream.kill("SIGKILL");
}

const fifth = samples.find((s) => s.requests >= TOTAL / 5) ?? samples[1]!;
const last = samples.at(-1)!;
const growth = last.rssMb - fifth.rssMb;
const summary = `soak: ${done} requests (${failures} failed), RSS ${samples[0]!.rssMb} MB idle, ${fifth.rssMb} MB after ${fifth.requests}, ${last.rssMb} MB at the end (3 s after): ${growth >= 0 ? "+" : ""}${growth} MB over the last four fifths ${growth <= 5 ? "(flat)" : "(GROWING)"}`;
console.log(summary);
mkdirSync(join(ROOT, "bench/results"), { recursive: true });
writeFileSync(join(ROOT, `bench/results/soak-${new Date().toISOString().replace(/[:.]/g, "-")}.json`), `${JSON.stringify({ total: TOTAL, concurrency: CONCURRENCY, failures, samples, summary }, null, 2)}\n`);
