/**
 * Assistant content as a list of parts (Mistral's reasoning models: thinking parts, then text;
 * docs.mistral.ai "Reasoning"), read for clients of other formats: the Anthropic SDK gets the
 * thinking as a thinking block and the text as text, streamed and whole. Before, content that
 * was not a string was dropped: the answer came back empty.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";
import { openaiJson, openaiSse } from "./scripts.ts";

const THOUGHT = "The user wants 2+2. That is 4.";
const think = (text: string) => [{ type: "thinking", thinking: [{ type: "text", text }] }];

let emu: OpenAIEmulator;
let gw: ProviderGateway;
let anthropic: Anthropic;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  gw = await gatewayFor("openAI", emu);
  anthropic = new Anthropic({ baseURL: gw.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

const params = { model: "mistral-medium-3-5", max_tokens: 200, messages: [{ role: "user" as const, content: "What is 2+2?" }] };

test("streamed: thinking parts while the model thinks, then string fragments", async () => {
  // as Mistral streams it: deltas of thinking parts, then plain content strings
  emu.script(() => openaiSse([{ content: think("The user wants 2+2.") }, { content: think(" That is 4.") }, { content: "2+2 " }, { content: "= 4." }], "stop", undefined, "mistral-medium-3-5"));
  const message = await anthropic.messages.stream(params).finalMessage();
  expect(message.content.map((b) => b.type)).toEqual(["thinking", "text"]);
  expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe(THOUGHT);
  expect((message.content[1] as Anthropic.TextBlock).text).toBe("2+2 = 4.");
  emu.script(undefined);
});

test("whole: a content list with a thinking part and a text part", async () => {
  emu.script(() => openaiJson({ content: [...think(THOUGHT), { type: "text", text: "2+2 = 4." }] }, "stop", "mistral-medium-3-5"));
  const message = await anthropic.messages.create(params);
  expect(message.content.map((b) => b.type)).toEqual(["thinking", "text"]);
  expect((message.content[0] as Anthropic.ThinkingBlock).thinking).toBe(THOUGHT);
  expect((message.content[1] as Anthropic.TextBlock).text).toBe("2+2 = 4.");
  emu.script(undefined);
});
