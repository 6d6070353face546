/**
 * The load driver: `wrk` when installed (apt-get install wrk), else a Bun load generator.
 * Both report requests/s, p50 and p99 latency over whole responses (streams read to the end).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface LoadOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
}

export interface LoadResult {
  tool: "wrk" | "bun";
  rps: number;
  p50Us: number;
  p99Us: number;
  requests: number;
  /** non-2xx answers and socket errors */
  errors: number;
}

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  return Bun.which("wrk") ? runWrk(o) : runBun(o);
}

async function runWrk(o: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "agw-bench-"));
  const bodyFile = join(dir, "body.json");
  writeFileSync(bodyFile, o.body);
  const headers = Object.entries(o.headers)
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join("\n");
  const script = join(dir, "post.lua");
  writeFileSync(script, `wrk.method = "POST"\nlocal f = io.open(${JSON.stringify(bodyFile)}, "rb")\nwrk.body = f:read("*a")\nf:close()\n${headers}\n`);
  const threads = Math.min(2, o.connections);
  const proc = Bun.spawn(["wrk", `-t${threads}`, `-c${o.connections}`, `-d${o.durationSec}s`, "--latency", "-s", script, o.url], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  await proc.exited;
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
  const errors = num(/Non-2xx or 3xx responses: (\d+)/) + sum(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out));
  return {
    tool: "wrk",
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Us: latencyUs(/\s50%\s+([\d.]+)(us|ms|s)\b/.exec(out)),
    p99Us: latencyUs(/\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out)),
    requests: num(/(\d+) requests in/),
    errors,
  };
}

function sum(m: RegExpExecArray | null): number {
  return m ? m.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
}

function latencyUs(m: RegExpExecArray | null): number {
  if (!m) return 0;
  const v = Number(m[1]);
  return m[2] === "us" ? v : m[2] === "ms" ? v * 1000 : v * 1_000_000;
}

async function runBun(o: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + o.durationSec * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        const res = await fetch(o.url, { method: "POST", headers: o.headers, body: o.body });
        await res.arrayBuffer();
        if (!res.ok) errors++;
      } catch {
        errors++;
      }
      latencies.push((performance.now() - t0) * 1000);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: o.connections }, worker));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { tool: "bun", rps: latencies.length / elapsed, p50Us: pct(0.5), p99Us: pct(0.99), requests: latencies.length, errors };
}
