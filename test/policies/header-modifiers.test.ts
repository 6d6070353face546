/**
 * `requestHeaderModifier` and `responseHeaderModifier`, on a route and on a backend: the upstream
 * gets the route's edits once (they used to be applied twice on LLM routes) and then the
 * backend's; the client gets both response edits on every kind of answer (translated chat,
 * streams, embeddings, passthrough, upstream errors), not only on passthrough.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../emulators/anthropic.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import * as s from "../llm/providers/anthropic/scripts.ts";

let openai: OpenAIEmulator;
let anthropic: AnthropicEmulator;
let gw: TestGateway;

/** A route with header modifiers, whose one backend (`ai`, flow style) has its own. */
const route = (prefix: string, ai: string) => `
    - matches: [{path: {pathPrefix: ${prefix}}}]
      policies:
        requestHeaderModifier: {add: {x-added: added-1}, set: {x-set: route}, remove: [x-drop]}
        responseHeaderModifier: {add: {x-route-answer: r}, remove: [x-upstream-secret]}
      backends:
      - ai: ${ai}
        policies:
          backendAuth: {key: sk-backend}
          requestHeaderModifier: {add: {x-backend: b}, set: {x-set: backend}}
          responseHeaderModifier: {set: {x-backend-answer: b}}`;

beforeAll(async () => {
  openai = startOpenAIEmulator();
  anthropic = await startAnthropicEmulator();
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:${route("/anthropic", `{name: claude, hostOverride: "${anthropic.host}", provider: {anthropic: {model: claude-sonnet-4-20250514}}}`)}${route("/v1", `{name: openai, hostOverride: "${openai.host}", provider: {openAI: {}}}`)}
`);
});
afterAll(async () => {
  await gw.stop();
  openai.stop();
  await anthropic.stop();
});

/** The upstream saw the route's edits once, then the backend's; the client's own header survives. */
function expectUpstreamEdits(headers: Headers) {
  expect(headers.get("x-added")).toBe("added-1");
  expect(headers.get("x-backend")).toBe("b");
  expect(headers.get("x-set")).toBe("backend"); // the backend's edit comes after the route's
  expect(headers.get("x-drop")).toBeNull();
  expect(headers.get("x-client")).toBe("kept");
}

function expectAnswerEdits(headers: Headers | undefined | null) {
  expect(headers?.get("x-route-answer")).toBe("r");
  expect(headers?.get("x-backend-answer")).toBe("b");
}

const clientHeaders = { "x-drop": "secret", "x-client": "kept" };

describe("OpenAI-format backend", () => {
  const client = () => openaiClient(gw.baseURL());

  test("chat, stream, embeddings, models and passthrough: edits up and down", async () => {
    const chat = await client().chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }, { headers: clientHeaders }).withResponse();
    expectUpstreamEdits(openai.requests.at(-1)!.headers);
    expectAnswerEdits(chat.response.headers);

    const stream = await client().chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }, { headers: clientHeaders }).withResponse();
    for await (const _ of stream.data);
    expectUpstreamEdits(openai.requests.at(-1)!.headers);
    expectAnswerEdits(stream.response.headers);

    const emb = await client().embeddings.create({ model: "text-embedding-3-small", input: "hi" }, { headers: clientHeaders }).withResponse();
    expectUpstreamEdits(openai.requests.at(-1)!.headers);
    expectAnswerEdits(emb.response.headers);

    const models = await fetch(`${gw.baseURL()}/models`);
    expect(models.status).toBe(200);
    expect(models.headers.get("x-route-answer")).toBe("r"); // the gateway's own answer: the route's edits

    const files = await fetch(`${gw.baseURL()}/files`, { headers: clientHeaders });
    await files.text();
    expectUpstreamEdits(openai.requests.at(-1)!.headers);
    expectAnswerEdits(files.headers);
  });

  test("an upstream error answer carries the edits too; a header the route removes never reaches the client", async () => {
    openai.script(() => Response.json({ error: { message: "boom", type: "api_error", param: null, code: null } }, { status: 500, headers: { "x-upstream-secret": "internal" } }));
    try {
      const err = await client().chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expectAnswerEdits(err.headers);
      const res = await fetch(`${gw.baseURL()}/files`);
      expect(res.status).toBe(500);
      expectAnswerEdits(res.headers);
      expect(res.headers.get("x-upstream-secret")).toBeNull();
    } finally {
      openai.script(undefined);
    }
  });
});

describe("translated backend (Anthropic)", () => {
  test("the translated chat answer and stream carry the backend's and the route's edits", async () => {
    const client = openaiClient(`${gw.origin()}/anthropic/v1`);
    anthropic.enqueue(turn(s.plainText), turn(s.plainText));
    const chat = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }, { headers: clientHeaders }).withResponse();
    expect(chat.data.choices[0]!.message.content).toBe("Hello! How can I help you today?");
    expectUpstreamEdits(anthropic.requests.at(-1)!.headers);
    expectAnswerEdits(chat.response.headers);
    const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }, { headers: clientHeaders }).withResponse();
    let text = "";
    for await (const c of stream.data) text += c.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello! How can I help you today?");
    expectAnswerEdits(stream.response.headers);
  });
});
