/**
 * `delay` (fault injection), over real HTTP: a fixed duration and agentgateway's CEL form add
 * their latency before the provider is called; a client that leaves during the delay means the
 * provider is never called. Only lower bounds on time are asserted (the delay is the feature).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
let gw: TestGateway;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - name: fixed
      matches: [{path: {pathPrefix: /fixed}}]
      policies:
        urlRewrite: {path: {prefix: /}}
        delay: {duration: 300ms}
      backends:
      - ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}
    - name: numeric
      matches: [{path: {pathPrefix: /numeric}}]
      policies:
        urlRewrite: {path: {prefix: /}}
        delay: {duration: 'request.headers["x-chaos"] == "slow" ? 250 : 0'}
      backends:
      - ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}
    - name: chaos
      policies:
        delay: {duration: 'request.headers["x-chaos"] == "slow" ? duration("400ms") : duration("0s")'}
      backends:
      - ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}
`);
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

const chat = (path: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${gw.origin()}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }), signal });

test("a fixed delay comes before the provider call", async () => {
  const t0 = performance.now();
  const res = await chat("/fixed/v1/chat/completions");
  expect(res.status).toBe(200);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(295);
});

test("a CEL delay: a duration for the requests it selects", async () => {
  const t0 = performance.now();
  expect((await chat("/v1/chat/completions", { "x-chaos": "slow" })).status).toBe(200);
  expect(performance.now() - t0).toBeGreaterThanOrEqual(395);
  expect((await chat("/v1/chat/completions")).status).toBe(200);
  const t1 = performance.now();
  expect((await chat("/numeric/v1/chat/completions", { "x-chaos": "slow" })).status).toBe(200);
  expect(performance.now() - t1).toBeGreaterThanOrEqual(245); // a number is milliseconds (agentgateway's random() < 0.1 ? 500 : 0 form)
});

test("a client that leaves during the delay: the provider is never called", async () => {
  const before = emu.requests.length;
  const abort = new AbortController();
  const pending = chat("/v1/chat/completions", { "x-chaos": "slow" }, abort.signal).catch((e: Error) => e.name);
  await Bun.sleep(50);
  abort.abort();
  expect(await pending).toBe("AbortError");
  await Bun.sleep(500);
  expect(emu.requests.length).toBe(before);
});
