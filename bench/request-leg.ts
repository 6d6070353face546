/**
 * The request's leg of a first token: µs from the client sending a chat request to the upstream
 * starting to handle it, one request at a time, 20 ms apart (a model's requests reach an idle
 * process). Both clocks are absolute and on one machine (`performance.timeOrigin + now()`), so
 * the leg needs no marks inside the program measured: the gateway, or `bench/floor.ts` in a mode.
 *
 *   bun bench/request-leg.ts --bin dist/agentgateway [--scenario bedrock-stream] [--warm]
 *   bun bench/request-leg.ts --floor [--scenario bedrock-stream] [--warm]     # bench/floor.ts in the scenario's mode
 *
 * `--warm` sends 8000 requests under load first (20 at a time), as a gateway that has been
 * serving a while has seen: JavaScriptCore compiles a function with its optimising tiers only
 * after it has run hundreds to thousands of times, so a freshly started process runs its request
 * path interpreted or barely compiled for its first few hundred requests.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { FLOOR_MODES } from "./floor-modes.ts";
import { freePort, waitForPort } from "./ports.ts";
import { loadScenario } from "./scenarios/index.ts";

const ROOT = resolve(import.meta.dir, "..");
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : process.argv[i + 1]!;
};
const FLOOR = process.argv.includes("--floor");
const WARM = process.argv.includes("--warm");
const MEASURED = 200;

const scenario = await loadScenario(arg("--scenario", "bedrock-stream"));
const FLOOR_MODE = FLOOR_MODES[scenario.name];
if (FLOOR && FLOOR_MODE === undefined) throw new Error(`bench/floor.ts has no mode for ${scenario.name} (it has: ${Object.keys(FLOOR_MODES).join(", ")})`);
const nowUs = () => (performance.timeOrigin + performance.now()) * 1000;

// the upstream, in this process: its handler's first line is the leg's end
let arrived = 0;
const answer = scenario.upstream({ chunks: 20, delayMs: 0 });
const upstream = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  idleTimeout: 0,
  fetch(req) {
    arrived = nowUs();
    return answer(req);
  },
});
const origin = `http://127.0.0.1:${upstream.port}`;
const port = freePort();
const env = { ...process.env, STATS_ADDR: "off", ADMIN_ADDR: "off", READINESS_ADDR: "off" };
let cmd: string[];
if (FLOOR) cmd = [process.execPath, join(ROOT, "bench/floor.ts"), "--port", String(port), "--upstream", origin, ...FLOOR_MODE!];
else {
  const config = join(mkdtempSync(join(tmpdir(), "agw-leg-")), "config.yaml");
  writeFileSync(config, scenario.config(origin, port));
  cmd = [resolve(ROOT, arg("--bin", "dist/agentgateway")), config];
}
const proc = Bun.spawn(cmd, { cwd: ROOT, env, stdout: "ignore", stderr: "inherit" });
await waitForPort(port, proc);

const { path, body, headers } = scenario.gatewayRequest;
const send = async () => (await fetch(`http://127.0.0.1:${port}${path}`, { method: "POST", headers: headers ?? {}, body })).text();

if (WARM) await Promise.all(Array.from({ length: 20 }, async () => { for (let i = 0; i < 400; i++) await send(); }));
const legs: number[] = [];
for (let i = 0; i < MEASURED + 60; i++) {
  const sent = nowUs();
  await send();
  // the first 60 settle the connection pools
  if (i >= 60) legs.push(arrived - sent);
  await Bun.sleep(20);
}
proc.kill();
upstream.stop(true);
legs.sort((a, b) => a - b);
const at = (q: number) => legs[Math.floor(q * (legs.length - 1))]!.toFixed(0);
console.log(`${scenario.name}, ${FLOOR ? ["floor.ts", ...FLOOR_MODE!].join(" ") : "gateway"}${WARM ? ", warmed up" : ", fresh"}: request leg p25 ${at(0.25)} / median ${at(0.5)} / p75 ${at(0.75)} µs (${MEASURED} requests, 20 ms apart)`);
