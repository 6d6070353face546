/**
 * `bun bench/access.ts [--duration 4] [--rounds 3]` (also section 3 of `bun run bench`; alone it
 * prints each round, the figures are that noisy on a shared 2-core machine): the
 * openai-json scenario through the same gateway without policies and with API-key auth, a
 * per-key request limit and a token limit, in process and on Redis (a redis-server started
 * here). Each pair runs in alternating rounds; reported: req/s ratio (target >= 0.9x) and CPU per
 * request of each gateway process.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import { runLoad } from "./load.ts";
import { openaiJson } from "./scenarios/openai.ts";
import { openaiJsonAccess } from "./scenarios/access.ts";
import type { Scenario } from "./scenario.ts";
import { freePort, waitForPort } from "./ports.ts";
import { cpuUs } from "./cpu.ts";

const ROOT = resolve(import.meta.dir, "..");


export interface AccessResult {
  name: string;
  ratio: number;
  plainRps: number;
  policyRps: number;
  plainCpuUs: number;
  policyCpuUs: number;
}

export async function benchAccess(opts: { durationSec: number; rounds: number; bin?: string | undefined; connections?: number; perRound?: boolean }): Promise<AccessResult[]> {
  const procs: Subprocess[] = [];
  const spawn = (cmd: string[], env: Record<string, string> = {}) => {
    const p = Bun.spawn(cmd, { cwd: ROOT, env: { ...process.env, READINESS_ADDR: "off", STATS_ADDR: "off", ADMIN_ADDR: "off", ...env }, stdout: "ignore", stderr: "inherit" });
    procs.push(p);
    return p;
  };
  const gatewayFor = async (s: Scenario, origin: string) => {
    const port = freePort();
    const cfg = join(mkdtempSync(join(tmpdir(), "agw-bench-")), "config.yaml");
    writeFileSync(cfg, s.config(origin, port));
    const p = spawn([...(opts.bin ? [resolve(ROOT, opts.bin)] : [process.execPath, "src/main.ts"]), cfg]);
    await waitForPort(port);
    return { url: `http://127.0.0.1:${port}`, pid: p.pid };
  };
  const out: AccessResult[] = [];
  try {
    const up = freePort();
    spawn([process.execPath, "bench/serve-upstream.ts", "--scenario", "openai-json", "--port", String(up)]);
    const redisPort = freePort();
    spawn(["redis-server", "--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", mkdtempSync(join(tmpdir(), "agw-bench-redis-"))]);
    await Promise.all([waitForPort(up), waitForPort(redisPort)]);
    const origin = `http://127.0.0.1:${up}`;
    const plain = await gatewayFor(openaiJson, origin);
    for (const s of [openaiJsonAccess(undefined), openaiJsonAccess(`redis://127.0.0.1:${redisPort}`)]) {
      const policy = await gatewayFor(s, origin);
      const run = async (target: { url: string; pid: number }, sc: Scenario, sec: number) => {
        const c0 = cpuUs(target.pid);
        const r = await runLoad({ url: target.url + sc.gatewayRequest.path, body: sc.gatewayRequest.body, headers: sc.gatewayRequest.headers ?? {}, connections: opts.connections ?? 50, durationSec: sec });
        if (r.errors > 0) throw new Error(`${sc.name}: ${r.errors} errors`);
        return { rps: r.rps, requests: r.requests, cpu: cpuUs(target.pid) - c0 };
      };
      await run(plain, openaiJson, 1);
      await run(policy, s, 1);
      const ratios: number[] = [];
      const tot = { plain: { rps: 0, req: 0, cpu: 0 }, policy: { rps: 0, req: 0, cpu: 0 } };
      for (let i = 0; i < opts.rounds; i++) {
        const order = i % 2 === 0 ? (["plain", "policy"] as const) : (["policy", "plain"] as const);
        const got: Record<string, { rps: number; requests: number; cpu: number }> = {};
        for (const which of order) got[which] = await run(which === "plain" ? plain : policy, which === "plain" ? openaiJson : s, opts.durationSec);
        for (const which of ["plain", "policy"] as const) {
          tot[which].rps += got[which]!.rps / opts.rounds;
          tot[which].req += got[which]!.requests;
          tot[which].cpu += got[which]!.cpu;
        }
        ratios.push(got.policy!.rps / got.plain!.rps);
        if (opts.perRound) console.log(`  ${s.name} round ${i + 1}: ${(got.policy!.rps / got.plain!.rps).toFixed(2)}x, cpu/request ${Math.round(got.policy!.cpu / got.policy!.requests)}us vs ${Math.round(got.plain!.cpu / got.plain!.requests)}us`);
      }
      ratios.sort((a, b) => a - b);
      out.push({
        name: s.name,
        ratio: ratios[Math.floor(ratios.length / 2)]!,
        plainRps: tot.plain.rps,
        policyRps: tot.policy.rps,
        plainCpuUs: tot.plain.cpu / Math.max(1, tot.plain.req),
        policyCpuUs: tot.policy.cpu / Math.max(1, tot.policy.req),
      });
    }
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await Promise.all(procs.map((p) => p.exited));
  }
  return out;
}

export function accessSummary(r: AccessResult): string {
  return `${r.name} c=50: with policies/without ${r.ratio.toFixed(2)}x (target >= 0.9x) ${r.ratio >= 0.9 ? "MET" : "MISSED"}; ${r.policyRps.toFixed(0)} vs ${r.plainRps.toFixed(0)} req/s; cpu/request ${r.policyCpuUs.toFixed(0)}us vs ${r.plainCpuUs.toFixed(0)}us`;
}

if (import.meta.main) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(n);
    return i === -1 ? undefined : process.argv[i + 1];
  };
  const results = await benchAccess({ durationSec: Number(arg("--duration") ?? 4), rounds: Number(arg("--rounds") ?? 3), bin: arg("--bin"), perRound: true });
  for (const r of results) console.log(accessSummary(r));
}
