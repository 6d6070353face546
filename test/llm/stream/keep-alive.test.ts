/**
 * `config.streamKeepAlive`: while a stream is silent (a reasoning model thinking before its
 * first token, or between tokens) the client gets `: keep-alive` comments, which SSE clients
 * ignore and idle-timeout proxies count as traffic. `off` sends none.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";

let emu: OpenAIEmulator;
let on: TestGateway;
let off: TestGateway;

const chunk = (content: string, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

/** Silent for 350 ms before the first token, then 250 ms between the two tokens. */
function slowStream(): Response {
  const enc = new TextEncoder();
  return new Response(
    new ReadableStream({
      async start(c) {
        await Bun.sleep(350);
        c.enqueue(enc.encode(chunk("Think")));
        await Bun.sleep(250);
        c.enqueue(enc.encode(chunk("ing.", "stop") + "data: [DONE]\n\n"));
        c.close();
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );
}

const config = (keepAlive: string) => `
config: {streamKeepAlive: ${keepAlive}}
binds:
- port: 0
  listeners:
  - routes:
    - backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  emu.script(() => slowStream());
  on = await startTestGateway(config("100ms"));
  off = await startTestGateway(config("off"));
});
afterAll(async () => {
  await on.stop();
  await off.stop();
  emu.stop();
});

const ask = JSON.stringify({ model: "m", messages: [{ role: "user", content: "think hard" }], stream: true });

async function rawStream(gw: TestGateway): Promise<string> {
  const res = await fetch(`${gw.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: ask });
  expect(res.status).toBe(200);
  return res.text();
}

test("comments flow while the upstream is silent, before the first token and between tokens", async () => {
  const text = await rawStream(on);
  const events = text.split("\n\n").filter(Boolean);
  const firstData = events.findIndex((e) => e.startsWith("data:"));
  const before = events.slice(0, firstData);
  expect(before.filter((e) => e === ": keep-alive").length).toBeGreaterThanOrEqual(2); // ~350 ms of silence at 100 ms
  // the headers went out before the provider answered: a comment names it instead of x-agw-provider
  expect(before.filter((e) => e !== ": keep-alive")).toEqual([": x-agw-provider: openai"]);
  const between = events.slice(firstData + 1, events.findIndex((e, i) => i > firstData && e.startsWith("data:")));
  expect(between.length).toBeGreaterThanOrEqual(1);
  expect(between.every((e) => e === ": keep-alive")).toBe(true);
  expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
});

test("the SDK reads the answer unchanged", async () => {
  const stream = await openaiClient(on.baseURL()).chat.completions.create({ model: "m", messages: [{ role: "user", content: "think" }], stream: true });
  let text = "";
  for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
  expect(text).toBe("Thinking.");
});

test("streamKeepAlive: off sends no comment", async () => {
  expect(await rawStream(off)).not.toContain(": keep-alive");
});

test("a keep-alive of a second or more (the shared sweeper) still fires when the process collects garbage while the upstream is silent", async () => {
  // the sweeper holds a waiting request only weakly (see keepAliveUntilAnswered): the request's
  // own pending upstream call must keep it alive, across full collections
  const silent = Bun.serve({
    port: 0,
    async fetch() {
      await Bun.sleep(1600);
      return slowStream();
    },
  });
  const gw = await startTestGateway(config("1s").replace(emu.host, `127.0.0.1:${silent.port}`));
  try {
    const collecting = setInterval(() => Bun.gc(true), 100);
    const res = await fetch(`${gw.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: ask });
    const first = new TextDecoder().decode((await res.body!.getReader().read()).value);
    clearInterval(collecting);
    expect(res.status).toBe(200);
    expect(first).toStartWith(": keep-alive"); // the comment went out before the upstream answered
  } finally {
    await gw.stop();
    silent.stop(true);
  }
}, 10_000);
