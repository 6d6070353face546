/**
 * A log reader that stops reading must not grow the gateway's memory without bound (Bun queues
 * what a pipe does not take). The gateway's stdout is a pipe to a shell that does not read it
 * (a Bun parent would read eagerly, whatever its JavaScript does) while 3000 requests
 * with 4 KB access lines pass (12 MB of log, beyond the sink's 8 MB backlog); then the reader
 * comes back: a warning says how many lines were dropped, and the lines that arrived plus those
 * dropped are exactly the requests made.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { freePort, gatewayCommand } from "../helpers/process.ts";

let upstream: OpenAIEmulator;
beforeAll(() => {
  upstream = startOpenAIEmulator();
});
afterAll(async () => {
  await upstream.stop();
});

const REQUESTS = 3000;
const PAD = "p".repeat(4096);

async function until(ok: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await ok().catch(() => false)) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out: ${what}`);
}

test("stdout not read: lines beyond the backlog are dropped and counted, then reported once the reader is back", async () => {
  const port = freePort();
  const dir = mkdtempSync(join(tmpdir(), "agw-logs-"));
  writeFileSync(
    join(dir, "config.yaml"),
    `frontendPolicies:\n  accessLog:\n    add: {pad: 'request.headers["x-pad"]'}\nbinds:\n- port: ${port}\n  listeners:\n  - routes:\n    - backends: [{ai: {name: openai, hostOverride: "${upstream.host}", provider: {openAI: {model: gpt-4o-mini}}}}]\n`,
  );
  const go = join(dir, "go");
  const pidFile = join(dir, "pid");
  // the gateway's stdout goes to a reader that waits for the file `go` before it reads (then passes it on)
  const gw = Bun.spawn(["sh", "-c", '{ "$0" "$@" & echo $! > "$PID_FILE"; wait; } | { while [ ! -f "$GO" ]; do sleep 0.05; done; cat; }', ...gatewayCommand(), join(dir, "config.yaml")], {
    cwd: dir,
    env: { ...process.env, READINESS_ADDR: "off", ADMIN_ADDR: "off", STATS_ADDR: "off", LOG_FORMAT: "json", GO: go, PID_FILE: pidFile },
    stdout: "pipe",
    stderr: "inherit",
  });
  const gatewayPid = async () => Number((await Bun.file(pidFile).text()).trim());
  try {
    const url = `http://127.0.0.1:${port}/v1/chat/completions`;
    const chat = () => fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-pad": PAD }, body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' });
    await until(async () => (await chat()).ok, "the gateway answers");
    let sent = 1;
    const worker = async () => {
      while (sent < REQUESTS) {
        sent++;
        expect((await chat()).status).toBe(200);
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    await Bun.sleep(100);

    // the reader comes back; the next line carries the warning
    let out = "";
    const decoder = new TextDecoder();
    void (async () => {
      for await (const chunk of gw.stdout) out += decoder.decode(chunk, { stream: true });
    })();
    writeFileSync(go, "");
    await Bun.sleep(200);
    expect((await chat()).status).toBe(200);
    const lines = () => out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, any>);
    await until(async () => lines().some((l) => String(l.message).startsWith("log lines dropped")), "the dropped-lines warning");
    await until(async () => lines().filter((l) => l.target === "request").length + (lines().find((l) => String(l.message).startsWith("log lines dropped"))?.lines ?? 0) >= REQUESTS + 1, "every request accounted for");
    const warning = lines().find((l) => String(l.message).startsWith("log lines dropped"))!;
    const accessLines = lines().filter((l) => l.target === "request");
    expect(warning.level).toBe("warn");
    expect(warning.lines).toBeGreaterThan(500);
    expect(accessLines.length + warning.lines).toBe(REQUESTS + 1);
    expect(accessLines.every((l) => l.pad === PAD)).toBe(true);
    expect(gw.exitCode).toBeNull();
  } finally {
    writeFileSync(go, "");
    process.kill(await gatewayPid(), "SIGTERM");
    await gw.exited;
  }
}, 60_000);
