/**
 * What reaches the provider, over real HTTP with the SDK: `ai.prompts` (prepend / append, system
 * messages in each provider's system field) and `ai.promptCaching` (markers where agentgateway
 * puts them, as Anthropic `cache_control` and Bedrock `cachePoint`; none for OpenAI, which does
 * not take them).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startBedrockEmulator, TEST_CREDENTIALS, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";
import * as anthropic from "../providers/anthropic/scripts.ts";

const AI = `
  ai:
    prompts:
      prepend: [{role: system, content: "You are terse."}]
      append: [{role: user, content: "Answer in French."}]
    promptCaching: {minTokens: 0, cacheTools: true}
`;

let claude: AnthropicEmulator;
let bedrock: BedrockEmulator;
let openai: OpenAIEmulator;
const gws: ProviderGateway[] = [];
let viaClaude: ProviderGateway;
let viaBedrock: ProviderGateway;
let viaOpenAI: ProviderGateway;

beforeAll(async () => {
  claude = startAnthropicEmulator();
  bedrock = startBedrockEmulator();
  openai = startOpenAIEmulator();
  viaClaude = await gatewayFor("anthropic", claude, { ...anthropic.PINNED, policies: AI });
  viaBedrock = await gatewayFor("bedrock", bedrock, { settings: { region: "us-east-1", model: "us.anthropic.claude-sonnet-4-20250514-v1:0" }, auth: { aws: TEST_CREDENTIALS }, policies: AI });
  viaOpenAI = await gatewayFor("openAI", openai, { policies: AI });
  gws.push(viaClaude, viaBedrock, viaOpenAI);
});
afterAll(async () => {
  for (const g of gws) await g.stop();
  await claude.stop();
  await bedrock.stop();
  await openai.stop();
});

const conversation = [
  { role: "system" as const, content: "Company policy applies." },
  { role: "user" as const, content: "What is 2+2?" },
  { role: "assistant" as const, content: "4" },
  { role: "user" as const, content: "And 3+3?" },
];
const tools = [
  { type: "function" as const, function: { name: "calc", parameters: { type: "object", properties: {} } } },
  { type: "function" as const, function: { name: "search", parameters: { type: "object", properties: {} } } },
];

describe("prompts and cache markers", () => {
  test("Anthropic: prepended system text in `system`, appended turn last; markers on the last system block, the history, the last tool", async () => {
    claude.script(() => turn(anthropic.plainText));
    await viaClaude.client.chat.completions.create({ model: "m", messages: conversation, tools });
    const body = claude.lastJson();
    expect(body.system).toEqual([
      { type: "text", text: "You are terse." },
      { type: "text", text: "Company policy applies.", cache_control: { type: "ephemeral" } },
    ]);
    // user "2+2", assistant "4", user "3+3" + appended "Answer in French." (merged into the last user turn)
    expect(body.messages).toHaveLength(3);
    expect(body.messages[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "4", cache_control: { type: "ephemeral" } }] });
    expect(JSON.stringify(body.messages[2])).toContain("Answer in French.");
    expect(body.tools.at(-1)).toMatchObject({ name: "search", cache_control: { type: "ephemeral" } });
    expect(body.tools[0].cache_control).toBeUndefined();
  });

  test("Bedrock: the same markers as cachePoint blocks", async () => {
    await viaBedrock.client.chat.completions.create({ model: "m", messages: conversation, tools });
    const body = bedrock.requests.at(-1)!.json;
    expect(body.system).toEqual([{ text: "You are terse." }, { text: "Company policy applies." }, { cachePoint: { type: "default" } }]);
    expect(body.messages[1].content).toEqual([{ text: "4" }, { cachePoint: { type: "default" } }]);
    expect(body.toolConfig.tools.at(-1)).toEqual({ cachePoint: { type: "default" } });
  });

  test("OpenAI: prompts applied, no markers (OpenAI caches on its own and takes none)", async () => {
    await viaOpenAI.client.chat.completions.create({ model: "m", messages: conversation, tools });
    const body = openai.lastJson();
    expect(body.messages[0]).toEqual({ role: "system", content: "You are terse." });
    expect(body.messages.at(-1)).toEqual({ role: "user", content: "Answer in French." });
    expect(JSON.stringify(body)).not.toContain("cache_control");
  });

  test("minTokens gates the system marker; the client's own markers are kept and counted", async () => {
    const { compilePromptCaching } = await import("../../../src/llm/shaping/prompt-caching.ts");
    const { bodyDraft } = await import("../../../src/policies/chain.ts");
    const mark = compilePromptCaching({ minTokens: 5 })!;
    const draft = bodyDraft({ messages: [{ role: "system", content: "short" }, { role: "user", content: "a" }, { role: "assistant", content: "x" }, { role: "tool", content: "r" }, { role: "user", content: "b", cache_control: { type: "ephemeral", ttl: "1h" } }] });
    mark(draft);
    const messages = draft.body.messages as Record<string, unknown>[];
    expect(messages[0]!.cache_control).toBeUndefined();
    expect(messages[1]!.cache_control).toBeUndefined();
    expect(messages[2]!.cache_control).toEqual({ type: "ephemeral" }); // the tool result joins the user's last turn
    expect(messages[4]!.cache_control).toEqual({ type: "ephemeral", ttl: "1h" });
  });
});
