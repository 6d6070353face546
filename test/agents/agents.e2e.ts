/**
 * The real coding agents, headless and offline, against the gateway in front of provider
 * emulators: Claude Code (Anthropic Messages), Codex (OpenAI Responses) and Gemini CLI (Gemini
 * native), each on an OpenAI-compatible backend (chat completions only, as vLLM), Bedrock, Gemini
 * and Anthropic (passthroughs for Gemini CLI on Gemini and Claude Code on Anthropic), each asked for a plain answer
 * and for one turn where it runs its shell tool and continues with the result.
 *
 * Not part of `bun test`: the agents are ~1 GB of npm packages, installed into this folder by
 * .ci/agents.sh, which runs this file (`bun test ./test/agents/agents.e2e.ts`). A missing agent
 * fails its tests; nothing is skipped. AGENTS_NODE_MODULES points at another install.
 *
 * The emulators answer like the agents' own fakes in the research notes: a conversation that
 * already has a tool result gets "DONE. Tool said: <result>"; a prompt with USE_TOOL gets a call
 * of the agent's shell tool (a command whose output, `42x`, only running it produces: script.ts);
 * anything else gets "pong". Every agent runs
 * with a proxy that refuses and counts CONNECTs, so a request to the internet fails the test.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { startAnthropicEmulator, type AnthropicEmulator } from "../emulators/anthropic.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../emulators/bedrock.ts";
import { GEMINI_TEST_KEY, startGeminiEmulator, type GeminiEmulator } from "../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../helpers/gateway.ts";
import { PINNED as BEDROCK } from "../llm/providers/bedrock/scripts.ts";
import { anthropicAnswer, bedrockAnswer, geminiAnswer, openaiAnswer, TOOL_OUTPUT } from "./script.ts";

const MODULES = process.env.AGENTS_NODE_MODULES ?? join(import.meta.dir, "node_modules");
const TIMEOUT_MS = 180_000;

const BINARIES = {
  claude: [join(MODULES, "@anthropic-ai/claude-code-linux-x64/claude"), join(MODULES, ".bin/claude")],
  codex: [join(MODULES, ".bin/codex")],
  gemini: [join(MODULES, "@google/gemini-cli/bundle/gemini.js")],
};

function binary(agent: keyof typeof BINARIES): string {
  const found = BINARIES[agent].find((p) => existsSync(p));
  if (!found) throw new Error(`${agent} is not installed under ${MODULES}: run .ci/agents.sh (npm ci in test/agents)`);
  return found;
}

/** A proxy that refuses every CONNECT and counts them: the agents must never use it. */
function refusingProxy(): { url: string; readonly attempts: string[]; stop(): void } {
  const attempts: string[] = [];
  const server = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(socket, data) {
        attempts.push(new TextDecoder().decode(data).split("\r\n")[0]!);
        socket.end("HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n");
      },
    },
  });
  return { url: `http://127.0.0.1:${server.port}`, attempts, stop: () => server.stop(true) };
}

let proxy: ReturnType<typeof refusingProxy>;

