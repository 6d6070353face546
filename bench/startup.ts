/**
 * Start-up time of a gateway binary (or `bun src/main.ts`): from spawn to `--version` printed,
 * and from spawn to the readiness endpoint answering 200 with a one-route config, median of N.
 *
 *   bun bench/startup.ts dist/release/agentgateway-linux-x64 [more binaries...] [--runs 15]
 */
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg === -1 ? 15 : Number(process.argv[runsArg + 1]);
const bins = process.argv.slice(2).filter((a, i, all) => a !== "--runs" && all[i - 1] !== "--runs");
const dir = mkdtempSync(join(tmpdir(), "agw-startup-"));
const cfg = join(dir, "config.yaml");
writeFileSync(cfg, "binds:\n- port: 0\n  listeners:\n  - routes:\n    - backends:\n      - ai: {name: o, hostOverride: '127.0.0.1:1', provider: {openAI: {}}}\n");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cmd = (bin: string) => (bin.endsWith(".ts") ? [process.execPath, bin] : [bin]);

async function versionMs(bin: string): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn([...cmd(bin), "--version"], { stdout: "ignore" });
  await p.exited;
  return performance.now() - t0;
}

async function readyMs(bin: string, port: number): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn([...cmd(bin), cfg], { env: { ...process.env, READINESS_ADDR: `127.0.0.1:${port}`, ADMIN_ADDR: "off", STATS_ADDR: "off" }, stdout: "ignore", stderr: "ignore" });
  try {
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz/ready`)).status === 200) return performance.now() - t0;
      } catch {}
      await Bun.sleep(2);
    }
  } finally {
    p.kill();
    await p.exited;
  }
}

for (const bin of bins) {
  const v: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    v.push(await versionMs(bin));
    r.push(await readyMs(bin, 19000 + (i % 50)));
  }
  const size = bin.endsWith(".ts") ? "" : `${(statSync(bin).size / 1024 / 1024).toFixed(1)} MB, `;
  console.log(`${bin}: ${size}--version ${median(v).toFixed(0)} ms, ready ${median(r).toFixed(0)} ms (median of ${RUNS})`);
}
