/**
 * `bun bench/ab.ts --a dist/before --b dist/agentgateway [--scenario openai-json] [--delay 0]
 *   [--rounds 10] [--duration 3] [--connections 50] [--b-env NAME=value] [--prelude FILE] [--b-prelude FILE] [--baseline] [--paired] [--first-token]`:
 * one change measured, two gateway binaries side by side on one scenario
 * (`openai-json-access-local` and the other access scenarios too), in alternating rounds against
 * the same upstream. Prints each round and the median b/a req/s ratio with CPU per request: a
 * change worth 2-3 % is below what two separate `bun run bench` runs can tell apart on a shared
 * 2-core machine, but shows here over 10 alternating rounds.
 *
 * `--paired` loads both at once instead, each with its own load generator: on a machine whose
 * neighbours slow it down by 30 % from one second to the next, both sides then run through the
 * same slowdown, and the ratio of their CPU per request is what stays steady (a round's req/s
 * ratio says less: the two compete for the same cores). `--prelude FILE` puts the file's YAML
 * before both sides' config (`config: {tracing: ...}`), `--b-prelude FILE` before the b side's
 * only (the same binary with a feature on). `--baseline` gives the a side the scenario's baseline
 * config (resilience: the same gateway with one provider and no guard). `--first-token` measures
 * the first token's latency on both sides instead (one client, `--rounds` alternating blocks;
 * with `--delay 1` the chunks come 1 ms apart, as a model's tokens do).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { runLoad } from "./load.ts";
import { loadScenario } from "./scenarios/index.ts";
import { openaiJsonAccess } from "./scenarios/access.ts";
import { freePort, waitForPort } from "./ports.ts";
import { cpuUs, rssMb } from "./cpu.ts";
import { firstTokenTarget, measureFirstChunk } from "./first-chunk.ts";
import { OPENAI_FIRST_TOKEN, type Scenario } from "./scenario.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (n: string, d: string) => {
  const i = process.argv.indexOf(n);
  return i === -1 ? d : process.argv[i + 1]!;
};


async function scenarioNamed(name: string): Promise<Scenario> {
  if (name === "openai-json-access-local") return openaiJsonAccess(undefined);
  return loadScenario(name);
}

const procs: Subprocess[] = [];
function spawn(cmd: string[], extra: Record<string, string> = {}): Subprocess {
  const env = { ...process.env, READINESS_ADDR: "off", STATS_ADDR: "off", ADMIN_ADDR: "off", ...extra };
  const p = Bun.spawn(cmd, { cwd: ROOT, env, stdout: "ignore", stderr: "inherit" });
  procs.push(p);
  return p;
}

/** `--b-env NAME=value`: the b side's process gets it too (a runtime option: `BUN_JSC_...`) */
function bEnv(): Record<string, string> {
  const i = process.argv.indexOf("--b-env");
  if (i === -1) return {};
  const [name, ...value] = process.argv[i + 1]!.split("=");
  return { [name!]: value.join("=") };
}

async function gateway(bin: string, s: Scenario, origin: string, env: Record<string, string> = {}, prelude = "", config = s.config): Promise<{ url: string; pid: number }> {
  const port = freePort();
  const cfg = join(mkdtempSync(join(tmpdir(), "agw-ab-")), "config.yaml");
  writeFileSync(cfg, prelude + config(origin, port));
  const p = spawn([resolve(ROOT, bin), cfg], env);
  await waitForPort(port);
  return { url: `http://127.0.0.1:${port}`, pid: p.pid };
}

const PAIRED = process.argv.includes("--paired");
const BASELINE = process.argv.includes("--baseline");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const s = await scenarioNamed(arg("--scenario", "openai-json"));
  const rounds = Number(arg("--rounds", "10"));
  const seconds = Number(arg("--duration", "3"));
  const connections = Number(arg("--connections", "50"));
  const up = freePort();
  spawn([process.execPath, "bench/serve-upstream.ts", "--scenario", s.name.replace(/-access-local$/, ""), "--port", String(up), "--delay-ms", arg("--delay", "0")]);
  await waitForPort(up);
  const origin = `http://127.0.0.1:${up}`;
  const prelude = (name: string) => {
    const file = arg(name, "");
    return file && readFileSync(file, "utf8");
  };
  const both = prelude("--prelude");
  if (BASELINE && !s.baseline) throw new Error(`${s.name} has no baseline config`);
  const sides = { a: await gateway(arg("--a", "dist/agentgateway"), s, origin, {}, both, BASELINE ? s.baseline : s.config), b: await gateway(arg("--b", "dist/agentgateway"), s, origin, bEnv(), both + prelude("--b-prelude")) };
  const load = async (side: "a" | "b", sec: number) => {
    const c0 = cpuUs(sides[side].pid);
    const r = await runLoad({ url: sides[side].url + s.gatewayRequest.path, body: s.gatewayRequest.body, headers: s.gatewayRequest.headers ?? {}, connections, durationSec: sec });
    if (r.errors > 0) throw new Error(`${side}: ${r.errors} errors`);
    return { rps: r.rps, cpu: (cpuUs(sides[side].pid) - c0) / Math.max(1, r.requests) };
  };
  if (process.argv.includes("--first-token")) return firstToken(s, sides, rounds);
  await load("a", 1);
  await load("b", 1);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  const cpu = { a: [] as number[], b: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    const got: Record<string, { rps: number; cpu: number }> = {};
    if (PAIRED) [got.a, got.b] = await Promise.all([load("a", seconds), load("b", seconds)]);
    else for (const side of i % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const)) got[side] = await load(side, seconds);
    ratios.push(got.b!.rps / got.a!.rps);
    cpu.a.push(got.a!.cpu);
    cpu.b.push(got.b!.cpu);
    cpuRatios.push(got.a!.cpu / got.b!.cpu);
    console.log(`round ${i + 1}: b/a ${(got.b!.rps / got.a!.rps).toFixed(3)}x  ${got.a!.rps.toFixed(0)} -> ${got.b!.rps.toFixed(0)} req/s  cpu/request ${got.a!.cpu.toFixed(1)} -> ${got.b!.cpu.toFixed(1)} us`);
  }
  console.log(`${s.name} c=${connections}${PAIRED ? ", paired" : ""}: median b/a ${median(ratios).toFixed(3)}x, cpu/request ${median(cpu.a).toFixed(1)} -> ${median(cpu.b).toFixed(1)} us (median a/b ${median(cpuRatios).toFixed(3)}x)`);
  console.log(`RSS after the load: a ${rssMb(sides.a.pid)} MB, b ${rssMb(sides.b.pid)} MB`);
}

/** `--first-token`: the first token's latency on each side, one client, `rounds` alternating blocks (first-chunk.ts). */
async function firstToken(s: Scenario, sides: Record<"a" | "b", { url: string }>, rounds: number): Promise<void> {
  const target = (side: "a" | "b") => firstTokenTarget(sides[side].url, s.gatewayRequest, s.gatewayFirstToken ?? OPENAI_FIRST_TOKEN);
  const r = await measureFirstChunk(target("a"), target("b"), { blocks: rounds });
  console.log(`${s.name} delay=${arg("--delay", "0")}ms first token: a ${r.p50Us[0].toFixed(0)} us, b ${r.p50Us[1].toFixed(0)} us (p50); b - a ${r.deltaUs.toFixed(0)} us (median over ${rounds} blocks)`);
}

try {
  await main();
} finally {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
}