async function run(cmd: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  const home = mkdtempSync(join(tmpdir(), "agw-agent-"));
  const work = join(home, "work");
  mkdirSync(work);
  const nodeDir = dirname(Bun.which("node") ?? "/usr/bin/node");
  const base = {
    PATH: `${nodeDir}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    TERM: "dumb",
    HTTPS_PROXY: proxy.url,
    HTTP_PROXY: proxy.url,
    NO_PROXY: "127.0.0.1,localhost",
  };
  const filled = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replaceAll("$HOME", home)]));
  setup(home, cmd[0]!);
  const proc = Bun.spawn(cmd, { cwd: work, env: { ...base, ...filled }, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), TIMEOUT_MS - 10_000);
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return { code, out, err };
}

/** Per-agent files in the fresh HOME. */
function setup(home: string, bin: string): void {
  if (bin.endsWith("node")) {
    mkdirSync(join(home, ".gemini"));
    writeFileSync(
      join(home, ".gemini/settings.json"),
      JSON.stringify({
        security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
        privacy: { usageStatisticsEnabled: false },
        telemetry: { enabled: false },
        general: { enableAutoUpdate: false, enableAutoUpdateNotification: false, maxAttempts: 1 },
      }),
    );
  }
  mkdirSync(join(home, "codex"), { recursive: true });
}

const claude = (gw: ProviderGateway, prompt: string) =>
  run([binary("claude"), "-p", prompt, "--allowedTools", "Bash", "--output-format", "json"], {
    ANTHROPIC_BASE_URL: gw.origin(),
    ANTHROPIC_API_KEY: "sk-ant-agent",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_ERROR_REPORTING: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
    IS_SANDBOX: "1",
  });

const codex = (gw: ProviderGateway, prompt: string) =>
  run(
    [
      "node",
      binary("codex"),
      "exec",
      "--skip-git-repo-check",
      "--ephemeral",
      "-c",
      "model_provider=gw",
      "-c",
      "model=gpt-5-codex-gw",
      "-c",
      `model_providers.gw={name="gateway",base_url="${gw.baseURL()}",wire_api="responses",env_key="GW_API_KEY",request_max_retries=0,stream_max_retries=0}`,
      "-c",
      "features.plugins=false",
      "-c",
      "analytics.enabled=false",
      "-c",
      "check_for_update_on_startup=false",
      "-c",
      'approval_policy="never"',
      "-s",
      "read-only",
      prompt,
    ],
    { CODEX_HOME: "$HOME/codex", GW_API_KEY: "sk-agent" },
  );

const gemini = (gw: ProviderGateway, prompt: string) =>
  run(["node", binary("gemini"), "-p", prompt, "-m", "gemini-2.5-flash", "--approval-mode", "yolo", "--output-format", "json"], {
    GEMINI_API_KEY: "agent-key",
    GOOGLE_GEMINI_BASE_URL: gw.origin(),
    GEMINI_CLI_NO_RELAUNCH: "true",
  });

const AGENTS = { "Claude Code": claude, Codex: codex, "Gemini CLI": gemini } as const;

let openai: OpenAIEmulator;
let bedrock: BedrockEmulator;
let google: GeminiEmulator;
let anthropic: AnthropicEmulator;
const gateways: Record<string, ProviderGateway> = {};

beforeAll(async () => {
  proxy = refusingProxy();
  openai = startOpenAIEmulator();
  openai.script(openaiAnswer);
  bedrock = startBedrockEmulator();
  bedrock.script(bedrockAnswer);
  // an OpenAI-compatible server that speaks chat completions only (vLLM, Ollama...): every agent
  // goes through the hub (the OpenAI provider would pass Responses requests through as they are)
  gateways["an OpenAI-format backend"] = await gatewayFor("custom", openai, { name: "vllm", settings: { providerOverride: "vllm", formats: [{ type: "completions" }] }, auth: { key: "sk-gateway" } });
  gateways["Bedrock"] = await gatewayFor("bedrock", bedrock, BEDROCK);
  google = startGeminiEmulator();
  google.script(geminiAnswer);
  anthropic = startAnthropicEmulator();
  anthropic.script(anthropicAnswer);
  gateways["Anthropic"] = await gatewayFor("anthropic", anthropic, { settings: { model: "claude-sonnet-4-20250514" }, auth: { key: "sk-ant-gateway" } });
  gateways["Gemini"] = await gatewayFor("gemini", google, { settings: { model: "gemini-2.5-flash" }, auth: { key: GEMINI_TEST_KEY } });
});

afterAll(async () => {
  for (const gw of Object.values(gateways)) await gw.stop();
  await openai.stop();
  await bedrock.stop();
  await google.stop();
  await anthropic.stop();
  proxy.stop();
});

for (const [agent, start] of Object.entries(AGENTS)) {
  for (const backend of ["an OpenAI-format backend", "Bedrock", "Gemini", "Anthropic"]) {
    describe(`${agent} on ${backend}`, () => {
      test(
        "answers a plain prompt",
        async () => {
          const r = await start(gateways[backend]!, "Say pong");
          expect({ code: r.code, pong: r.out.includes("pong"), err: r.code === 0 ? "" : r.err.slice(-2000) }).toEqual({ code: 0, pong: true, err: "" });
          expect(proxy.attempts).toEqual([]);
        },
        TIMEOUT_MS,
      );
      test(
        "runs its shell tool and continues with the result",
        async () => {
          const r = await start(gateways[backend]!, "USE_TOOL: run the shell command you are given and report what it printed");
          // the tool's output in the answer after the tool result: the tool ran and the agent continued
          const done = new RegExp(`DONE\\. Tool said:[^\\n]*${TOOL_OUTPUT}`).test(r.out);
          expect({ code: r.code, done, out: done ? "" : r.out.slice(-2000), err: done ? "" : r.err.slice(-2000) }).toEqual({ code: 0, done: true, out: "", err: "" });
          expect(proxy.attempts).toEqual([]);
        },
        TIMEOUT_MS,
      );
    });
  }
}
