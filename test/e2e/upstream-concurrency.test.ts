/**
 * Upstream requests in flight at once. Bun's `fetch` sends at most 256 at a time per process
 * unless the runtime starts with BUN_CONFIG_MAX_HTTP_REQUESTS set; the 257th waits until another
 * ends, which for streams of minutes is a hidden cap on concurrent users. The gateway lifts it
 * by replacing itself in place at start-up (src/server/upstream-request-limit.ts), and keeps an
 * operator's own value. Clients here are raw sockets: the test process's own `fetch` has the cap.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { rawRequest } from "../helpers/raw-http.ts";
import { freePort, startGatewayProcess, type GatewayEnv, type GatewayProcess } from "../helpers/process.ts";

const COMPLETION = {
  id: "chatcmpl-held",
  object: "chat.completion",
  created: 1,
  model: "gpt-4o-mini",
  choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
};

/**
 * An upstream that holds every request until `together` are in flight (then answers them all),
 * or until `maxWaitMs` passed: its peak is how many the gateway had in flight at once.
 */
function holdingUpstream(together: number, maxWaitMs: number) {
  let inFlight = 0;
  let peak = 0;
  const waiting: (() => void)[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 30,
    async fetch(req) {
      await req.arrayBuffer();
      inFlight++;
      peak = Math.max(peak, inFlight);
      if (inFlight >= together) for (const release of waiting.splice(0)) release();
      else await new Promise<void>((release) => (waiting.push(release), setTimeout(release, maxWaitMs)));
      inFlight--;
      return Response.json(COMPLETION);
    },
  });
  return { host: `127.0.0.1:${server.port}`, peak: () => peak, stop: () => server.stop(true) };
}

let gateway: GatewayProcess | undefined;
let upstream: ReturnType<typeof holdingUpstream> | undefined;
afterEach(async () => {
  await gateway?.stop();
  upstream?.stop();
  gateway = upstream = undefined;
});

/** `clients` chat requests at once through a gateway started with `env`; the upstream's peak. */
async function peakInFlight(clients: number, env: GatewayEnv, maxWaitMs: number): Promise<{ peak: number; statuses: number[]; gw: GatewayProcess }> {
  upstream = holdingUpstream(clients, maxWaitMs);
  const port = freePort();
  gateway = await startGatewayProcess(
    `binds:\n- port: ${port}\n  listeners:\n  - routes:\n    - backends: [{ai: {name: held, hostOverride: "${upstream.host}", provider: {openAI: {model: gpt-4o-mini}}}}]\n`,
    { env },
  );
  const body = JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
  const answers = await Promise.all(
    Array.from({ length: clients }, () => rawRequest(port, "POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json", body)),
  );
  return { peak: upstream.peak(), statuses: [...new Set(answers.map((a) => a.status))], gw: gateway };
}

describe("upstream requests in flight", () => {
  test("300 clients at once: all 300 reach the provider at once (no 256 cap), and nothing warns", async () => {
    const { peak, statuses, gw } = await peakInFlight(300, { BUN_CONFIG_MAX_HTTP_REQUESTS: undefined }, 4000);
    expect(statuses).toEqual([200]);
    expect(peak).toBe(300);
    expect(gw.logs().filter((l) => l.level === "warn")).toEqual([]);
  }, 30_000);

  test("an operator's own BUN_CONFIG_MAX_HTTP_REQUESTS is kept", async () => {
    const { peak, statuses } = await peakInFlight(60, { BUN_CONFIG_MAX_HTTP_REQUESTS: "40" }, 1000);
    expect(statuses).toEqual([200]);
    expect(peak).toBe(40);
  }, 30_000);
});
