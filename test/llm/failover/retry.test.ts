/**
 * `retry` and `health` on an LLM route: retriable answers tried again after a jittered backoff
 * (or the provider's retry-after, up to 10 s), attempts counted, timeouts retried when 504 is
 * listed, eviction after `consecutiveFailures`; and 100 concurrent requests while a provider
 * flaps: every one answered, none answered twice upstream.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { accessLogs, eventually, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";

let a: OpenAIEmulator;
let b: OpenAIEmulator;
let gw: TestGateway;
let clock = 1_000_000;

const provider = (name: string, host: string, policies = "{}") => `{name: ${name}, hostOverride: "${host}", provider: {openAI: {}}, policies: ${policies}}`;
const route = (prefix: string, policies: string, providers: string[]) => `
    - matches: [{path: {pathPrefix: /${prefix}}}]
      policies: {ai: {routes: {"/v1/chat/completions": completions, "*": passthrough}}, ${policies}}
      backends: [{ai: {groups: [{providers: [${providers.join(", ")}]}]}}]`;

beforeAll(async () => {
  a = startOpenAIEmulator();
  b = startOpenAIEmulator();
  const sticky = "{health: {eviction: {consecutiveFailures: 5}}}";
  gw = await startTestGateway(
    `
binds:
- port: 0
  listeners:
  - routes:${route("retry", "retry: {attempts: 3, codes: [429, 503], backoff: 20ms}", [provider("a", a.host)])}${route("timeout", "retry: {attempts: 2, codes: [504]}, timeout: {backendRequestTimeout: 150ms}", [provider("a", a.host)])}${route("health", "", [provider("a", a.host, "{health: {eviction: {duration: 10s, consecutiveFailures: 2}}}")])}${route("both", "retry: {attempts: 2, codes: [503]}", [provider("a", a.host, sticky), provider("b", b.host, sticky)])}${route("cond", `retry: {attempts: 2, codes: [], condition: 'response.code == 400 && response.headers["x-transient"] == "yes"', precondition: 'llm.requestModel != "no-retry"'}`, [provider("a", a.host)])}${route("unhealthy", "", [provider("a", a.host, `{health: {unhealthyExpression: 'response.code == 400', eviction: {duration: 10s}}}`)])}
`,
    {},
    { deps: { random: () => 0, now: () => clock } },
  );
});
afterAll(async () => {
  await gw.stop();
  await a.stop();
  await b.stop();
});
afterEach(() => {
  a.script(undefined);
  b.script(undefined);
  clock += 60_000;
});

const sdk = (prefix: string) => new OpenAI({ baseURL: `${gw.origin()}/${prefix}/v1`, apiKey: "x", maxRetries: 0 });
const ask = (prefix: string) => sdk(prefix).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).withResponse();
const failing = (statuses: number[], headers: Record<string, string> = {}) => {
  const left = [...statuses];
  return () => (left.length > 0 ? new Response('{"error":{"message":"no","type":"server_error"}}', { status: left.shift()!, headers: { "content-type": "application/json", ...headers } }) : undefined);
};

describe("retry", () => {
  test("503, 503, then an answer: three attempts, backed off (jitter pinned to half)", async () => {
    a.script(failing([503, 503]));
    const n = a.requests.length;
    const started = performance.now();
    const r = await sdk("retry").chat.completions.create({ model: "m-retried", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(r.data.choices[0]!.message.content).toBeTruthy();
    expect(a.requests.length).toBe(n + 3);
    expect(performance.now() - started).toBeGreaterThanOrEqual(10 + 20 - 2);
    const line = await eventually(() => accessLogs(gw).find((l) => l["gen_ai.request.model"] === "m-retried"));
    expect(line["retry.attempt"]).toBe(2);
  });

  test("attempts run out: the provider's last answer, with its status", async () => {
    a.script(failing([503, 503, 503, 503]));
    const n = a.requests.length;
    const err = (await ask("retry").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(503);
    expect(a.requests.length).toBe(n + 3);
  });

  test("retry-after is waited when short; when longer than 10 s the client gets it", async () => {
    a.script(failing([429], { "retry-after-ms": "120" }));
    const started = performance.now();
    await ask("retry");
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
    a.script(failing([429], { "retry-after": "60" }));
    const n = a.requests.length;
    const err = (await ask("retry").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(429);
    expect(err.headers?.get("retry-after")).toBe("60");
    expect(a.requests.length).toBe(n + 1);
  });

  test("a timeout is retried when 504 is listed", async () => {
    let first = true;
    a.script(() => {
      if (!first) return undefined;
      first = false;
      return new Promise<Response>(() => {});
    });
    const r = await ask("timeout");
    expect(r.response.status).toBe(200);
  });

  test("failover first, then the retry goes back to the first provider", async () => {
    a.script(failing([503]));
    b.script(failing([503]));
    const [na, nb] = [a.requests.length, b.requests.length];
    const r = await ask("both");
    expect(r.response.headers.get("x-agw-provider")).toBe("a");
    expect([a.requests.length - na, b.requests.length - nb]).toEqual([2, 1]);
  });

  test("a passthrough body is buffered and sent again whole", async () => {
    a.script(failing([503]));
    const body = JSON.stringify({ model: "m", input: "x".repeat(100_000) });
    const res = await fetch(`${gw.origin()}/retry/v1/whatever`, { method: "POST", headers: { "content-type": "application/json" }, body });
    await res.arrayBuffer();
    const [first, second] = a.requests.slice(-2);
    expect(first!.body).toBe(body);
    expect(second!.body).toBe(body);
  });
});

describe("CEL on answers and requests", () => {
  const transient400 = () => new Response('{"error":{"message":"busy","type":"invalid_request_error"}}', { status: 400, headers: { "content-type": "application/json", "x-transient": "yes" } });
  const model = (prefix: string, m: string) => sdk(prefix).chat.completions.create({ model: m, messages: [{ role: "user", content: "hi" }] }).withResponse();

  test("retry.condition: a 400 the expression marks transient is retried; others are not", async () => {
    let once = true;
    a.script(() => (once ? ((once = false), transient400()) : undefined));
    const n = a.requests.length;
    expect((await model("cond", "m")).response.status).toBe(200);
    expect(a.requests.length).toBe(n + 2);
    a.script(() => new Response('{"error":{"message":"bad","type":"invalid_request_error"}}', { status: 400, headers: { "content-type": "application/json" } }));
    const m = a.requests.length;
    expect(((await model("cond", "m").catch((e: unknown) => e)) as { status: number }).status).toBe(400);
    expect(a.requests.length).toBe(m + 1);
  });

  test("retry.precondition false (read from the body): no retry", async () => {
    a.script(transient400);
    const n = a.requests.length;
    expect(((await model("cond", "no-retry").catch((e: unknown) => e)) as { status: number }).status).toBe(400);
    expect(a.requests.length).toBe(n + 1);
  });

  test("a bad expression is a located config error", async () => {
    const yaml = (policies: string) => `binds:\n- port: 0\n  listeners:\n  - routes:${route("x", policies, [provider("a", a.host)])}\n`;
    await expect(startTestGateway(yaml("retry: {codes: [], condition: 'response.code =='}"))).rejects.toThrow(/routes\[0\]\.policies\.retry\.condition: invalid CEL expression "response\.code =="/);
    await expect(startTestGateway(yaml("retry: {codes: [], precondition: 'reqest.method == \"GET\"'}"))).rejects.toThrow(/retry\.precondition: invalid CEL expression .*Unknown variable: reqest/);
  });

  test("health.unhealthyExpression: a 400 evicts; a 500 it does not mark does not", async () => {
    a.script(() => new Response("{}", { status: 500 }));
    expect(((await model("unhealthy", "m").catch((e: unknown) => e)) as { status: number }).status).toBe(500);
    a.script(() => new Response("{}", { status: 400 }));
    expect(((await model("unhealthy", "m").catch((e: unknown) => e)) as { status: number }).status).toBe(400);
    const n = a.requests.length;
    const evicted = (await model("unhealthy", "m").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(evicted.status).toBe(503);
    expect(a.requests.length).toBe(n);
  });
});

describe("health", () => {
  test("consecutiveFailures: 2 evicts on the second failure; then 503 until the duration ends", async () => {
    a.script(() => new Response("{}", { status: 500 }));
    expect(((await ask("health").catch((e: unknown) => e)) as { status: number }).status).toBe(500);
    expect(((await ask("health").catch((e: unknown) => e)) as { status: number }).status).toBe(500);
    const n = a.requests.length;
    const evicted = (await ask("health").catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(evicted.status).toBe(503);
    expect(evicted.headers?.get("retry-after")).toBe("10");
    expect(a.requests.length).toBe(n);
    clock += 10_000;
    a.script(undefined);
    expect((await ask("health")).response.status).toBe(200);
  });
});

describe("concurrency", () => {
  test("100 requests while a provider flaps: none lost, none answered twice upstream", async () => {
    const flap = startOpenAIEmulator();
    const steady = startOpenAIEmulator();
    const g = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - backends: [{ai: {groups: [{providers: [${provider("flap", flap.host, "{health: {eviction: {duration: 1ms}}}")}, ${provider("steady", steady.host)}]}]}}]
`);
    const answered = new Map<string, number>();
    const idOf = (json: any) => String(json?.messages?.[0]?.content);
    const count = (id: string) => answered.set(id, (answered.get(id) ?? 0) + 1);
    let n = 0;
    flap.script((req) => {
      if (n++ % 2 === 0) return new Response("{}", { status: n % 4 === 1 ? 503 : 429 });
      count(idOf(req.json));
      return undefined;
    });
    steady.script((req) => void count(idOf(req.json)));
    const client = new OpenAI({ baseURL: `${g.origin()}/v1`, apiKey: "x", maxRetries: 0 });
    const ids = Array.from({ length: 100 }, (_, i) => `req-${i}`);
    const results = await Promise.allSettled(
      ids.map(async (id, i) => {
        const messages = [{ role: "user" as const, content: id }];
        if (i % 2 === 0) return (await client.chat.completions.create({ model: "m", messages })).choices[0]!.message.content;
        let text = "";
        for await (const chunk of await client.chat.completions.create({ model: "m", messages, stream: true })) text += chunk.choices[0]?.delta?.content ?? "";
        return text;
      }),
    );
    expect(results.filter((r) => r.status === "fulfilled" && r.value)).toHaveLength(100);
    for (const id of ids) expect(answered.get(id)).toBe(1);
    expect(flap.requests.length).toBeGreaterThan(10);
    await g.stop();
    await flap.stop();
    await steady.stop();
  });
});
