/**
 * Rules every translated provider applies the same way, shown over HTTP with the OpenAI SDK
 * against each provider's emulator: `reasoning_effort` (one Claude budget table, one answer to an
 * unknown effort), data URLs (one parser: base64 only), tool-call arguments and `n`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../emulators/anthropic.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../emulators/bedrock.ts";
import { GEMINI_TEST_KEY, startGeminiEmulator, type GeminiEmulator } from "../emulators/gemini.ts";
import { gatewayFor, openaiClient, startTestGateway, type ProviderGateway, type TestGateway } from "../helpers/gateway.ts";
import * as anthropicScripts from "./providers/anthropic/scripts.ts";
import * as bedrockScripts from "./providers/bedrock/scripts.ts";

/** One provider behind the gateway: a client, and what its upstream received. */
interface Target {
  name: string;
  client: OpenAI;
  /** requests the upstream has received so far */
  received(): number;
  /** queues an ordinary answer (emulators that answer by default ignore this) */
  answer(): void;
}

let anthropicEmu: AnthropicEmulator;
let anthropic: ProviderGateway;
let bedrockEmu: BedrockEmulator;
let bedrock: ProviderGateway;
let vertexClaudeEmu: AnthropicEmulator;
let vertexClaude: TestGateway;
let geminiEmu: GeminiEmulator;
let gemini: ProviderGateway;
let vertexGemini: TestGateway;
let targets: Target[];

/** A Vertex backend on an emulator; a static Google access token as the bearer (no token server needed). */
function vertexConfig(host: string, model: string): string {
  return `
binds:
- port: 0
  listeners:
  - routes:
    - policies:
        backendAuth:
          key: ya29.test-access-token
      backends:
      - ai:
          name: vertex
          hostOverride: ${host}
          provider:
            vertex: {projectId: my-project, region: us-east5, model: ${model}}
`;
}

beforeAll(async () => {
  anthropicEmu = startAnthropicEmulator();
  anthropic = await gatewayFor("anthropic", anthropicEmu, anthropicScripts.PINNED);
  bedrockEmu = startBedrockEmulator();
  bedrock = await gatewayFor("bedrock", bedrockEmu, bedrockScripts.PINNED);
  vertexClaudeEmu = startAnthropicEmulator();
  vertexClaude = await startTestGateway(vertexConfig(vertexClaudeEmu.host, "claude-sonnet-4-20250514"));
  geminiEmu = startGeminiEmulator();
  gemini = await gatewayFor("gemini", geminiEmu, { auth: { key: GEMINI_TEST_KEY } });
  vertexGemini = await startTestGateway(vertexConfig(geminiEmu.host, "gemini-2.5-flash"));
  targets = [
    { name: "anthropic", client: anthropic.client, received: () => anthropicEmu.requests.length, answer: () => anthropicEmu.enqueue(turn(anthropicScripts.plainText)) },
    { name: "vertex (claude)", client: openaiClient(vertexClaude.baseURL()), received: () => vertexClaudeEmu.requests.length, answer: () => vertexClaudeEmu.enqueue(turn(anthropicScripts.plainText)) },
    { name: "bedrock", client: bedrock.client, received: () => bedrockEmu.requests.length, answer: () => bedrockEmu.script(() => ({ events: bedrockScripts.text })) },
    { name: "gemini", client: gemini.client, received: () => geminiEmu.requests.length, answer: () => {} },
    { name: "vertex (gemini)", client: openaiClient(vertexGemini.baseURL()), received: () => geminiEmu.requests.length, answer: () => {} },
  ];
});

afterAll(async () => {
  await anthropic?.stop();
  await anthropicEmu?.stop();
  await bedrock?.stop();
  await bedrockEmu?.stop();
  await vertexClaude?.stop();
  await vertexClaudeEmu?.stop();
  await gemini?.stop();
  await vertexGemini?.stop();
  geminiEmu?.stop();
});

const ask = [{ role: "user" as const, content: "How many r's in strawberry?" }];
const target = (name: string) => targets.find((t) => t.name === name)!;

/** A request body the SDK's types would refuse (bad values are the point of these tests). */
function params(body: Record<string, unknown>): OpenAI.ChatCompletionCreateParamsNonStreaming {
  return { model: "m", ...body } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming;
}

/** Sends `extra` on `t`, expecting a 400; returns the error and whether anything went upstream. */
async function refused(t: Target, extra: Record<string, unknown>) {
  const before = t.received();
  const err = await t.client.chat.completions.create(params({ messages: ask, ...extra })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.BadRequestError);
  return { err: err as InstanceType<typeof OpenAI.BadRequestError>, sentUpstream: t.received() !== before };
}

