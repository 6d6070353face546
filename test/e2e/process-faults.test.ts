/**
 * A bug in one exchange must not end the others. Bun ends a process on a promise rejection
 * nobody handles and on an exception thrown from a timer; the serving gateway logs them instead
 * (src/server/fault-guard.ts). The faults are injected into the gateway's own process, from
 * outside its code: a preload (`BUN_OPTIONS`) that causes both on SIGUSR2, mid-stream.
 */
import { afterEach, expect, test } from "bun:test";
import { resolve } from "node:path";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { freePort, startGatewayProcess, type GatewayProcess } from "../helpers/process.ts";

const INJECTOR = resolve(import.meta.dir, "../fixtures/faults/inject-on-sigusr2.ts");

let gateway: GatewayProcess | undefined;
let upstream: OpenAIEmulator | undefined;
afterEach(async () => {
  await gateway?.stop();
  await upstream?.stop();
  gateway = upstream = undefined;
});

test("an unhandled rejection and an uncaught exception mid-stream: the stream completes, the gateway keeps serving, the log says so without the credentials", async () => {
  upstream = startOpenAIEmulator({ chunks: 10, delayMs: 80 });
  const port = freePort();
  gateway = await startGatewayProcess(
    `binds:\n- port: ${port}\n  listeners:\n  - routes:\n    - backends: [{ai: {name: openai, hostOverride: "${upstream.host}", provider: {openAI: {model: gpt-4o-mini}}}}]\n`,
    { env: { BUN_OPTIONS: `--preload ${INJECTOR}` } },
  );
  const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: "client-key", maxRetries: 0 });

  const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true });
  let chunks = 0;
  let text = "";
  let finish: string | null | undefined;
  for await (const chunk of stream) {
    if (chunks++ === 0) gateway.proc.kill("SIGUSR2");
    text += chunk.choices[0]?.delta.content ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  expect(finish).toBe("stop");
  const direct = await (await fetch(`${upstream.origin}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true }) })).text();
  const expected = [...direct.matchAll(/"content":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`)).join("");
  expect(text).toBe(expected);

  const rejection = await gateway.waitForLog((l) => String(l.message).startsWith("a promise rejected with no handler"));
  const exception = await gateway.waitForLog((l) => String(l.message).startsWith("an uncaught exception"));
  for (const line of [rejection, exception]) {
    expect(line.level).toBe("error");
    expect(line.message).toContain("the gateway keeps serving");
  }
  expect(rejection.error).toContain("Error: injected rejection for https://example.test/v1?key=[redacted]");
  expect(exception.error).toContain("authorization: Bearer [redacted]");
  expect(exception.at).toContain("inject-on-sigusr2.ts");
  expect(gateway.output()).not.toContain("LEAKLEAK");

  // still serving
  const after = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "again" }] });
  expect(after.choices[0]?.finish_reason).toBe("stop");
  expect(gateway.proc.exitCode).toBeNull();
}, 20_000);
