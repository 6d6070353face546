/**
 * `bun bench/peers.ts [--bin dist/agentgateway] [--only openai-json,anthropic-stream] [--rounds 5]
 *   [--duration 3] [--delay 0]`: the gateway and a peer gateway side by side with the bare Bun
 * proxy, on the same upstream emulator under the same `wrk` load, in alternating rounds; each
 * figure is the median of the per-round ratios to the bare proxy, with CPU per request.
 *
 * The peer is Portkey's open-source gateway (`@portkey-ai/gateway`, the npm package its docs
 * start with `npx`), run under the same Bun, pinned in bench/peers/package.json and installed
 * there with npm on first use, so the product's own install stays without it. It is told the
 * provider and the emulator's address per request (`x-portkey-provider`,
 * `x-portkey-custom-host`), as its docs show for self-hosted upstreams. LiteLLM (Python, PyPI)
 * and agentgateway (a Rust binary from GitHub releases) are not installable from the registries
 * this bench may use (npm, Debian), so they are not measured here.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { runLoad } from "./load.ts";
import { loadScenario } from "./scenarios/index.ts";
import type { Scenario } from "./scenario.ts";
import { freePort, waitForPort } from "./ports.ts";
import { cpuUs } from "./cpu.ts";

const ROOT = resolve(import.meta.dir, "..");
const PEERS = join(ROOT, "bench/peers");
const PORTKEY = join(PEERS, "node_modules/@portkey-ai/gateway/build/start-server.js");
const arg = (n: string, d: string) => {
  const i = process.argv.indexOf(n);
  return i === -1 ? d : process.argv[i + 1]!;
};
const CONNECTIONS = Number(arg("--connections", "50"));

/** How Portkey is asked for each scenario's provider (its provider name and the emulator's base path). */
const PORTKEY_PROVIDER: Record<string, { provider: string; basePath: string }> = {
  "openai-json": { provider: "openai", basePath: "/v1" },
  "openai-stream": { provider: "openai", basePath: "/v1" },
  "anthropic-stream": { provider: "anthropic", basePath: "/v1" },
};

type Target = "bare" | "gateway" | "portkey";
interface Endpoint {
  url: string;
  pid: number;
  body: string;
  headers: Record<string, string>;
}

const procs: Subprocess[] = [];
function spawn(cmd: string[], cwd = ROOT): Subprocess {
  const env = { ...process.env, READINESS_ADDR: "off", STATS_ADDR: "off", ADMIN_ADDR: "off", NODE_ENV: "production" };
  const p = Bun.spawn(cmd, { cwd, env, stdout: "ignore", stderr: "ignore" });
  procs.push(p);
  return p;
}


async function ensurePortkey(): Promise<void> {
  if (existsSync(PORTKEY)) return;
  console.log("installing the peer gateways in bench/peers (npm ci)...");
  const p = Bun.spawn(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: PEERS, stdout: "inherit", stderr: "inherit" });
  if ((await p.exited) !== 0) throw new Error("npm ci in bench/peers failed");
}

