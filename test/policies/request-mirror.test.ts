/**
 * `requestMirror` over real HTTP with the openai SDK: a copy of the chat request reaches the
 * mirror (same path, query and body) while the client gets the primary's answer; the client's
 * API key (here in a custom header) never reaches the mirror; a mirror that is down or slow
 * changes nothing for the client; `percentage` picks the share (exact with a pinned random).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { eventually, openaiClient, sequence, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let primary: OpenAIEmulator;
let copies: { path: string; headers: Headers; body: string }[] = [];
let mirror: ReturnType<typeof Bun.serve>;
let slowMirror: ReturnType<typeof Bun.serve>;
let slowAnswered = false;
let gw: TestGateway;

const route = (name: string, prefix: string, mirrorHost: string, percentage: number) => `
    - name: ${name}
      matches: [{path: {pathPrefix: ${prefix}}}]
      policies:
        urlRewrite: {path: {prefix: /}}
        apiKey: {mode: strict, keys: [{key: sk-client-SECRET}], location: {header: {name: x-gw-key}}}
        requestMirror: {backend: {host: "${mirrorHost}"}, percentage: ${percentage}}
      backends:
      - ai: {name: openai, hostOverride: "${primary.host}", provider: {openAI: {}}, policies: {backendAuth: {key: sk-upstream}}}`;

beforeAll(async () => {
  primary = startOpenAIEmulator();
  mirror = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const u = new URL(req.url);
      copies.push({ path: u.pathname + u.search, headers: req.headers, body: await req.text() });
      return new Response("ignored", { status: 500 });
    },
  });
  slowMirror = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () =>
      Bun.sleep(1000).then(() => {
        slowAnswered = true;
        return new Response("late");
      }),
  });
  gw = await startTestGateway(
    `
binds:
- port: 0
  listeners:
  - routes:${route("all", "/all", `127.0.0.1:${mirror.port}`, 1)}${route("down", "/down", "127.0.0.1:1", 1)}${route("slow", "/slow", `127.0.0.1:${slowMirror.port}`, 1)}${route("half", "/half", `127.0.0.1:${mirror.port}`, 0.5)}
`,
    {},
    { deps: { random: sequence([0.2, 0.7]) } },
  );
});
afterAll(async () => {
  await gw.stop();
  await primary.stop();
  mirror.stop(true);
  slowMirror.stop(true);
});

const ask = (prefix: string, content = "hi") =>
  openaiClient(`${gw.origin()}${prefix}/v1`).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content }] }, { headers: { "x-gw-key": "sk-client-SECRET" } });

test("a copy of the request reaches the mirror; the client gets the primary's answer; no client key in the copy", async () => {
  copies = [];
  const r = await ask("/all", "mirror me");
  expect(r.choices[0]!.message.content).toBeTruthy(); // the primary's answer, not the mirror's 500
  const copy = await eventually(() => copies[0], 3000, "no mirrored request");
  expect(copy.path).toBe("/v1/chat/completions");
  expect(JSON.parse(copy.body).messages).toEqual([{ role: "user", content: "mirror me" }]);
  expect(copy.headers.get("x-gw-key")).toBeNull();
  expect(copy.headers.get("authorization")).toBeNull();
  expect(primary.requests.at(-1)!.headers.get("authorization")).toBe("Bearer sk-upstream");
});

test("a mirror that is down or slow changes nothing for the client", async () => {
  expect((await ask("/down")).choices[0]!.message.content).toBeTruthy();
  expect((await ask("/slow")).choices[0]!.message.content).toBeTruthy();
  expect(slowAnswered).toBe(false); // the client's answer did not wait for the mirror's
});

test("percentage: a draw under it is mirrored, one above is not", async () => {
  copies = [];
  await ask("/half"); // random 0.2 < 0.5: mirrored
  await ask("/half"); // random 0.7: not
  await eventually(() => copies.length >= 1 || undefined, 3000, "no mirrored request");
  await Bun.sleep(200);
  expect(copies.length).toBe(1);
});
