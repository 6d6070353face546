/**
 * The OpenAI SDK guide, made true: its config (changed only by a `hostOverride` to the emulator
 * and free ports) runs in a real gateway process (the compiled binary when AGW_BIN is set), and
 * every Node snippet runs as written under Node.js (only the port changes).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { freePort, startGatewayProcess, type GatewayProcess } from "../helpers/process.ts";

const ROOT = join(import.meta.dir, "../..");
const SNIPPETS = join(import.meta.dir, "guide-snippets");
const RUN_DIR = join(SNIPPETS, ".run");
const GATEWAY_KEY = "sk-gateway-held-key-1234";

let emu: OpenAIEmulator;
let gw: GatewayProcess;
let port: number;

/** The guide's config as written, pointed at the emulator. */
function guideConfig(openaiPort: number, anthropicPort: number, upstream: string): string {
  return readFileSync(join(ROOT, "examples/openai-sdk-guide.yaml"), "utf8")
    .replace("port: 3000", `port: ${openaiPort}`)
    .replace("port: 3001", `port: ${anthropicPort}`)
    .replace(/^( +)name: (openai|anthropic)$/gm, (_m, indent: string, name: string) => `${indent}name: ${name}\n${indent}hostOverride: ${upstream}`);
}

const nodeBin = Bun.which("node") ?? process.execPath;