async function endpoints(s: Scenario, origin: string): Promise<Record<Target, Endpoint>> {
  const bare = freePort();
  const bareP = spawn([process.execPath, "bench/bare-proxy.ts", "--port", String(bare), "--upstream", origin]);
  const gw = freePort();
  const cfg = join(mkdtempSync(join(tmpdir(), "agw-peers-")), "config.yaml");
  writeFileSync(cfg, s.config(origin, gw));
  const bin = arg("--bin", "");
  const gwP = spawn(bin ? [resolve(ROOT, bin), cfg] : [process.execPath, "src/main.ts", cfg]);
  const pk = freePort();
  const pkP = spawn([process.execPath, PORTKEY, `--port=${pk}`, "--headless"], PEERS);
  await Promise.all([waitForPort(bare), waitForPort(gw), waitForPort(pk, pkP)]);
  const peer = PORTKEY_PROVIDER[s.name]!;
  const g = s.gatewayRequest;
  const portkeyHeaders = { ...g.headers, "x-portkey-provider": peer.provider, "x-portkey-custom-host": origin + peer.basePath };
  return {
    bare: { url: `http://127.0.0.1:${bare}${s.nativeRequest.path}`, pid: bareP.pid, body: s.nativeRequest.body, headers: s.nativeRequest.headers ?? {} },
    gateway: { url: `http://127.0.0.1:${gw}${g.path}`, pid: gwP.pid, body: g.body, headers: g.headers ?? {} },
    portkey: { url: `http://127.0.0.1:${pk}${g.path}`, pid: pkP.pid, body: g.body, headers: portkeyHeaders },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function compare(name: string): Promise<string> {
  const s = await loadScenario(name);
  const up = freePort();
  spawn([process.execPath, "bench/serve-upstream.ts", "--scenario", s.name, "--port", String(up), "--delay-ms", arg("--delay", "0")]);
  await waitForPort(up);
  const ends = await endpoints(s, `http://127.0.0.1:${up}`);
  const load = async (t: Target, sec: number) => {
    const e = ends[t];
    const c0 = cpuUs(e.pid);
    const r = await runLoad({ url: e.url, body: e.body, headers: e.headers, connections: CONNECTIONS, durationSec: sec });
    if (r.errors > 0) throw new Error(`${name} via ${t}: ${r.errors} errors of ${r.requests}`);
    return { rps: r.rps, cpu: (cpuUs(e.pid) - c0) / Math.max(1, r.requests) };
  };
  for (const t of ["bare", "gateway", "portkey"] as const) await load(t, 1);
  const ratio = { gateway: [] as number[], portkey: [] as number[] };
  const cpu = { bare: [] as number[], gateway: [] as number[], portkey: [] as number[] };
  const rounds = Number(arg("--rounds", "5"));
  const orders: Target[][] = [["bare", "gateway", "portkey"], ["portkey", "gateway", "bare"], ["gateway", "bare", "portkey"]];
  for (let i = 0; i < rounds; i++) {
    const got = {} as Record<Target, { rps: number; cpu: number }>;
    for (const t of orders[i % orders.length]!) got[t] = await load(t, Number(arg("--duration", "3")));
    for (const t of ["gateway", "portkey"] as const) ratio[t].push(got[t].rps / got.bare.rps);
    for (const t of ["bare", "gateway", "portkey"] as const) cpu[t].push(got[t].cpu);
  }
  const us = (t: Target) => `${median(cpu[t]).toFixed(0)} µs`;
  return `| ${name} | ${arg("--delay", "0")} ms | ${median(ratio.gateway).toFixed(2)}x (${us("gateway")}) | ${median(ratio.portkey).toFixed(2)}x (${us("portkey")}) | ${us("bare")} |`;
}

const rows: string[] = [];
try {
  await ensurePortkey();
  for (const name of arg("--only", "openai-json,openai-stream,anthropic-stream").split(",")) {
    rows.push(await compare(name));
    for (const p of procs.splice(0)) p.kill("SIGKILL");
  }
} finally {
  for (const p of procs) p.kill("SIGKILL");
}
const report = [
  `# Peers ${new Date().toISOString()}`,
  "",
  `2 cores, bun ${Bun.version}, ${arg("--rounds", "5")} alternating rounds of ${arg("--duration", "3")} s, ${CONNECTIONS} connections; each gateway against the bare Bun proxy (median of per-round ratios), CPU per request in brackets`,
  "",
  "| scenario | chunk delay | this gateway | Portkey gateway 1.15.2 on Bun | bare proxy CPU |",
  "|---|---|---|---|---|",
  ...rows,
  "",
].join("\n");
console.log(report);
writeFileSync(join(ROOT, "bench/results", `peers-${new Date().toISOString().replace(/[:.]/g, "-")}.md`), report);
