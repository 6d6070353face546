/**
 * `bun run bench`: direct upstream, bare Bun proxy and the gateway side by side, each in its own
 * process, under the same load in the same run; then every provider translation scenario
 * against the bare proxy relaying the provider's native bytes.
 *
 *   bun bench/run.ts [--duration 5] [--only openai-stream,anthropic-stream] [--skip-core] [--bin dist/agentgateway]
 *
 * Results: a table on stdout, bench/results/<time>.json and .md, and bench/results/latest.md.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Scenario } from "./scenario.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { openaiJson, openaiStream, providerScenarios } from "./scenarios/index.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const DURATION = Number(arg("--duration") ?? 5);
const ONLY = arg("--only")?.split(",");
const BIN = arg("--bin");
const CHUNKS = 20;

interface Row {
  scenario: string;
  stream: boolean;
  delayMs: number;
  connections: number;
  target: "direct" | "bare-proxy" | "gateway";
  result: LoadResult;
  /** CPU time (user + system) the process under test spent per request, in µs */
  cpuUsPerRequest: number;
}

const rows: Row[] = [];
const procs: Subprocess[] = [];

function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const p = s.port;
  s.stop(true);
  return p;
}

async function waitForPort(port: number, proc: Subprocess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}`);
    try {
      const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
      s.end();
      return;
    } catch {
      await Bun.sleep(25);
    }
  }
  throw new Error(`nothing listens on ${port}`);
}

function spawn(cmd: string[], env: Record<string, string> = {}): Subprocess {
  const p = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  procs.push(p);
  return p;
}

async function stop(p: Subprocess): Promise<void> {
  p.kill("SIGKILL");
  await p.exited;
}

/** utime + stime of a process, in µs (Linux /proc; clock ticks are 1/100 s). */
function cpuUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Math.round(Number(m[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

/** Upstream, bare proxy and gateway for one scenario; returns their URLs and a cleanup. */
async function stack(s: Scenario, delayMs: number) {
  const up = freePort();
  const bare = freePort();
  const gw = freePort();
  const upstream = spawn([process.execPath, "bench/serve-upstream.ts", "--scenario", s.name, "--port", String(up), "--chunks", String(CHUNKS), "--delay-ms", String(delayMs)]);
  const proxy = spawn([process.execPath, "bench/bare-proxy.ts", "--port", String(bare), "--upstream", `http://127.0.0.1:${up}`]);
  const dir = mkdtempSync(join(tmpdir(), "agw-bench-"));
  const cfg = join(dir, "config.yaml");
  writeFileSync(cfg, s.config(`http://127.0.0.1:${up}`, gw));
  const gateway = spawn([...(BIN ? [resolve(ROOT, BIN)] : [process.execPath, "src/main.ts"]), cfg], { READINESS_ADDR: "off" });
  await Promise.all([waitForPort(up, upstream), waitForPort(bare, proxy), waitForPort(gw, gateway)]);
  return {
    direct: `http://127.0.0.1:${up}`,
    bare: `http://127.0.0.1:${bare}`,
    gateway: `http://127.0.0.1:${gw}`,
    pids: { direct: upstream.pid, "bare-proxy": proxy.pid, gateway: gateway.pid } as Record<Row["target"], number>,
    gatewayPid: gateway.pid,
    async close() {
      await Promise.all([stop(upstream), stop(proxy), stop(gateway)]);
    },
  };
}

