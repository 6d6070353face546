/**
 * `bun run bench`: direct upstream, bare Bun proxy and the gateway side by side, each in its own
 * process, under the same load in the same run; then every provider translation scenario
 * against the bare proxy relaying the provider's native bytes; then feature scenarios (failover
 * groups and guards) against the same gateway without the feature.
 *
 *   bun bench/run.ts [--duration 4] [--rounds 3] [--only openai-stream,anthropic-stream] [--skip-core] [--bin dist/agentgateway]
 *   bun bench/run.ts --floor --only anthropic-stream --skip-core   # bench/floor.ts in the gateway's place
 *   bun bench/run.ts --floor --only openai-stream --skip-core      # the floor of a passthrough that reads usage
 *   bun bench/run.ts --floor --only resilience-stream --skip-core  # the floor of masking a stream, against reading one
 *   bun bench/run.ts --floor --only anthropic-client-on-openai --skip-core  # OpenAI chunks -> Anthropic events
 *   bun bench/run.ts --floor --only gemini-stream --skip-core       # Gemini events -> OpenAI chunks (text in the first event)
 *   bun bench/run.ts --floor --only bedrock-stream --skip-core      # Bedrock's event stream -> OpenAI chunks, the request SigV4-signed
 *   bun bench/run.ts --floor --only openai-json                     # the floor of a JSON exchange that routes and reads usage
 *   bun bench/run.ts --first-token-only --skip-core --only anthropic-stream   # time to first token alone
 *   bun bench/run.ts --chunks 40 --skip-core --only anthropic-stream           # longer streams (default 20 chunks)
 *   bun bench/run.ts --floors --bin dist/agentgateway                           # the floors beside the gateway, in the same rounds
 *
 * Results: a table on stdout, bench/results/<time>.json and .md, and (a whole run only) bench/results/latest.md.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { OPENAI_FIRST_TOKEN, type Scenario } from "./scenario.ts";
import { firstTokenTarget, measureFirstChunk, type FirstChunkResult } from "./first-chunk.ts";
import { runLoad, type LoadResult } from "./load.ts";
import { featureScenarios, openaiJson, openaiStream, openaiStreamUntouched, providerScenarios } from "./scenarios/index.ts";
import { accessSummary, benchAccess } from "./access.ts";
import { FLOOR_MODES } from "./floor-modes.ts";
import { freePort, waitForPort } from "./ports.ts";
import { cpuUs, rssMb } from "./cpu.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const DURATION = Number(arg("--duration") ?? 4);
const ROUNDS = Number(arg("--rounds") ?? 3);
const ONLY = arg("--only")?.split(",");
const BIN = arg("--bin");
/** the minimal translator (bench/floor.ts) stands in for the gateway: the floor of translation on Bun */
const FLOOR = process.argv.includes("--floor");
/**
 * `--floors`: every scenario that has a floor mode and is compared with the bare proxy also runs
 * bench/floor.ts as a third contender in the same alternating rounds (and the same first-token
 * blocks), so a target the gateway misses is read against what the least Bun program reached on
 * the machine in that same minute, not in another run.
 */
const FLOORS = process.argv.includes("--floors") && !FLOOR;
/** only the first-token figures of the translation scenarios (no load runs): a quick check of time to first token */
const FIRST_TOKEN_ONLY = process.argv.includes("--first-token-only");
/** content deltas in a streamed answer (`--chunks`): two runs with different counts separate what a chunk costs from what a stream costs */
const CHUNKS = Number(arg("--chunks") ?? 20);

interface Row {
  scenario: string;
  stream: boolean;
  delayMs: number;
  connections: number;
  /** `baseline`: the same gateway without the scenario's feature (feature scenarios) */
  target: "direct" | "bare-proxy" | "baseline" | "gateway" | "floor";
  result: LoadResult;
  /** CPU time (user + system) the process under test spent per request, in µs */
  cpuUsPerRequest: number;
}

const rows: Row[] = [];
const procs: Subprocess[] = [];

function spawn(cmd: string[], env: Record<string, string> = {}): Subprocess {
  const p = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  procs.push(p);
  return p;
}

async function stop(p: Subprocess): Promise<void> {
  p.kill("SIGKILL");
  await p.exited;
}

