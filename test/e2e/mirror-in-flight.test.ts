/**
 * Shadow traffic must not endanger the real traffic. A mirror that stalls held a socket and a
 * body for every mirrored request (30 s each, no cap): at a few hundred requests a second that
 * takes the descriptors and memory the primary calls need. At most MAX_MIRRORS_IN_FLIGHT copies
 * are in flight to one mirror; past that requests are served without their copy, and a warning
 * says so. A gateway process (its upstream cap lifted, as in production) and a mirror that holds
 * every request until the test releases them.
 */
import { afterAll, expect, test } from "bun:test";
import { startOpenAIEmulator } from "../emulators/openai.ts";
import { freePort, startGatewayProcess } from "../helpers/process.ts";

/** the documented cap (MAX_MIRRORS_IN_FLIGHT in src/policies/request-mirror.ts) */
const MAX_MIRRORS_IN_FLIGHT = 1024;
const primary = startOpenAIEmulator();
let arrived = 0;
const held: (() => void)[] = [];
const mirror = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  idleTimeout: 0,
  async fetch(req) {
    await req.arrayBuffer();
    arrived++;
    await new Promise<void>((release) => held.push(release));
    return new Response("ignored");
  },
});
afterAll(async () => {
  for (const release of held.splice(0)) release();
  await primary.stop();
  void mirror.stop(true);
});

const settle = async (): Promise<number> => {
  for (let last = -1; last !== arrived; ) {
    last = arrived;
    await Bun.sleep(300);
  }
  return arrived;
};

test("a stalled mirror gets at most 1024 copies at once; every client is served; a warning says copies are skipped", async () => {
  const port = freePort();
  const gw = await startGatewayProcess(
    `binds:\n- port: ${port}\n  listeners:\n  - routes:\n    - policies:\n        requestMirror: {backend: {host: "127.0.0.1:${mirror.port}"}, percentage: 1}\n      backends: [{ai: {name: openai, hostOverride: "${primary.host}", provider: {openAI: {model: gpt-4o-mini}}}}]\n`,
  );
  try {
    const chat = () => fetch(`http://127.0.0.1:${port}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}' });
    const total = MAX_MIRRORS_IN_FLIGHT + 76;
    let sent = 0;
    const statuses = new Set<number>();
    const worker = async () => {
      while (sent++ < total) statuses.add((await chat()).status);
    };
    await Promise.all(Array.from({ length: 50 }, worker));
    expect([...statuses]).toEqual([200]);
    expect(await settle()).toBe(MAX_MIRRORS_IN_FLIGHT);
    const warning = await gw.waitForLog((l) => String(l.message).startsWith("requestMirror:"));
    expect(warning.message).toContain(`${MAX_MIRRORS_IN_FLIGHT} copies to http://127.0.0.1:${mirror.port} are still in flight`);
    expect(warning.level).toBe("warn");

    // the mirror answers: copies flow again
    for (const release of held.splice(0)) release();
    await Bun.sleep(200);
    expect((await chat()).status).toBe(200);
    expect(await settle()).toBe(MAX_MIRRORS_IN_FLIGHT + 1);
  } finally {
    for (const release of held.splice(0)) release();
    await gw.stop();
  }
}, 60_000);
