/**
 * Failover within an `ai` backend's groups, over real HTTP with the official SDK: the first
 * provider answers 429 without any retry header, 503, refuses the connection, or stalls; the same
 * client request is answered by the next provider, which `x-agw-provider` names; the failing one
 * is evicted for 30 s (timed with an injected clock) and comes back after; when all are evicted
 * the client gets a 503 with the soonest retry-after; after the first streamed byte there is no
 * failover.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { accessLogs, eventually, openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";

let a: OpenAIEmulator;
let b: OpenAIEmulator;
let c: OpenAIEmulator;
let gw: TestGateway;
let client: OpenAI;
let clock = 1_000_000;
const refused = closedPort();

function closedPort(): string {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return `127.0.0.1:${port}`;
}

const provider = (name: string, host: string) => `{name: ${name}, hostOverride: "${host}", provider: {openAI: {}}}`;

beforeAll(async () => {
  a = startOpenAIEmulator();
  b = startOpenAIEmulator();
  c = startOpenAIEmulator();
  // deps.random 0: inside a group the first listed member is tried first
  gw = await startTestGateway(
    `
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /refused}}]
      backends:
      - ai: {groups: [{providers: [${provider("gone", refused)}, ${provider("b", b.host)}]}]}
      policies: {ai: {routes: {"*": completions}}}
    - matches: [{path: {pathPrefix: /stall}}]
      policies: {timeout: {backendRequestTimeout: 300ms}, ai: {routes: {"*": completions}}}
      backends:
      - ai: {groups: [{providers: [${provider("a", a.host)}, ${provider("b", b.host)}]}]}
    - backends:
      - ai:
          groups:
          - providers: [${provider("a", a.host)}, ${provider("b", b.host)}]
          - providers: [${provider("c", c.host)}]
`,
    {},
    { deps: { random: () => 0, now: () => clock } },
  );
  client = openaiClient(gw.baseURL());
});
afterAll(async () => {
  await gw.stop();
  for (const e of [a, b, c]) await e.stop();
});
afterEach(() => {
  for (const e of [a, b, c]) e.script(undefined);
  clock += 10 * 60_000; // every eviction of the last test is over
});

const ask = (c2: OpenAI = client) => c2.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).withResponse();
const counts = () => [a.requests.length, b.requests.length, c.requests.length];
const status = (s: number, body = "{}", headers: Record<string, string> = {}) => () => new Response(body, { status: s, headers: { "content-type": "application/json", ...headers } });

describe("failover to the next provider", () => {
  test("a 429 without any retry header: b answers, a is evicted for 30 s, then tried again", async () => {
    a.script(status(429, '{"error":{"message":"slow down","type":"rate_limit_error"}}'));
    const before = counts();
    const { data, response } = await ask();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.headers.get("x-agw-provider")).toBe("b");
    expect(counts()).toEqual([before[0]! + 1, before[1]! + 1, before[2]!]);
    // evicted: the next request goes straight to b
    await ask();
    expect(a.requests.length).toBe(before[0]! + 1);
    // 29 s later still evicted; at 30 s back in line (and healthy again: it answers)
    clock += 29_000;
    await ask();
    expect(a.requests.length).toBe(before[0]! + 1);
    clock += 1_000;
    a.script(undefined);
    const back = await ask();
    expect(back.response.headers.get("x-agw-provider")).toBe("a");
    expect(a.requests.length).toBe(before[0]! + 2);
  });

  test("a 503: the same request goes to b; the access log says what failed", async () => {
    a.script(status(503, '{"error":{"message":"down","type":"server_error"}}'));
    const { response } = await client.chat.completions.create({ model: "m-503", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(response.headers.get("x-agw-provider")).toBe("b");
    const line = await eventually(() => accessLogs(gw).find((l) => l["gen_ai.request.model"] === "m-503"));
    expect(line["http.status"]).toBe(200);
    expect(line.endpoint).toBe("b");
  });

  test("a refused connection: the next provider answers", async () => {
    const r = await ask(new OpenAI({ baseURL: `${gw.origin()}/refused/v1`, apiKey: "x", maxRetries: 0 }));
    expect(r.response.headers.get("x-agw-provider")).toBe("b");
  });

  test("a stall before the first byte (backendRequestTimeout): the next provider answers", async () => {
    a.script(() => new Promise<Response>(() => {}));
    const started = performance.now();
    const r = await ask(new OpenAI({ baseURL: `${gw.origin()}/stall/v1`, apiKey: "x", maxRetries: 0 }));
    expect(r.response.headers.get("x-agw-provider")).toBe("b");
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
  });

  test("a 429 with retry-after: evicted for as long as it asks", async () => {
    a.script(status(429, "{}", { "retry-after": "5" }));
    await ask();
    a.script(undefined);
    const n = a.requests.length;
    clock += 4_900;
    await ask();
    expect(a.requests.length).toBe(n);
    clock += 200;
    expect((await ask()).response.headers.get("x-agw-provider")).toBe("a");
  });

  test("a 400 is the client's: no failover, no eviction", async () => {
    a.script(status(400, '{"error":{"message":"bad","type":"invalid_request_error"}}'));
    const before = counts();
    const err = await ask().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(counts()).toEqual([before[0]! + 1, before[1]!, before[2]!]);
  });

  test("the whole first group failing: the next group answers", async () => {
    a.script(status(500));
    b.script(status(502));
    const r = await ask();
    expect(r.response.headers.get("x-agw-provider")).toBe("c");
  });

  test("all evicted: 503 with the soonest retry-after (b, the middle one), no upstream call", async () => {
    // each evicted for a different time: a 40 s and c 60 s (as their retry-after asks), b 30 s
    // (the default), so only the soonest, not the first or the last candidate, says 20 s below
    a.script(status(429, "{}", { "retry-after": "40" }));
    b.script(status(500));
    c.script(status(429, "{}", { "retry-after": "60" }));
    const err = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(429); // the last provider's own answer
    clock += 10_000;
    const before = counts();
    const evicted = await fetch(`${gw.baseURL()}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
    });
    expect(evicted.status).toBe(503);
    expect(evicted.headers.get("retry-after")).toBe("20");
    const body = (await evicted.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("no_healthy_backend");
    expect(body.error.message).toContain("back in 20s");
    expect(counts()).toEqual(before);
  });
});

describe("streams", () => {
  test("a stream whose provider fails before its first event fails over", async () => {
    a.script(() => new Response('data: {"error":{"message":"overloaded","type":"server_error"}}\n\n', { headers: { "content-type": "text/event-stream" } }));
    const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
    let text = "";
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(stream.response.headers.get("x-agw-provider")).toBe("b");
  });

  test("no failover after the first streamed byte: the client gets an error event", async () => {
    const first = 'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}\n\n';
    a.script(
      () =>
        new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode(first));
              setTimeout(() => controller.close(), 30); // ends without [DONE]: broken
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        ),
    );
    const before = b.requests.length;
    const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
    })().catch((e: unknown) => e);
    expect(text).toBe("Hel");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(b.requests.length).toBe(before);
  });
});