async function measure(s: Scenario, target: Row["target"], st: { pids: Record<Row["target"], number> } & Record<"direct" | "bare" | "gateway", string>, connections: number, delayMs: number): Promise<Row> {
  const req = target === "gateway" ? s.gatewayRequest : s.nativeRequest;
  const base = target === "direct" ? st.direct : target === "bare-proxy" ? st.bare : st.gateway;
  // warm up (JIT, connection pools), then measure
  await runLoad({ url: base + req.path, body: req.body, headers: req.headers ?? {}, connections, durationSec: 1 });
  const cpu0 = cpuUs(st.pids[target]);
  const result = await runLoad({ url: base + req.path, body: req.body, headers: req.headers ?? {}, connections, durationSec: DURATION });
  const cpuUsPerRequest = result.requests > 0 ? (cpuUs(st.pids[target]) - cpu0) / result.requests : 0;
  const row: Row = { scenario: s.name, stream: s.stream, delayMs, connections, target, result, cpuUsPerRequest };
  rows.push(row);
  const r = result;
  console.log(
    `  ${s.name.padEnd(18)} delay=${delayMs}ms c=${String(connections).padEnd(3)} ${target.padEnd(10)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${fmtUs(r.p50Us).padStart(8)}  p99 ${fmtUs(r.p99Us).padStart(8)}  cpu ${cpuUsPerRequest.toFixed(0).padStart(4)}us/req${r.errors ? `  errors=${r.errors}` : ""}`,
  );
  return row;
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)}ms` : `${us.toFixed(0)}us`;
}

const wanted = (s: Scenario) => !ONLY || ONLY.includes(s.name);
const summary: string[] = [];
let gatewayRss = 0;
let gatewayPeakRss = 0;

try {
  console.log(`load driver: ${Bun.which("wrk") ? "wrk" : "bun (install wrk for steadier figures)"}; ${DURATION}s per measurement; gateway: ${BIN ?? "bun src/main.ts"}\n`);

  // 1. the core: direct vs bare proxy vs gateway, JSON and SSE, 1 and 50 connections
  if (!process.argv.includes("--skip-core")) {
    for (const s of [openaiJson, openaiStream].filter(wanted)) {
      const st = await stack(s, 0);
      try {
        for (const c of [1, 50]) {
          await measure(s, "direct", st, c, 0);
          const bare = await measure(s, "bare-proxy", st, c, 0);
          const gw = await measure(s, "gateway", st, c, 0);
          const ratio = gw.result.rps / bare.result.rps;
          summary.push(`${s.name} c=${c}: gateway/bare ${ratio.toFixed(2)}x (target >= 0.85x) ${ratio >= 0.85 ? "MET" : "MISSED"}; cpu/request ${gw.cpuUsPerRequest.toFixed(0)}us vs ${bare.cpuUsPerRequest.toFixed(0)}us`);
          if (c === 1) {
            const added = gw.result.p50Us - bare.result.p50Us;
            summary.push(`${s.name} c=1: added p50 ${added.toFixed(0)}us (target <= 100us) ${added <= 100 ? "MET" : "MISSED"}`);
          }
        }
        const peak = rssMb(st.gatewayPid);
        await Bun.sleep(3000); // idle: the GC gives back what the load needed
        const settled = rssMb(st.gatewayPid);
        gatewayPeakRss = Math.max(gatewayPeakRss, peak);
        gatewayRss = Math.max(gatewayRss, settled);
      } finally {
        await st.close();
      }
    }
    summary.push(`gateway RSS 3 s after the core runs: ${gatewayRss} MB (target < 80 MB) ${gatewayRss < 80 ? "MET" : "MISSED"}; at the end of the load: ${gatewayPeakRss} MB`);
  }

  // 2. translation scenarios: 50 connections, chunks 1 ms apart and back to back
  for (const s of [openaiStream, ...(await providerScenarios())].filter(wanted)) {
    for (const delay of [1, 0]) {
      const st = await stack(s, delay);
      try {
        const bare = await measure(s, "bare-proxy", st, 50, delay);
        const gw = await measure(s, "gateway", st, 50, delay);
        const target = delay > 0 ? 0.95 : s.name.startsWith("openai") ? 0.85 : 0.6;
        const ratio = gw.result.rps / bare.result.rps;
        summary.push(`${s.name} delay=${delay}ms c=50: gateway/bare ${ratio.toFixed(2)}x (target >= ${target}x) ${ratio >= target ? "MET" : "MISSED"}; cpu/request ${gw.cpuUsPerRequest.toFixed(0)}us vs ${bare.cpuUsPerRequest.toFixed(0)}us`);
      } finally {
        await st.close();
      }
    }
  }
} finally {
  await Promise.all(procs.filter((p) => p.exitCode === null).map(stop));
}

console.log(`\n${summary.join("\n")}`);

// results
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const dir = join(ROOT, "bench/results");
mkdirSync(dir, { recursive: true });
const machine = { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: process.platform };
writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify({ date: new Date().toISOString(), machine, durationSec: DURATION, rows, summary, gatewayRssMb: gatewayRss, gatewayPeakRssMb: gatewayPeakRss }, null, 2)}\n`);
const table = [
  "| scenario | delay | conns | target | req/s | p50 | p99 | CPU/request | vs bare proxy |",
  "|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => {
    const bare = rows.find((b) => b.scenario === r.scenario && b.delayMs === r.delayMs && b.connections === r.connections && b.target === "bare-proxy");
    const ratio = bare && r.target !== "bare-proxy" ? `${(r.result.rps / bare.result.rps).toFixed(2)}x` : "";
    return `| ${r.scenario} | ${r.delayMs}ms | ${r.connections} | ${r.target} | ${r.result.rps.toFixed(0)} | ${fmtUs(r.result.p50Us)} | ${fmtUs(r.result.p99Us)} | ${r.cpuUsPerRequest.toFixed(0)}us | ${ratio} |`;
  }),
];
const md = `# Bench ${new Date().toISOString()}\n\n${machine.cpus} cores, bun ${machine.bun}, ${DURATION}s per measurement, load driver ${rows[0]?.result.tool ?? "-"}\n\n${table.join("\n")}\n\n${summary.map((s) => `- ${s}`).join("\n")}\n`;
writeFileSync(join(dir, `${stamp}.md`), md);
writeFileSync(join(dir, "latest.md"), md);
console.log(`\nresults: bench/results/${stamp}.json, bench/results/${stamp}.md`);