/**
 * The gateway as the pipeline's own figures need it: metrics and the admin page off (what they
 * cost is `bun run bench:ops`; metrics read token usage, so with them on no stream is zero copy),
 * and two gateways in one scenario do not both ask for 15020 and 15000. `--ops` keeps them on.
 */
function opsAddrs(): Record<string, string> {
  if (process.argv.includes("--ops")) return { READINESS_ADDR: "off", STATS_ADDR: `127.0.0.1:${freePort()}`, ADMIN_ADDR: `127.0.0.1:${freePort()}` };
  return { READINESS_ADDR: "off", STATS_ADDR: "off", ADMIN_ADDR: "off" };
}

/** utime + stime of a process, in µs (Linux /proc; clock ticks are 1/100 s). */

const rssSplit = (pid: number) => `${rssMb(pid)} MB (${rssMb(pid, "RssAnon")} anonymous, ${rssMb(pid, "RssFile")} file-backed)`;

/** Upstream, bare proxy and gateway for one scenario; returns their URLs and a cleanup. */
async function stack(s: Scenario, delayMs: number) {
  const up = freePort();
  const bare = freePort();
  const gw = freePort();
  const upstream = spawn([process.execPath, "bench/serve-upstream.ts", "--scenario", s.name, "--port", String(up), "--chunks", String(CHUNKS), "--delay-ms", String(delayMs)]);
  const dir = mkdtempSync(join(tmpdir(), "agw-bench-"));
  const startGateway = (config: string, port: number, file: string) => {
    const cfg = join(dir, file);
    writeFileSync(cfg, config);
    return spawn([...(BIN ? [resolve(ROOT, BIN)] : [process.execPath, "src/main.ts"]), cfg], opsAddrs());
  };
  const floor = (port: number, mode: string[]) => spawn([process.execPath, "bench/floor.ts", "--port", String(port), "--upstream", `http://127.0.0.1:${up}`, ...mode]);
  if (FLOOR && !(s.name in FLOOR_MODES)) throw new Error(`--floor measures ${Object.keys(FLOOR_MODES).join(", ")} only, not ${s.name}`);
  // a feature scenario's baseline is the same gateway without the feature, in the bare proxy's
  // place (with --floor: the floor of reading the stream, against the floor of guarding it)
  const proxy = s.baseline
    ? FLOOR
      ? floor(bare, ["--tap"])
      : startGateway(s.baseline(`http://127.0.0.1:${up}`, bare), bare, "baseline.yaml")
    : spawn([process.execPath, "bench/bare-proxy.ts", "--port", String(bare), "--upstream", `http://127.0.0.1:${up}`]);
  const gateway = FLOOR ? floor(gw, FLOOR_MODES[s.name]!) : startGateway(s.config(`http://127.0.0.1:${up}`, gw), gw, "config.yaml");
  const floorPort = freePort();
  const beside = FLOORS && !s.baseline && s.name in FLOOR_MODES ? floor(floorPort, FLOOR_MODES[s.name]!) : undefined;
  await Promise.all([waitForPort(up, upstream), waitForPort(bare, proxy), waitForPort(gw, gateway), ...(beside ? [waitForPort(floorPort, beside)] : [])]);
  return {
    direct: `http://127.0.0.1:${up}`,
    bare: `http://127.0.0.1:${bare}`,
    gateway: `http://127.0.0.1:${gw}`,
    floor: beside ? `http://127.0.0.1:${floorPort}` : undefined,
    pids: { direct: upstream.pid, "bare-proxy": proxy.pid, baseline: proxy.pid, gateway: gateway.pid, floor: beside?.pid ?? 0 } as Record<Row["target"], number>,
    gatewayPid: gateway.pid,
    async close() {
      await Promise.all([stop(upstream), stop(proxy), stop(gateway), ...(beside ? [stop(beside)] : [])]);
    },
  };
}

type Stack = { pids: Record<Row["target"], number>; floor: string | undefined } & Record<"direct" | "bare" | "gateway", string>;

