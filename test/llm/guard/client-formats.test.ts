/**
 * Guards and prompt enrichment are not only for OpenAI clients: the Anthropic SDK gets its
 * requests masked and its answers (whole and streamed) masked on an OpenAI-format provider, and
 * on Anthropic itself, where a target with guards or prompts goes through the hub instead of the
 * native passthrough (which would skip them).
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";
import { openaiJson, openaiTextStream } from "../formats/scripts.ts";
import * as anthropic from "../providers/anthropic/scripts.ts";

const POLICIES = `
  ai:
    prompts:
      prepend: [{role: system, content: "Answer in French."}]
    promptGuard:
      streaming: Enabled
      request:
      - regex: {action: mask, rules: [{builtin: email}]}
      response:
      - regex: {rules: [{builtin: creditCard}]}
`;

const client = (gw: ProviderGateway) => new Anthropic({ baseURL: gw.origin(), apiKey: "sk-ant-client", maxRetries: 0 });
const ask = { model: "claude-x", max_tokens: 256, messages: [{ role: "user" as const, content: "Mail ana@example.com my card" }] };

async function streamedText(gw: ProviderGateway): Promise<string> {
  let text = "";
  const stream = client(gw).messages.stream(ask);
  stream.on("text", (t) => (text += t));
  await stream.finalMessage();
  return text;
}

describe("Anthropic client on an OpenAI-format provider", () => {
  let emu: OpenAIEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await gatewayFor("openAI", emu, { settings: { model: "gpt-4o-mini" }, auth: { key: "sk-gateway" }, policies: POLICIES });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("the request is masked and prepended; the whole answer is masked", async () => {
    emu.enqueue(openaiJson({ content: "Card 4111 1111 1111 1111 noted." }, "stop"));
    const msg = await client(gw).messages.create(ask);
    expect(msg.content[0]).toMatchObject({ type: "text", text: "Card <CREDIT_CARD> noted." });
    const sent = emu.lastJson().messages;
    expect(sent[0]).toMatchObject({ role: "system" });
    expect(JSON.stringify(sent[0].content)).toContain("Answer in French.");
    expect(JSON.stringify(sent.at(-1).content)).toContain("Mail <EMAIL> my card");
  });

  test("a streamed answer is masked, with the card split between chunks", async () => {
    emu.enqueue(openaiTextStream(["Card 4111 11", "11 1111 1111 noted."]));
    expect(await streamedText(gw)).toBe("Card <CREDIT_CARD> noted.");
  });
});

describe("Anthropic client on Anthropic: guards force the hub instead of the native passthrough", () => {
  let claude: AnthropicEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    claude = startAnthropicEmulator();
    gw = await gatewayFor("anthropic", claude, { ...anthropic.PINNED, policies: POLICIES });
  });
  afterAll(async () => {
    await gw.stop();
    await claude.stop();
  });

  test("request masked, system prompt added, streamed answer masked", async () => {
    const events = [anthropic.messageStart("msg_1", { input_tokens: 5 }), anthropic.textStart(0), anthropic.text(0, "card 4111 1111 "), anthropic.text(0, "1111 1111 ok"), anthropic.stop(0), anthropic.messageDelta("end_turn", { output_tokens: 9 }), anthropic.messageStop];
    claude.script(() => turn(events));
    expect(await streamedText(gw)).toBe("card <CREDIT_CARD> ok");
    const sent = claude.lastJson();
    expect(JSON.stringify(sent.system)).toContain("Answer in French.");
    expect(JSON.stringify(sent.messages)).toContain("Mail <EMAIL> my card");
    expect(JSON.stringify(sent.messages)).not.toContain("ana@example.com");
    claude.script(undefined);
  });
});