describe("reasoning_effort", () => {
  test("xhigh asks Claude for the same budget (8192 tokens) via Anthropic, Claude on Vertex and Bedrock", async () => {
    for (const name of ["anthropic", "vertex (claude)", "bedrock"]) {
      const t = target(name);
      t.answer();
      await t.client.chat.completions.create({ model: "m", messages: ask, reasoning_effort: "xhigh" });
    }
    const expected = { type: "enabled", budget_tokens: 8192 };
    expect(anthropicEmu.lastJson().thinking).toEqual(expected);
    expect(vertexClaudeEmu.lastJson().thinking).toEqual(expected);
    expect(bedrockEmu.lastJson().additionalModelRequestFields).toEqual({ thinking: expected });
    // without a client cap, every route leaves the default 4096 for the answer after the budget
    expect(anthropicEmu.lastJson().max_tokens).toBe(4096 + 8192);
    expect(vertexClaudeEmu.lastJson().max_tokens).toBe(4096 + 8192);
    expect(bedrockEmu.lastJson().inferenceConfig.maxTokens).toBe(4096 + 8192);
  });

  test("every effort gets the same Claude budget on Anthropic and Bedrock; none asks for no thinking", async () => {
    const budgets: Record<string, number | undefined> = { none: undefined, minimal: 1024, low: 1024, medium: 2048, high: 4096, xhigh: 8192, max: 16384 };
    for (const [effort, budget] of Object.entries(budgets)) {
      const thinking = budget === undefined ? undefined : { type: "enabled", budget_tokens: budget };
      target("anthropic").answer();
      await anthropic.client.chat.completions.create(params({ messages: ask, reasoning_effort: effort }));
      expect(anthropicEmu.lastJson().thinking).toEqual(thinking);
      target("bedrock").answer();
      await bedrock.client.chat.completions.create(params({ messages: ask, reasoning_effort: effort }));
      expect(bedrockEmu.lastJson().additionalModelRequestFields).toEqual(thinking && { thinking });
    }
  });

  test("a cap at or below the thinking budget is the same 400 on Anthropic and Bedrock, naming the client's parameter", async () => {
    for (const name of ["anthropic", "bedrock"]) {
      const { err, sentUpstream } = await refused(target(name), { reasoning_effort: "high", max_completion_tokens: 4096 });
      expect(err.param).toBe("max_completion_tokens");
      expect(err.message).toContain("thinking budget (4096 tokens)");
      expect(sentUpstream).toBe(false);
    }
  });

  test("an unknown effort is a 400 on every provider, naming reasoning_effort and the accepted values; nothing goes upstream", async () => {
    for (const t of targets) {
      for (const effort of ["extreme", "HIGH", 3]) {
        const { err, sentUpstream } = await refused(t, { reasoning_effort: effort });
        expect([t.name, err.param]).toEqual([t.name, "reasoning_effort"]);
        expect(err.code).toBe("invalid_value");
        expect(err.message).toContain("Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh' and 'max'");
        expect([t.name, sentUpstream]).toEqual([t.name, false]);
      }
    }
  });
});

describe("data URLs", () => {
  test("a data URL that is not base64 is the same 400 on every provider, naming the field; nothing goes upstream", async () => {
    for (const t of targets) {
      const content = [{ type: "image_url", image_url: { url: "data:image/svg+xml,%3Csvg%2F%3E" } }];
      const { err, sentUpstream } = await refused(t, { messages: [{ role: "user", content }] });
      expect([t.name, err.param]).toEqual([t.name, "messages[0].content[0].image_url.url"]);
      expect(err.message).toContain("data URLs must be base64-encoded");
      expect([t.name, sentUpstream]).toEqual([t.name, false]);
    }
  });

  test("a base64 data URL with parameters and an upper-case media type reaches every provider the same way", async () => {
    const url = "data:IMAGE/PNG;name=dot.png;base64,iVBORw0KGgo=";
    for (const t of targets) {
      t.answer();
      await t.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }] });
    }
    const claudeImage = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } };
    expect(anthropicEmu.lastJson().messages).toEqual([{ role: "user", content: [claudeImage] }]);
    expect(vertexClaudeEmu.lastJson().messages).toEqual([{ role: "user", content: [claudeImage] }]);
    expect(bedrockEmu.lastJson().messages[0].content).toEqual([{ image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } }]);
    const geminiParts = geminiEmu.requests.slice(-2).map((r) => (r.json as { contents: { parts: unknown[] }[] }).contents[0]!.parts);
    expect(geminiParts).toEqual([[{ inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }], [{ inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } }]]);
  });
});

describe("tool-call arguments and n", () => {
  const history = (args: string) => [
    { role: "user", content: "Weather?" },
    { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "weather", arguments: args } }] },
    { role: "tool", tool_call_id: "call_1", content: "sunny" },
  ];

  test("arguments that are not a JSON object are the same 400 on every provider, naming the field", async () => {
    for (const t of targets) {
      for (const [args, message] of [["{oops", "is not valid JSON"], ["[1,2]", "must encode a JSON object"]]) {
        const { err, sentUpstream } = await refused(t, { messages: history(args!) });
        expect([t.name, err.param]).toEqual([t.name, "messages[1].tool_calls[0].function.arguments"]);
        expect(err.message).toContain(message!);
        expect([t.name, sentUpstream]).toEqual([t.name, false]);
      }
    }
  });

  test("blank arguments are an empty object everywhere", async () => {
    for (const t of targets) {
      t.answer();
      await t.client.chat.completions.create(params({ messages: history(" ") }));
    }
    const toolUse = { type: "tool_use", id: "call_1", name: "weather", input: {} };
    expect((anthropicEmu.lastJson().messages as { content: unknown[] }[])[1]!.content).toEqual([toolUse]);
    expect(bedrockEmu.lastJson().messages[1].content).toEqual([{ toolUse: { toolUseId: "call_1", name: "weather", input: {} } }]);
    const calls = geminiEmu.requests.slice(-2).map((r) => (r.json as { contents: { parts: { functionCall?: { args: unknown } }[] }[] }).contents[1]!.parts[0]!.functionCall!.args);
    expect(calls).toEqual([{}, {}]);
  });

  test("n other than 1 is the same 400 on every provider", async () => {
    for (const t of targets) {
      for (const n of [0, 2]) {
        const { err, sentUpstream } = await refused(t, { n });
        expect([t.name, err.param, err.code]).toEqual([t.name, "n", "unsupported_value"]);
        expect(err.message).toContain("'n' must be 1");
        expect([t.name, sentUpstream]).toEqual([t.name, false]);
      }
    }
  });
});
