/**
 * Anthropic-format clients on an anthropic backend pass through natively (`/v1/messages`), and an
 * unpinned backend lists Anthropic's own models on `GET /v1/models` in the OpenAI shape.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { encodeEvents, startAnthropicEmulator, turn, type AnthropicEmulator } from "../../../emulators/anthropic.ts";
import { gatewayFor, type ProviderGateway } from "../../../helpers/gateway.ts";
import * as s from "./scripts.ts";

let emu: AnthropicEmulator;
let pinned: ProviderGateway;
let open: ProviderGateway;
beforeAll(async () => {
  emu = startAnthropicEmulator();
  pinned = await gatewayFor("anthropic", emu, s.PINNED);
  open = await gatewayFor("anthropic", emu, { auth: s.PINNED.auth });
});
afterAll(async () => {
  await pinned.stop();
  await open.stop();
  await emu.stop();
});

test("POST /v1/messages streams through untouched, with the pinned model and the backend key", async () => {
  emu.enqueue(turn(s.parallelTools));
  const res = await fetch(`${pinned.origin()}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "client-key", "anthropic-version": "2023-06-01", "anthropic-beta": "fine-grained-tool-streaming-2025-05-14" },
    body: JSON.stringify({ model: "claude-3-haiku-20240307", max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(res.status).toBe(200);
  expect(await res.text()).toBe(encodeEvents(s.parallelTools));
  const req = emu.requests.at(-1)!;
  expect(req.path + req.query).toBe("/v1/messages");
  expect(req.json).toEqual({ model: s.MODEL, max_tokens: 100, stream: true, messages: [{ role: "user", content: "hi" }] });
  expect(req.headers.get("x-api-key")).toBe("sk-ant-api03-test-key");
  expect(req.headers.get("anthropic-beta")).toBe("fine-grained-tool-streaming-2025-05-14");
});

test("GET /v1/models on an unpinned backend: Anthropic's list in the OpenAI shape", async () => {
  const models = await open.client.models.list();
  expect(models.data).toEqual([
    { id: "claude-opus-4-1-20250805", object: "model", created: Date.parse("2025-08-05T00:00:00Z") / 1000, owned_by: "anthropic" },
    { id: "claude-sonnet-4-20250514", object: "model", created: Date.parse("2025-05-22T00:00:00Z") / 1000, owned_by: "anthropic" },
  ]);
  const req = emu.requests.at(-1)!;
  expect(req.path + req.query).toBe("/v1/models?limit=1000");
  expect(req.headers.get("x-api-key")).toBe("sk-ant-api03-test-key");
  expect(req.headers.get("anthropic-version")).toBe("2023-06-01");
});

test("an unpinned backend sends the client's model", async () => {
  emu.enqueue(turn(s.plainText));
  await open.client.chat.completions.create({ model: "claude-opus-4-1-20250805", messages: [{ role: "user", content: "hi" }] });
  expect(emu.requests.at(-1)!.json.model).toBe("claude-opus-4-1-20250805");
});
