/**
 * What one request allocates in the gateway's JavaScript heap, by object type, next to the bare
 * proxy: functions (closures), closure scopes, async function frames, promises, objects, strings.
 * The garbage collector is turned off in the measured process (JSC's `useGC=false`), so every
 * object a request makes is still counted after it: the heap's counts before and after N requests,
 * divided by N. Unlike a throughput bench it is exact and repeatable, so it shows what a change to
 * the hot path saves even when the saving is within the noise of req/s.
 *
 *   bun bench/allocations.ts [--scenario openai-json,openai-json-access-local,...] [--requests 3000] [--chunks 20]
 *
 * Two runs with different `--chunks` separate what a stream makes per chunk from what it makes once;
 * `--traced` traces every request (exported over OTLP/HTTP to bench/otlp-sink.ts); `--metrics` and
 * `--admin` turn the Prometheus metrics and the admin page on (both are on by default).
 */
import { writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, waitForPort } from "./ports.ts";
import { openaiJsonAccess } from "./scenarios/access.ts";
import { loadScenario } from "./scenarios/index.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : process.argv[i + 1]!;
};
const SCENARIOS = arg("--scenario", "openai-json,openai-stream,anthropic-client-on-openai").split(",");
const REQUESTS = Number(arg("--requests", "3000"));
const CHUNKS = arg("--chunks", "20");
/** `--delay-ms N`: the upstream's chunks N ms apart (each its own network read, as a model's tokens come) */
const DELAY_MS = arg("--delay-ms", "0");
const TRACED = process.argv.includes("--traced");
/** `--metrics`, `--admin`: the Prometheus metrics and the admin page on (their addresses), as they are by default */
const METRICS = process.argv.includes("--metrics");
const ADMIN = process.argv.includes("--admin");
const dir = mkdtempSync(join(tmpdir(), "agw-alloc-"));

type Counts = Record<string, number>;

/** One measured process: its heap counts on demand. */
function measured(cmd: string[]) {
  const proc = Bun.spawn([process.execPath, "--preload", join(ROOT, "bench/heap-stats-hook.ts"), ...cmd], {
    cwd: ROOT,
    env: { ...process.env, BUN_JSC_useGC: "false", STATS_ADDR: METRICS ? `127.0.0.1:${freePort()}` : "off", ADMIN_ADDR: ADMIN ? `127.0.0.1:${freePort()}` : "off", READINESS_ADDR: "off" },
    stdout: "ignore",
    stderr: "pipe",
  });
  let err = "";
  void (async () => {
    for await (const chunk of proc.stderr) err += new TextDecoder().decode(chunk);
  })();
  return {
    proc,
    async counts(): Promise<Counts> {
      const from = err.length;
      proc.kill("SIGUSR2");
      for (let i = 0; i < 200; i++) {
        const line = err.slice(from).split("\n").find((l) => l.startsWith("HEAP_STATS "));
        if (line && err.slice(from).includes("\n")) return (JSON.parse(line.slice(11)) as { types: Counts }).types;
        await Bun.sleep(10);
      }
      throw new Error(`no heap stats from ${cmd.join(" ")}`);
    },
  };
}

/** `n` requests, 10 at a time, each read to its end. */
async function load(url: string, req: { body: string; headers?: Record<string, string> }, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next++ < n) {
        const res = await fetch(url, { method: "POST", body: req.body, headers: req.headers });
        if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      }
    }),
  );
}

/** Objects made per request, by type (the types that make at least one object in ten requests). */
async function perRequest(cmd: string[], port: number, req: { path: string; body: string; headers?: Record<string, string> }): Promise<Counts> {
  const m = measured(cmd);
  try {
    await waitForPort(port, m.proc);
    const url = `http://127.0.0.1:${port}${req.path}`;
    await load(url, req, 500); // code compiled, pools and caches filled
    const before = await m.counts();
    await load(url, req, REQUESTS);
    const after = await m.counts();
    const out: Counts = {};
    for (const [type, n] of Object.entries(after)) {
      const per = (n - (before[type] ?? 0)) / REQUESTS;
      if (per >= 0.1) out[type] = per;
    }
    return out;
  } finally {
    m.proc.kill();
  }
}

/** The config that traces every request to a sink started here, with `--traced`. */
async function tracingPrelude(): Promise<string> {
  if (!TRACED) return "";
  const port = freePort();
  const sink = Bun.spawn([process.execPath, join(ROOT, "bench/otlp-sink.ts"), "--port", String(port)], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  process.on("exit", () => sink.kill());
  await waitForPort(port, sink);
  return `config:\n  tracing: {otlpEndpoint: "http://127.0.0.1:${port}", otlpProtocol: http, randomSampling: 1}\n`;
}

const WATCHED = ["Function", "JSLexicalEnvironment", "AsyncFunctionGenerator", "Promise", "Object", "Array", "string", "Headers"];
const lines: string[] = [`# Allocations per request (${new Date().toISOString()}, ${REQUESTS} requests, streams of ${CHUNKS} chunks${DELAY_MS === "0" ? "" : ` ${DELAY_MS} ms apart`}${TRACED ? ", every request traced" : ""}${METRICS ? ", metrics on" : ""}${ADMIN ? ", admin page on" : ""}, GC off)`, ""];
for (const name of SCENARIOS) {
  // (the access policies' scenario with in-process buckets; the Redis one needs a redis-server: bench/access.ts)
  const s = name === "openai-json-access-local" ? openaiJsonAccess(undefined) : await loadScenario(name);
  const upPort = freePort();
  const upstream = Bun.spawn([process.execPath, join(ROOT, "bench/serve-upstream.ts"), "--scenario", s.name === "openai-json-access-local" ? "openai-json" : s.name, "--port", String(upPort), "--chunks", CHUNKS, "--delay-ms", DELAY_MS], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  try {
    await waitForPort(upPort, upstream);
    const origin = `http://127.0.0.1:${upPort}`;
    const gwPort = freePort();
    const cfg = join(dir, `${s.name}.yaml`);
    writeFileSync(cfg, (await tracingPrelude()) + s.config(origin, gwPort));
    const gateway = await perRequest([join(ROOT, "src/main.ts"), cfg], gwPort, s.gatewayRequest);
    const barePort = freePort();
    const bare = await perRequest([join(ROOT, "bench/bare-proxy.ts"), "--port", String(barePort), "--upstream", origin], barePort, s.nativeRequest);
    lines.push(`## ${s.name}`, "", "| objects a request | gateway | bare proxy |", "|---|---|---|");
    const types = [...WATCHED, ...Object.keys(gateway).filter((t) => !WATCHED.includes(t)).sort((a, b) => gateway[b]! - gateway[a]!)];
    for (const t of types) if ((gateway[t] ?? 0) > 0 || (bare[t] ?? 0) > 0) lines.push(`| ${t} | ${(gateway[t] ?? 0).toFixed(1)} | ${(bare[t] ?? 0).toFixed(1)} |`);
    lines.push("");
  } finally {
    upstream.kill();
  }
}
console.log(lines.join("\n"));
