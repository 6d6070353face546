/**
 * `bun run bench:ops`: what operating the gateway costs. The same gateway twice, each in its own
 * process on the same upstream: once with metrics, traces and the admin page off, once with all
 * on (Prometheus registry, every request traced (randomSampling: true) and exported over
 * OTLP/HTTP to a local sink, the admin page's recent-requests buffer). Alternating rounds; the
 * ratio is the median of the rounds' on/off ratios (target >= 0.95x).
 *
 *   bun bench/operations.ts [--duration 4] [--rounds 3] [--bin dist/agentgateway] [--on metrics,traces,admin] [--only openai-json]
 *
 * `--on` picks what the "on" gateway runs (default: all three), to see what each costs;
 * `--sampling` is the traces' randomSampling (default 1: every request traced; 0 is
 * agentgateway's default, where only requests that arrive with a sampled traceparent are).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { runLoad, type LoadResult } from "./load.ts";
import type { Scenario } from "./scenario.ts";
import { openaiJson, openaiStream } from "./scenarios/openai.ts";
import { freePort } from "./ports.ts";
import { cpuUs } from "./cpu.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
};
const DURATION = Number(arg("--duration") ?? 4);
const ROUNDS = Number(arg("--rounds") ?? 3);
const BIN = arg("--bin");
const ON = new Set((arg("--on") ?? "metrics,traces,admin").split(","));
const ONLY = arg("--only")?.split(",");
const SAMPLING = Number(arg("--sampling") ?? 1);
const procs: Subprocess[] = [];

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      await fetch(url);
      return;
    } catch {
      await Bun.sleep(25);
    }
  }
  throw new Error(`nothing answers at ${url}`);
}

function spawn(cmd: string[], env: Record<string, string> = {}): Subprocess {
  const p = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, ...env }, stdout: "ignore", stderr: "inherit" });
  procs.push(p);
  return p;
}


interface Variant {
  name: "off" | "on";
  url: string;
  pid: number;
  statsPort?: number;
}

async function gateway(s: Scenario, upstream: string, on: boolean, sink: string): Promise<Variant> {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "agw-ops-bench-"));
  const cfg = join(dir, "config.yaml");
  const prelude = on && ON.has("traces") ? `config:\n  tracing: {otlpEndpoint: "${sink}", otlpProtocol: http, randomSampling: ${SAMPLING}}\n` : "";
  writeFileSync(cfg, prelude + s.config(upstream, port));
  const statsPort = freePort();
  const env = {
    STATS_ADDR: on && ON.has("metrics") ? `127.0.0.1:${statsPort}` : "off",
    ADMIN_ADDR: on && ON.has("admin") ? `127.0.0.1:${freePort()}` : "off",
  };
  const p = spawn([...(BIN ? [resolve(ROOT, BIN)] : [process.execPath, "src/main.ts"]), cfg], { READINESS_ADDR: "off", ...env });
  await waitFor(`http://127.0.0.1:${port}/`);
  return { name: on ? "on" : "off", url: `http://127.0.0.1:${port}`, pid: p.pid, ...(on && ON.has("metrics") ? { statsPort } : {}) };
}

async function once(s: Scenario, v: Variant, connections: number, sec: number): Promise<{ result: LoadResult; cpu: number }> {
  const c0 = cpuUs(v.pid);
  const result = await runLoad({ url: v.url + s.gatewayRequest.path, body: s.gatewayRequest.body, headers: s.gatewayRequest.headers ?? {}, connections, durationSec: sec });
  return { result, cpu: (cpuUs(v.pid) - c0) / Math.max(1, result.requests) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const lines: string[] = [];

try {
  const sinkPort = freePort();
  spawn([process.execPath, "bench/otlp-sink.ts", "--port", String(sinkPort)]);
  const sink = `http://127.0.0.1:${sinkPort}`;
  await waitFor(`${sink}/count`);
  for (const [s, delay] of [[openaiJson, 0], [openaiStream, 0], [openaiStream, 1]] as const) {
    if (ONLY && !ONLY.includes(s.name)) continue;
    const upPort = freePort();
    const up = spawn([process.execPath, "bench/serve-upstream.ts", "--scenario", s.name, "--port", String(upPort), "--chunks", "20", "--delay-ms", String(delay)]);
    const upstream = `http://127.0.0.1:${upPort}`;
    await waitFor(upstream);
    const off = await gateway(s, upstream, false, sink);
    const on = await gateway(s, upstream, true, sink);
    const c = 50;
    for (const v of [off, on]) await once(s, v, c, 1); // warm-up
    const ratios: number[] = [];
    const runs: Record<"off" | "on", { result: LoadResult; cpu: number }[]> = { off: [], on: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of r % 2 === 0 ? [off, on] : [on, off]) runs[v.name].push(await once(s, v, c, DURATION));
      ratios.push(runs.on.at(-1)!.result.rps / runs.off.at(-1)!.result.rps);
    }
    const rps = (v: "off" | "on") => median(runs[v].map((x) => x.result.rps));
    const cpu = (v: "off" | "on") => median(runs[v].map((x) => x.cpu));
    const ratio = median(ratios);
    const metrics = on.statsPort ? await (await fetch(`http://127.0.0.1:${on.statsPort}/metrics`)).text() : "";
    const counted = on.statsPort ? [...metrics.matchAll(/^agentgateway_requests_total\{.*status="200".*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0) : "-";
    const line = `${s.name} delay=${delay}ms c=${c}: ${[...ON].join("+")}${ON.has("traces") ? ` (sampling ${SAMPLING})` : ""} on/off ${ratio.toFixed(3)}x (target >= 0.95x) ${ratio >= 0.95 ? "MET" : "MISSED"}; ${rps("on").toFixed(0)} vs ${rps("off").toFixed(0)} req/s; cpu/request ${cpu("on").toFixed(0)}us vs ${cpu("off").toFixed(0)}us; requests counted by the metrics: ${counted}`;
    console.log(line);
    lines.push(line);
    for (const p of procs.filter((x) => x.pid === off.pid || x.pid === on.pid || x.pid === up.pid)) p.kill("SIGKILL");
  }
  const sent = (await (await fetch(`${sink}/count`)).json()) as { exports: number; bytes: number };
  lines.push(`trace exports received by the sink: ${sent.exports} (${(sent.bytes / 1024 / 1024).toFixed(1)} MB)`);
  console.log(lines.at(-1));
} finally {
  for (const p of procs) if (p.exitCode === null) p.kill("SIGKILL");
}

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
const dir = join(ROOT, "bench/results");
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `ops-${stamp}.md`), `# Operations bench ${new Date().toISOString()}\n\n${navigator.hardwareConcurrency} cores, bun ${Bun.version}, ${ROUNDS} alternating rounds of ${DURATION}s, gateway: ${BIN ?? "bun src/main.ts"}\n\n${lines.map((l) => `- ${l}`).join("\n")}\n`);
console.log(`results: bench/results/ops-${stamp}.md`);
