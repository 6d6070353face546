/**
 * Request guards and failover, over real HTTP with the official SDK: the guards judge a client
 * request once, not once per provider tried. The first provider answers 503, the second answers;
 * the guard webhook (which masks) is called once, and both providers get the masked text. A
 * provider whose own prompts change the messages is judged anew: its texts are not those judged.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type OpenAI from "openai";
import { startWebhookEmulator, type GuardEmulator } from "../../emulators/guards.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";

let a: OpenAIEmulator;
let b: OpenAIEmulator;
let hook: GuardEmulator;
let gw: TestGateway;
let client: OpenAI;

const provider = (name: string, host: string, policies = "") => `{name: ${name}, hostOverride: "${host}", provider: {openAI: {}}${policies}}`;

beforeAll(async () => {
  a = startOpenAIEmulator();
  b = startOpenAIEmulator();
  hook = startWebhookEmulator();
  // deps.random 0: the first listed member is tried first
  gw = await startTestGateway(
    `
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /prompted}}]
      policies: {ai: {routes: {"*": completions}, promptGuard: {request: [{webhook: {target: {host: "${hook.host}"}}}]}}}
      backends:
      - ai: {groups: [{providers: [${provider("a", a.host)}, ${provider("b", b.host, ', policies: {ai: {prompts: {prepend: [{role: system, content: "Be brief."}]}}}')}]}]}
    - policies: {ai: {promptGuard: {request: [{webhook: {target: {host: "${hook.host}"}}}]}}}
      backends:
      - ai: {groups: [{providers: [${provider("a", a.host)}, ${provider("b", b.host)}]}]}
`,
    {},
    { deps: { random: () => 0 } },
  );
  client = openaiClient(gw.baseURL());
});
afterAll(async () => {
  await gw.stop();
  for (const e of [a, b, hook]) await e.stop();
});
afterEach(() => {
  for (const e of [a, b, hook]) e.script(undefined);
});

const down = () => Response.json({ error: { message: "down", type: "server_error" } }, { status: 503 });
/** The webhook masks every "4111" it is shown, and says what it was shown. */
const masking = () => (req: { json?: any }) => {
  const messages = (req.json.body.messages as { role: string; content: string }[]).map((m) => ({ ...m, content: m.content.replaceAll("4111", "<card>") }));
  return { action: { body: { messages }, reason: "masked" } };
};
const userTexts = (e: OpenAIEmulator) => (e.requests.at(-1)!.json.messages as { content: string }[]).map((m) => m.content);

test("a failover does not run the request guards again: one webhook call, the masked text on both attempts", async () => {
  a.script(down);
  hook.script(masking());
  const calls = hook.requests.length;
  const { response } = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "card 4111" }] }).withResponse();
  expect(response.headers.get("x-agw-provider")).toBe("b");
  expect(hook.requests.length - calls).toBe(1);
  expect(userTexts(a)).toEqual(["card <card>"]);
  expect(userTexts(b)).toEqual(["card <card>"]);
});

test("a provider whose prompts change the messages is judged again, on the texts it gets", async () => {
  a.script(down);
  hook.script(masking());
  const calls = hook.requests.length;
  const prompted = openaiClient(`${gw.origin()}/prompted/v1`);
  await prompted.chat.completions.create({ model: "m", messages: [{ role: "user", content: "card 4111" }] });
  const judged = hook.requests.slice(calls).map((r) => (r.json.body.messages as { content: string }[]).map((m) => m.content));
  expect(judged).toEqual([["card 4111"], ["Be brief.", "card 4111"]]);
  expect(userTexts(b)).toEqual(["Be brief.", "card <card>"]);
});
