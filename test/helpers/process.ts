/**
 * The gateway as a separate process: `bun src/main.ts`, or the compiled binary when AGW_BIN is
 * set (CI runs the e2e suite both ways). Output is captured; log lines are JSON (LOG_FORMAT=json).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");

export function gatewayCommand(): string[] {
  const bin = process.env.AGW_BIN;
  return bin ? [resolve(ROOT, bin)] : [process.execPath, join(ROOT, "src/main.ts")];
}

/** A free TCP port (bound and released: good enough on a test machine). */
/** Ports handed out in this test process: the OS may offer a port again once it is closed. */
const handedOut = new Set<number>();

/** A port free now and not handed out before in this process (two ports of one test never collide). */
export function freePort(): number {
  for (;;) {
    const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = s.port;
    s.stop(true);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

export interface GatewayProcess {
  proc: ReturnType<typeof runGateway>;
  dir: string;
  configPath: string;
  output(): string;
  /** parsed JSON log lines so far */
  logs(): Record<string, any>[];
  waitForLog(pred: (l: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

/** The gateway's environment: this process's, the test defaults, then `env` (an undefined value removes a variable). */
export type GatewayEnv = Record<string, string | undefined>;

export function runGateway(args: string[], opts: { env?: GatewayEnv; cwd?: string; stdin?: string } = {}) {
  const env: GatewayEnv = { ...process.env, READINESS_ADDR: "off", ADMIN_ADDR: "off", STATS_ADDR: "off", LOG_FORMAT: "json", ...opts.env };
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
  return Bun.spawn([...gatewayCommand(), ...args], {
    cwd: opts.cwd ?? ROOT,
    env,
    stdin: opts.stdin !== undefined ? new TextEncoder().encode(opts.stdin) : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

/** Runs to completion and returns exit code and output. */
export async function runToExit(args: string[], opts: { env?: GatewayEnv; cwd?: string; stdin?: string } = {}) {
  const proc = runGateway(args, opts);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Starts a long-running gateway on a config file and waits until every bind listens. */
export async function startGatewayProcess(config: string, opts: { env?: GatewayEnv; binds?: number } = {}): Promise<GatewayProcess> {
  const dir = mkdtempSync(join(tmpdir(), "agw-"));
  const configPath = join(dir, "config.yaml");
  writeFileSync(configPath, config);
  const proc = runGateway([configPath], { env: opts.env, cwd: dir });
  let out = "";
  const decoder = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) out += decoder.decode(chunk, { stream: true });
  };
  void pump(proc.stdout);
  void pump(proc.stderr);
  const logs = () =>
    out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, any>);
  const waitForLog = async (pred: (l: Record<string, any>) => boolean, timeoutMs = 10_000) => {
    const start = Date.now();
    for (;;) {
      const hit = logs().find(pred);
      if (hit) return hit;
      if (proc.exitCode !== null) throw new Error(`gateway exited (${proc.exitCode}):\n${out}`);
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for a log line:\n${out}`);
      await Bun.sleep(20);
    }
  };
  const gp: GatewayProcess = {
    proc,
    dir,
    configPath,
    output: () => out,
    logs,
    waitForLog,
    async stop(signal = "SIGTERM") {
      if (proc.exitCode === null) proc.kill(signal);
      return proc.exited;
    },
  };
  const expected = opts.binds ?? 1;
  const start = Date.now();
  while (logs().filter((l) => String(l.message ?? "").startsWith("listening on")).length < expected) {
    if (proc.exitCode !== null) throw new Error(`gateway exited (${proc.exitCode}):\n${out}`);
    if (Date.now() - start > 15_000) throw new Error(`gateway did not start:\n${out}`);
    await Bun.sleep(20);
  }
  return gp;
}