/** One timed load against one target: the result and the CPU the target spent per request. */
async function once(s: Scenario, target: Row["target"], st: Stack, connections: number, durationSec: number): Promise<{ result: LoadResult; cpuUs: number }> {
  const req = target === "gateway" || target === "baseline" || target === "floor" ? s.gatewayRequest : s.nativeRequest;
  const base = target === "direct" ? st.direct : target === "bare-proxy" || target === "baseline" ? st.bare : target === "floor" ? st.floor! : st.gateway;
  const cpu0 = cpuUs(st.pids[target]);
  const result = await runLoad({ url: base + req.path, body: req.body, headers: req.headers ?? {}, connections, durationSec });
  return { result, cpuUs: cpuUs(st.pids[target]) - cpu0 };
}

function record(s: Scenario, target: Row["target"], connections: number, delayMs: number, runs: { result: LoadResult; cpuUs: number }[]): Row {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const requests = runs.reduce((n, r) => n + r.result.requests, 0);
  const result: LoadResult = {
    tool: runs[0]!.result.tool,
    rps: median(runs.map((r) => r.result.rps)),
    p50Us: median(runs.map((r) => r.result.p50Us)),
    p99Us: median(runs.map((r) => r.result.p99Us)),
    requests,
    errors: runs.reduce((n, r) => n + r.result.errors, 0),
  };
  const cpuUsPerRequest = requests > 0 ? runs.reduce((n, r) => n + r.cpuUs, 0) / requests : 0;
  const row: Row = { scenario: s.name, stream: s.stream, delayMs, connections, target, result, cpuUsPerRequest };
  rows.push(row);
  console.log(
    `  ${s.name.padEnd(18)} delay=${delayMs}ms c=${String(connections).padEnd(3)} ${target.padEnd(10)} ${result.rps.toFixed(0).padStart(7)} req/s  p50 ${fmtUs(result.p50Us).padStart(8)}  p99 ${fmtUs(result.p99Us).padStart(8)}  cpu ${cpuUsPerRequest.toFixed(0).padStart(4)}us/req${result.errors ? `  errors=${result.errors}` : ""}`,
  );
  return row;
}

/**
 * The bare proxy and the gateway (and with `--floors` the floor) under the same load, in
 * alternating rounds (so drift on a shared machine hits all alike); each ratio reported is the
 * median of the rounds' ratios.
 */
async function compare(s: Scenario, st: Stack, connections: number, delayMs: number): Promise<{ bare: Row; gateway: Row; ratio: number; floor?: { row: Row; ratio: number } }> {
  const against = s.baseline ? "baseline" : "bare-proxy";
  const contenders: Row["target"][] = [against, "gateway", ...(st.floor ? (["floor"] as const) : [])];
  for (const t of contenders) await once(s, t, st, connections, 1); // warm-up
  const runs = new Map(contenders.map((t) => [t, [] as { result: LoadResult; cpuUs: number }[]]));
  const ratios = { gateway: [] as number[], floor: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    // each contender goes first in turn
    const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]!);
    for (const t of order) runs.get(t)!.push(await once(s, t, st, connections, DURATION));
    const rate = (t: Row["target"]) => runs.get(t)!.at(-1)!.result.rps;
    ratios.gateway.push(rate("gateway") / rate(against));
    if (st.floor) ratios.floor.push(rate("floor") / rate(against));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const bare = record(s, against, connections, delayMs, runs.get(against)!);
  const gateway = record(s, "gateway", connections, delayMs, runs.get("gateway")!);
  if (!st.floor) return { bare, gateway, ratio: median(ratios.gateway) };
  return { bare, gateway, ratio: median(ratios.gateway), floor: { row: record(s, "floor", connections, delayMs, runs.get("floor")!), ratio: median(ratios.floor) } };
}

/** What a summary line adds when the floor ran beside the gateway: its ratio and CPU a request. */
function floorNote(s: Scenario, floor: { row: Row; ratio: number } | undefined): string {
  if (!floor) return "";
  const mode = ["floor.ts", ...FLOOR_MODES[s.name]!].join(" ");
  return `; ${mode} beside it ${floor.ratio.toFixed(2)}x, cpu/request ${floor.row.cpuUsPerRequest.toFixed(0)}us`;
}