async function runSnippet(file: string, env: Record<string, string> = {}) {
  mkdirSync(RUN_DIR, { recursive: true });
  const target = join(RUN_DIR, file);
  writeFileSync(target, readFileSync(join(SNIPPETS, file), "utf8").replaceAll("localhost:3000", `localhost:${port}`));
  const proc = Bun.spawn([nodeBin, target], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

function lastChat() {
  return emu.requests.filter((r) => r.path === "/v1/chat/completions").at(-1)!;
}

beforeAll(async () => {
  emu = startOpenAIEmulator({ chunks: 12 });
  port = freePort();
  gw = await startGatewayProcess(guideConfig(port, freePort(), emu.host), {
    env: { OPENAI_API_KEY: GATEWAY_KEY, ANTHROPIC_API_KEY: "sk-ant-held" },
    binds: 2,
  });
});

afterAll(async () => {
  await gw?.stop();
  emu?.stop();
});

describe("the guide's Node.js snippets, as written", () => {
  test("basic usage: the answer is printed; the pinned model and the gateway's key reach the upstream", async () => {
    const r = await runSnippet("basic.mjs");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Hello! You said: "Hello, how are you?"');
    const sent = lastChat();
    expect(sent.json.model).toBe("gpt-4o-mini");
    expect(sent.headers.get("authorization")).toBe(`Bearer ${GATEWAY_KEY}`); // never the client's "anything"
  });

  test("environment variables: current SDKs read OPENAI_BASE_URL (OPENAI_API_BASE is the pre-1.0 name)", async () => {
    const base = `http://localhost:${port}/v1`;
    const r = await runSnippet("env.mjs", { OPENAI_BASE_URL: base, OPENAI_API_BASE: base, OPENAI_API_KEY: "anything" });
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain('You said: "Hello!"');
  });

  test("streaming: the story arrives chunk by chunk; usage was requested upstream but not shown", async () => {
    const logged = gw.logs().filter((l) => l.target === "request").length;
    const r = await runSnippet("streaming.mjs");
    expect(r.code).toBe(0);
    expect(r.stdout).toStartWith("Once upon a time a small gateway");
    expect(lastChat().json.stream_options).toEqual({ include_usage: true });
    // the usage the gateway asked for is in this request's access-log line (the next one written),
    // though the client never saw it
    await gw.waitForLog(() => gw.logs().filter((l) => l.target === "request").length > logged);
    const line = gw.logs().filter((l) => l.target === "request")[logged]!;
    expect(line).toMatchObject({ "http.status": 200, "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": "gpt-4o-mini", "gen_ai.usage.output_tokens": 12 });
    expect(typeof line["agw.ai.time_to_first_token"]).toBe("string");
    // the emulator counts one prompt token per 4 characters of the messages it received
    expect(line["gen_ai.usage.input_tokens"]).toBe(Math.max(1, Math.round(JSON.stringify(lastChat().json.messages).length / 4)));
  });

  test("advanced parameters reach the upstream unchanged", async () => {
    const r = await runSnippet("advanced.mjs");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Explain quantum computing");
    expect(lastChat().json).toMatchObject({ temperature: 0.7, max_tokens: 500, top_p: 0.9, frequency_penalty: 0, presence_penalty: 0 });
    expect(lastChat().json.messages[0]).toEqual({ role: "system", content: "You are a helpful assistant." });
  });

  test("error handling: a working call prints the answer", async () => {
    const r = await runSnippet("errors.mjs");
    expect(r.stdout).toContain('You said: "Hello!"');
    expect(r.stderr).toBe("");
  });

  test("error handling: an upstream 429 is an OpenAI.APIError with its status and message", async () => {
    emu.script(() => Response.json({ error: { message: "Rate limit reached for gpt-4o-mini", type: "requests", param: null, code: "rate_limit_exceeded" } }, { status: 429, headers: { "retry-after": "1", "retry-after-ms": "10" } }));
    try {
      const r = await runSnippet("errors.mjs");
      expect(r.stderr).toContain("OpenAI API error: 429 Rate limit reached for gpt-4o-mini");
      expect(r.stderr).toContain("Status: 429");
    } finally {
      emu.script(undefined);
    }
  });

  test("function calling: the tool call comes back for the SDK", async () => {
    const r = await runSnippet("tools.mjs");
    const choice = JSON.parse(r.stdout);
    expect(choice.finish_reason).toBe("tool_calls");
    expect(choice.message.tool_calls[0].function).toEqual({ name: "get_weather", arguments: '{"location":"Boston"}' });
    expect(lastChat().json.tools[0].function.name).toBe("get_weather");
  });

  test("embeddings keep the client's model on a backend pinned to a chat model", async () => {
    const r = await runSnippet("embeddings.mjs");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[\s*-?0\.\d+/);
    const sent = emu.requests.filter((x) => x.path === "/v1/embeddings").at(-1)!;
    expect(sent.json.model).toBe("text-embedding-3-small");
  });

  test("the verification one-liner", async () => {
    const cmd = readFileSync(join(SNIPPETS, "verify.sh"), "utf8").trim().replace("localhost:3000", `localhost:${port}`);
    const proc = Bun.spawn(["sh", "-c", cmd], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    expect(out).toContain('You said: "Hello"');
  });

  test("troubleshooting: curl /v1/models lists the configured model", async () => {
    const res = await fetch(`http://localhost:${port}/v1/models`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe("list");
    expect(body.data.map((m) => m.id)).toEqual(["gpt-4o-mini"]);
  });
});

describe("the exchanges the Python SDK relies on", () => {
  // The Python SDK (httpx) sends the same JSON with its own headers and reads SSE the same way.
  const pythonHeaders = {
    "content-type": "application/json",
    accept: "application/json",
    "user-agent": "OpenAI/Python 1.99.0",
    "x-stainless-lang": "python",
    "x-stainless-retry-count": "0",
    authorization: "Bearer anything",
  };

  test("non-streaming: chat.completion JSON", async () => {
    const res = await fetch(`http://localhost:${port}/v1/chat/completions`, {
      method: "POST",
      headers: pythonHeaders,
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello!" }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const body = (await res.json()) as { object: string; choices: { message: { content: string } }[] };
    expect(body.object).toBe("chat.completion");
    expect(body.choices[0]!.message.content).toContain("Hello!");
  });

  test("streaming: text/event-stream, data: frames, [DONE] last", async () => {
    const res = await fetch(`http://localhost:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { ...pythonHeaders, accept: "text/event-stream" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Write a short story" }], stream: true }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await res.text();
    const frames = text.split("\n\n").filter(Boolean);
    expect(frames.filter((f) => !f.startsWith("data: "))).toEqual([]);
    expect(frames.at(-1)).toBe("data: [DONE]");
    // what a Python client reads: the 12-word story, then the finish chunk, and no usage chunk
    // (the gateway asked for usage upstream, the client did not)
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)) as { choices: { delta: { content?: string }; finish_reason: string | null }[] });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Once upon a time a small gateway stood between many applications and ");
    expect(chunks.map((c) => c.choices.length)).toEqual(Array.from({ length: chunks.length }, () => 1));
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
  });
});
