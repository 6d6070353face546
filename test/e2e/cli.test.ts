/**
 * The `agentgateway` command as users run it (the compiled binary when AGW_BIN is set):
 * arguments, --validate-only, the config watcher (reloads, bad reloads, binds opening and
 * closing, in-flight streams surviving), readiness, and draining on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { eventually } from "../helpers/gateway.ts";
import { freePort, runToExit, startGatewayProcess } from "../helpers/process.ts";

let emu: OpenAIEmulator;
beforeAll(() => {
  emu = startOpenAIEmulator({ chunks: 60, delayMs: 25 });
});
afterAll(() => emu.stop());

const bindYaml = (port: number, name = "emu") => `
- port: ${port}
  listeners:
  - routes:
    - backends: [{ai: {name: ${name}, hostOverride: "${emu.host}", provider: {openAI: {}}}}]`;

const chat = (port: number, stream = false) =>
  fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "m", messages: [{ role: "user", content: stream ? "Write a short story" : "hi" }], stream }),
  });

describe("arguments", () => {
  test("--version and -V", async () => {
    const v = await runToExit(["--version"]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).version).toBe(pkg.version);
    expect((await runToExit(["-V"])).stdout.trim()).toBe(`agentgateway ${pkg.version}`);
  });

  test("--help prints usage", async () => {
    const r = await runToExit(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("--validate-only");
  });

  test("no config and no ./config.yaml: usage, exit 2", async () => {
    const r = await runToExit([], { cwd: "/tmp" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no config given and no ./config.yaml here");
  });

  test("an unknown option: exit 2", async () => {
    const r = await runToExit(["--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option --frobnicate");
  });
});

describe("--validate-only", () => {
  test("a valid config: exit 0", async () => {
    const r = await runToExit(["--validate-only", "examples/openai-sdk-guide.yaml"], { env: { OPENAI_API_KEY: "k", ANTHROPIC_API_KEY: "k" } });
    expect(r.stdout).toContain("config is valid: 2 bind(s), 2 route(s)");
    expect(r.code).toBe(0);
  });

  test("an invalid config: every problem with file:line:col, exit 1, no secret", async () => {
    const dir = (await import("node:fs")).mkdtempSync("/tmp/agw-cli-");
    const file = join(dir, "bad.yaml");
    writeFileSync(file, `binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n        backendAuth: {key: $SECRET_KEY}\n        extProc: {host: x}\n      backends: [{ai: {name: x, provider: {openAi: {}}}}]\n`);
    const r = await runToExit(["--validate-only", "-f", file], { env: { SECRET_KEY: "sk-very-secret-999" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:7:18 at binds[0].listeners[0].routes[0].policies.extProc: 'extProc' is not supported yet by this gateway`);
    expect(r.stderr).toContain(`${file}:8:44 at binds[0].listeners[0].routes[0].backends[0].ai.provider.openAi: unknown field 'openAi'`);
    expect(r.stderr).toContain("expected exactly one of openAI, anthropic"); // the spellings it accepts
    expect(r.stderr).not.toContain("sk-very-secret-999");
  });

  test("a missing variable names it", async () => {
    const env = { ...process.env } as Record<string, string>;
    delete env.ANTHROPIC_API_KEY;
    env.OPENAI_API_KEY = "k";
    const proc = Bun.spawn([...(await import("../helpers/process.ts")).gatewayCommand(), "--validate-only", "examples/openai-sdk-guide.yaml"], { env, cwd: join(import.meta.dir, "../.."), stderr: "pipe" });
    const err = await new Response(proc.stderr).text();
    expect(await proc.exited).toBe(1);
    expect(err).toContain("environment variable 'ANTHROPIC_API_KEY' is not set");
    expect(err).toMatch(/openai-sdk-guide\.yaml:\d+:\d+/);
  });

  test("-c takes an inline config, and - reads stdin", async () => {
    const inline = await runToExit(["--validate-only", "-c", `{"binds": [{"port": 3000, "listeners": []}]}`]);
    expect(inline.code).toBe(0);
    const stdin = await runToExit(["--validate-only", "-f", "-"], { stdin: "binds: [{port: 3000, listeners: [], bogus: 1}]" });
    expect(stdin.code).toBe(1);
    expect(stdin.stderr).toContain("<stdin>:1:37 at binds[0].bogus: unknown field 'bogus'");
  });
});

describe("running", () => {
  test("start-up prints one line per bind; readiness answers; access logs are JSON with LOG_FORMAT=json", async () => {
    const [a, b, ready] = [freePort(), freePort(), freePort()];
    const gw = await startGatewayProcess(`binds:${bindYaml(a)}${bindYaml(b)}`, { binds: 2, env: { READINESS_ADDR: `127.0.0.1:${ready}` } });
    try {
      const listening = gw.logs().filter((l) => String(l.message).startsWith("listening on"));
      expect(listening.map((l) => l.bind).sort()).toEqual([a, b].sort());
      // the bind lines are written before the readiness server opens (the same start-up, a few
      // µs later): a scraper can see them first
      const r = await eventually(() => fetch(`http://127.0.0.1:${ready}/healthz/ready`).catch(() => undefined), 3000, "readiness never answered");
      expect([r.status, await r.text()]).toEqual([200, "ready\n"]);
      expect((await fetch(`http://127.0.0.1:${ready}/healthz/ready`, { method: "POST" })).status).toBe(405);
      expect((await fetch(`http://127.0.0.1:${ready}/other`)).status).toBe(404);
      expect((await chat(a)).status).toBe(200);
      const line = await gw.waitForLog((l) => l.target === "request");
      expect(line).toMatchObject({ "http.method": "POST", "http.status": 200, "gen_ai.provider.name": "openai", "gen_ai.request.model": "m", bind: a });
      expect(line["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
    } finally {
      await gw.stop();
    }
  });

  test("reload: a bind added opens its port, one removed closes it; in-flight streams finish on the old config", async () => {
    const [a, b] = [freePort(), freePort()];
    const gw = await startGatewayProcess(`binds:${bindYaml(a)}`);
    try {
      // a long stream in flight on bind a (its first bytes have arrived)
      const res = await chat(a, true);
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let text = decoder.decode((await reader.read()).value, { stream: true });
      expect(text).toStartWith("data: ");
      writeFileSync(gw.configPath, `binds:${bindYaml(b, "second")}`);
      await gw.waitForLog((l) => l.message === "config reloaded");
      // b opens (retried until it answers 200) and a closes for new connections (until a request fails)
      await eventually(async () => (await chat(b).catch(() => undefined))?.status === 200, 5000, "the added bind never answered");
      expect((await chat(b)).status).toBe(200);
      await eventually(() => chat(a).then(() => false, () => true), 5000, "the removed bind still accepts new requests");
      expect(await chat(a).then((r) => `answered ${r.status}`, (e: Error & { code?: string }) => e.code)).toBe("ECONNREFUSED");
      // the stream in flight on a finishes on the old config
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
      expect(text.trim().endsWith("data: [DONE]")).toBe(true);
      expect(text).not.toContain('"error"');
      expect(text.split("\n\n").filter((f) => f.startsWith('data: {"id"')).length).toBe(62); // role, 60 words, finish
    } finally {
      await gw.stop();
    }
  }, 20_000);

  test("a bad reload is reported and the old config keeps serving", async () => {
    const a = freePort();
    const gw = await startGatewayProcess(`binds:${bindYaml(a)}`);
    try {
      writeFileSync(gw.configPath, `binds:${bindYaml(a)}\n  typo: true\n`);
      const err = await gw.waitForLog((l) => l.level === "error");
      expect(String(err.message)).toContain("config reload failed; the previous config keeps serving");
      expect(String(err.message)).toContain("unknown field 'typo'");
      expect((await chat(a)).status).toBe(200);
    } finally {
      await gw.stop();
    }
    // the file watcher's reload can take seconds on a loaded CI box: waitForLog waits up to 10 s
  }, 20_000);

  test("SIGHUP re-reads the config file at once and the process keeps serving", async () => {
    const a = freePort();
    const gw = await startGatewayProcess(`binds:${bindYaml(a)}`);
    try {
      gw.proc.kill("SIGHUP");
      const line = await gw.waitForLog((l) => l.message === "config reloaded");
      expect(line.trigger).toBe("SIGHUP");
      expect((await chat(a)).status).toBe(200);
      expect(gw.proc.exitCode).toBeNull();
    } finally {
      await gw.stop();
    }
  }, 20_000);

  test("connectionMinTerminationDeadline: after SIGTERM readiness fails (500) while new requests are still served, then the process exits 0", async () => {
    const [a, ready] = [freePort(), freePort()];
    const gw = await startGatewayProcess(`config:\n  connectionMinTerminationDeadline: 2s\nbinds:${bindYaml(a)}`, { env: { READINESS_ADDR: `127.0.0.1:${ready}` } });
    const readiness = () => fetch(`http://127.0.0.1:${ready}/healthz/ready`).then((r) => r.status, () => 0);
    await eventually(async () => (await readiness()) === 200, 5000, "never ready");
    gw.proc.kill("SIGTERM");
    await eventually(async () => (await readiness()) === 500, 1500, "readiness did not turn 500");
    expect((await chat(a)).status).toBe(200); // a load balancer that has not noticed yet still gets answers
    expect(await gw.proc.exited).toBe(0);
    expect(await chat(a).then((r) => `answered ${r.status}`, (e: Error & { code?: string }) => e.code)).toBe("ECONNREFUSED");
  }, 20_000);

  test("a shutdown deadline from the environment that is not a duration fails the load by name", async () => {
    const r = await runToExit(["--validate-only", "-c", `binds:${bindYaml(freePort())}`], { env: { CONNECTION_TERMINATION_DEADLINE: "soon" } });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain('CONNECTION_TERMINATION_DEADLINE="soon" is not a duration');
  });

  test("SIGTERM drains an in-flight stream, then exits 0", async () => {
    const a = freePort();
    const gw = await startGatewayProcess(`binds:${bindYaml(a)}`);
    const res = await chat(a, true);
    const reader = res.body!.getReader();
    await reader.read();
    gw.proc.kill("SIGTERM");
    let text = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text.trim().endsWith("data: [DONE]")).toBe(true);
    expect(await gw.proc.exited).toBe(0);
    expect(gw.output()).toContain("SIGTERM: draining in-flight requests");
  }, 20_000);
});