function fmtUs(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)}ms` : `${us.toFixed(0)}us`;
}

const wanted = (s: Scenario) => !ONLY || ONLY.includes(s.name);
const firstChunks: ({ scenario: string; delayMs: number } & FirstChunkResult)[] = [];

/** First-byte latency of the gateway against the bare proxy, one client, alternating blocks. */
function firstChunk(s: Scenario, st: Stack): Promise<FirstChunkResult> {
  return measureFirstChunk(firstTokenTarget(st.bare, s.nativeRequest, s.nativeFirstToken ?? OPENAI_FIRST_TOKEN), firstTokenTarget(st.gateway, s.gatewayRequest, s.gatewayFirstToken ?? OPENAI_FIRST_TOKEN));
}
const summary: string[] = [];
let gatewayRss = 0;
let gatewayPeakRss = 0;
let rssDetail = "";

try {
  console.log(`load driver: ${Bun.which("wrk") ? "wrk" : "bun (install wrk for steadier figures)"}; ${DURATION}s per measurement; gateway: ${BIN ?? "bun src/main.ts"}\n`);

  // 1. the core: direct vs bare proxy vs gateway, JSON and SSE, 1 and 50 connections
  if (!process.argv.includes("--skip-core")) {
    for (const s of [openaiJson, openaiStream].filter(wanted)) {
      const st = await stack(s, 0);
      try {
        for (const c of [1, 50]) {
          await once(s, "direct", st, c, 1);
          record(s, "direct", c, 0, [await once(s, "direct", st, c, DURATION)]);
          const { bare, gateway: gw, ratio, floor } = await compare(s, st, c, 0);
          const target = s.stream ? 0.9 : 0.95;
          summary.push(`${s.name} c=${c}: gateway/bare ${ratio.toFixed(2)}x (target >= ${target}x) ${ratio >= target ? "MET" : "MISSED"}; cpu/request ${gw.cpuUsPerRequest.toFixed(0)}us vs ${bare.cpuUsPerRequest.toFixed(0)}us${floorNote(s, floor)}`);
        }
        const peak = rssMb(st.gatewayPid);
        await Bun.sleep(3000); // idle: the GC gives back what the load needed
        const settled = rssMb(st.gatewayPid);
        gatewayPeakRss = Math.max(gatewayPeakRss, peak);
        if (settled >= gatewayRss) rssDetail = `gateway ${rssSplit(st.gatewayPid)}, bare proxy ${rssSplit(st.pids["bare-proxy"])}`;
        gatewayRss = Math.max(gatewayRss, settled);
      } finally {
        await st.close();
      }
    }
    // (no core scenario in `--only`: nothing was measured, so nothing is claimed)
    if (rssDetail !== "") summary.push(`gateway RSS 3 s after the core runs: ${gatewayRss} MB (target <= 50 MB) ${gatewayRss <= 50 ? "MET" : "MISSED"}; at the end of the load: ${gatewayPeakRss} MB; 3 s after: ${rssDetail}`);
  }

  // 2. translation scenarios: 50 connections, chunks 1 ms apart and back to back
  for (const s of [openaiStream, openaiStreamUntouched, ...(await providerScenarios())].filter(wanted)) {
    for (const delay of [1, 0]) {
      const st = await stack(s, delay);
      try {
        if (!FIRST_TOKEN_ONLY) {
          const { bare, gateway: gw, ratio, floor } = await compare(s, st, 50, delay);
          const target = s.targets ? (delay > 0 ? s.targets.delayed : s.targets.noDelay) : delay > 0 ? 0.95 : s.name.startsWith("openai") ? 0.9 : 0.75;
          summary.push(`${s.name} delay=${delay}ms c=50: gateway/bare ${ratio.toFixed(2)}x (target >= ${target}x) ${ratio >= target ? "MET" : "MISSED"}; cpu/request ${gw.cpuUsPerRequest.toFixed(0)}us vs ${bare.cpuUsPerRequest.toFixed(0)}us${floorNote(s, floor)}`);
        } else {
          // the load runs are what warm the JIT up: without them, a short warm-up load instead
          await once(s, "bare-proxy", st, 50, 2);
          await once(s, "gateway", st, 50, 2);
          if (st.floor) await once(s, "floor", st, 50, 2);
        }
        const fc = await firstChunk(s, st);
        firstChunks.push({ scenario: s.name, delayMs: delay, ...fc });
        // the floor's own first token, against the bare proxy in blocks of its own right after
        const ff = st.floor ? await firstChunk(s, { ...st, gateway: st.floor }) : undefined;
        if (ff) firstChunks.push({ scenario: `${s.name} (floor)`, delayMs: delay, ...ff });
        const floorFirst = ff ? `; floor.ts beside it +${ff.deltaUs.toFixed(0)}us` : "";
        summary.push(`${s.name} delay=${delay}ms first token: +${fc.deltaUs.toFixed(0)}us over the bare proxy (p50 ${fmtUs(fc.p50Us[1])} vs ${fmtUs(fc.p50Us[0])}) (target <= +50us) ${fc.deltaUs <= 50 ? "MET" : "MISSED"}${floorFirst}`);
      } finally {
        await st.close();
      }
    }
  }
  // 3. access policies (API key, per-key request limit, token limit; in process and on Redis) against the same gateway without them
  if (wanted({ name: "openai-json-access" } as Scenario) || ONLY?.some((o) => o.startsWith("openai-json-access"))) {
    for (const r of await benchAccess({ durationSec: DURATION, rounds: ROUNDS, bin: BIN })) summary.push(accessSummary(r));
  }

  // 4. feature scenarios: the gateway with the feature against the same gateway without it
  for (const s of featureScenarios.filter(wanted)) {
    for (const delay of s.stream ? [1, 0] : [0]) {
      const st = await stack(s, delay);
      try {
        const { bare: base, gateway: gw, ratio } = await compare(s, st, 50, delay);
        summary.push(`${s.name} delay=${delay}ms c=50: with/without the feature ${ratio.toFixed(2)}x (target >= 0.9x) ${ratio >= 0.9 ? "MET" : "MISSED"}; cpu/request ${gw.cpuUsPerRequest.toFixed(0)}us vs ${base.cpuUsPerRequest.toFixed(0)}us`);
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
const stamp = `${FLOOR ? "floor-" : ""}${new Date().toISOString().replace(/[:.]/g, "-")}`;
const dir = join(ROOT, "bench/results");
mkdirSync(dir, { recursive: true });
const machine = { cpus: navigator.hardwareConcurrency, bun: Bun.version, platform: process.platform };
writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify({ date: new Date().toISOString(), machine, durationSec: DURATION, rows, firstChunks, summary, gatewayRssMb: gatewayRss, gatewayPeakRssMb: gatewayPeakRss }, null, 2)}\n`);
const table = [
  "| scenario | delay | conns | target | req/s | p50 | p99 | CPU/request | vs bare proxy (or baseline) |",
  "|---|---|---|---|---|---|---|---|---|",
  ...rows.map((r) => {
    const bare = rows.find((b) => b.scenario === r.scenario && b.delayMs === r.delayMs && b.connections === r.connections && (b.target === "bare-proxy" || b.target === "baseline"));
    const ratio = bare && r.target !== bare.target ? `${(r.result.rps / bare.result.rps).toFixed(2)}x` : "";
    // (the summary's ratios are medians of per-round ratios; this column divides the median rates)
    return `| ${r.scenario} | ${r.delayMs}ms | ${r.connections} | ${r.target} | ${r.result.rps.toFixed(0)} | ${fmtUs(r.result.p50Us)} | ${fmtUs(r.result.p99Us)} | ${r.cpuUsPerRequest.toFixed(0)}us | ${ratio} |`;
  }),
];
const md = `# Bench ${new Date().toISOString()}\n\n${machine.cpus} cores, bun ${machine.bun}, ${ROUNDS} alternating rounds of ${DURATION}s per comparison, streams of ${CHUNKS} chunks, load driver ${rows[0]?.result.tool ?? "-"}\n\n${table.join("\n")}\n\n${summary.map((s) => `- ${s}`).join("\n")}\n`;
writeFileSync(join(dir, `${stamp}.md`), md);
// a partial run (the floor, first tokens alone) does not replace the last full table
// latest.md is the whole bench: a run of some scenarios (--only, --skip-core) keeps only its own files
const WHOLE = !FLOOR && !FIRST_TOKEN_ONLY && !ONLY && !process.argv.includes("--skip-core");
if (WHOLE) writeFileSync(join(dir, "latest.md"), md);
else if (FLOOR) writeFileSync(join(dir, "floor-latest.md"), md);
console.log(`\nresults: bench/results/${stamp}.json, bench/results/${stamp}.md`);
