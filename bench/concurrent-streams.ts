/**
 * Many slow streams at once: N clients each hold an OpenAI stream open (60 chunks 100 ms apart,
 * as a model's tokens come), through the gateway to an emulated provider. Reports the gateway's
 * RSS before and during (so the memory a concurrent stream costs), the connections open at the
 * provider midway through the streams (Bun's fetch alone would stop at 256: docs/operations.md,
 * "Concurrent upstream requests"), and how many streams ended complete.
 *
 *   bun bench/concurrent-streams.ts [--bin dist/agentgateway] [--streams 250,1000,2000]
 *
 * The clients run in a child process started with BUN_CONFIG_MAX_HTTP_REQUESTS set (this
 * process's own fetch has the cap). Writes bench/results/concurrency-<time>.md.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { rssMb } from "./cpu.ts";
import { freePort, waitForPort } from "./ports.ts";
import { openaiStream } from "./scenarios/index.ts";
import { UPSTREAM_REQUESTS_MAX, UPSTREAM_REQUESTS_VAR } from "../src/server/upstream-request-limit.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : process.argv[i + 1]!;
};
const CHUNKS = 60;
const DELAY_MS = 100;
/** the environment of the clients and the provider: without the cap (this process's own fetch has it) */
const UNCAPPED = { ...process.env, [UPSTREAM_REQUESTS_VAR]: UPSTREAM_REQUESTS_MAX };

if (process.argv[2] === "--clients") await clients(process.argv[3]!, Number(process.argv[4]));
else await main();

/** The child: `n` streams at once, each read to its end; prints one JSON line. */
async function clients(url: string, n: number): Promise<void> {
  const req = openaiStream.gatewayRequest;
  let complete = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      const res = await fetch(url, { method: "POST", body: req.body, headers: req.headers });
      const text = await res.text();
      if (res.status === 200 && text.includes("[DONE]")) complete++;
    }),
  );
  console.log(JSON.stringify({ complete }));
}

async function main(): Promise<void> {
  const bin = arg("--bin", "dist/agentgateway");
  const levels = arg("--streams", "250,1000,2000").split(",").map(Number);
  const up = freePort();
  const upstream = Bun.spawn([process.execPath, join(ROOT, "bench/serve-upstream.ts"), "--scenario", "openai-stream", "--port", String(up), "--chunks", String(CHUNKS), "--delay-ms", String(DELAY_MS)], { cwd: ROOT, env: UNCAPPED, stdout: "ignore", stderr: "inherit" });
  const rows: string[] = [];
  try {
    await waitForPort(up, upstream);
    for (const n of levels) rows.push(await level(bin, up, n));
  } finally {
    upstream.kill();
  }
  const out = [`# Concurrent slow streams (${new Date().toISOString()}, ${bin}, ${CHUNKS} chunks ${DELAY_MS} ms apart)`, "", "| streams at once | RSS idle | RSS during | a stream | open at the provider midway | complete |", "|---|---|---|---|---|---|", ...rows, ""].join("\n");
  console.log(out);
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(join(ROOT, `bench/results/concurrency-${new Date().toISOString().replace(/[:.]/g, "-")}.md`), out);
}

/** One level: a fresh gateway, `n` streams, RSS sampled while all are open. */
async function level(bin: string, up: number, n: number): Promise<string> {
  const port = freePort();
  const cfg = join(mkdtempSync(join(tmpdir(), "agw-conc-")), "config.yaml");
  writeFileSync(cfg, openaiStream.config(`http://127.0.0.1:${up}`, port));
  // started as users start it: without the variable (the gateway lifts the cap itself)
  const gateway = Bun.spawn([resolve(ROOT, bin), cfg], { cwd: ROOT, env: { ...process.env, READINESS_ADDR: "off", ADMIN_ADDR: "off", STATS_ADDR: "off" }, stdout: "ignore", stderr: "inherit" });
  try {
    await waitForPort(port, gateway);
    await Bun.sleep(500);
    const idle = rssMb(gateway.pid);
    const child = Bun.spawn([process.execPath, import.meta.path, "--clients", `http://127.0.0.1:${port}/v1/chat/completions`, String(n)], { env: UNCAPPED, stdout: "pipe", stderr: "inherit" });
    // midway through the streams (each lasts CHUNKS x DELAY_MS): all are open
    await Bun.sleep((CHUNKS * DELAY_MS) / 2);
    const during = rssMb(gateway.pid);
    const open = openUpstreamConnections(up);
    const { complete } = JSON.parse(await new Response(child.stdout).text()) as { complete: number };
    return `| ${n} | ${idle} MB | ${during} MB | ${(((during - idle) * 1024) / n).toFixed(0)} KB | ${open} | ${complete} |`;
  } finally {
    gateway.kill();
    await gateway.exited;
  }
}

/** TCP connections established to the provider's port now (Linux: `ss`). */
function openUpstreamConnections(port: number): number | string {
  const ss = Bun.spawnSync(["ss", "-tnH", "state", "established", `( dport = :${port} )`]);
  return ss.success ? ss.stdout.toString().split("\n").filter(Boolean).length : "n/a";
}
