/**
 * Body fields computed by CEL, over real HTTP with the SDK: `ai.transformations` before
 * translation (reading the body and the caller's headers, a null or failing value removing the
 * field, defaults coming back after), `ai.finalTransformations` on the translated body (Bedrock's
 * Converse body, still correctly signed), and the `llm:` form's `transformation` /
 * `finalTransformation`, the README's `stripPrefix` example included.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startBedrockEmulator, TEST_CREDENTIALS, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, startTestGateway, type ProviderGateway, type TestGateway } from "../../helpers/gateway.ts";

let openai: OpenAIEmulator;
let bedrock: BedrockEmulator;
let viaOpenAI: ProviderGateway;
let viaBedrock: ProviderGateway;
let llm: TestGateway;

const AI = `
  ai:
    overrides: {temperature: 0.5}
    defaults: {top_p: 0.9}
    transformations:
      user: 'request.headers["x-team"] + ":" + llmRequest.model'
      max_tokens: 'llmRequest.max_tokens * 2'
      top_p: 'null'
      seed: 'llmRequest.no_such_field'
      metadata: '{"temperature_seen": llmRequest.temperature}'
`;

beforeAll(async () => {
  openai = startOpenAIEmulator();
  bedrock = startBedrockEmulator();
  viaOpenAI = await gatewayFor("openAI", openai, { policies: AI });
  viaBedrock = await gatewayFor("bedrock", bedrock, {
    settings: { region: "us-east-1", model: "us.anthropic.claude-sonnet-4-20250514-v1:0" },
    auth: { aws: TEST_CREDENTIALS },
    policies: `
  ai:
    finalTransformations:
      additionalModelRequestFields: '{"top_k": 5}'
      inferenceConfig: 'llmRequest.inferenceConfig'
`,
  });
  llm = await startTestGateway(`
llm:
  port: 0
  models:
  - name: "team/*"
    provider: openAI
    params: {baseUrl: "http://${openai.host}/v1", apiKey: sk-upstream}
    transformation:
      model: 'llmRequest.model.stripPrefix("team/")'
      max_tokens: 'min(llmRequest.max_tokens, 10)'
    finalTransformation:
      service_tier: '"flex"'
`);
});
afterAll(async () => {
  await viaOpenAI.stop();
  await viaBedrock.stop();
  await llm.stop();
  await openai.stop();
  await bedrock.stop();
});

describe("ai.transformations", () => {
  test("fields computed from the body and the headers; null and failing values remove the field; defaults come after", async () => {
    const client = new OpenAI({ baseURL: viaOpenAI.baseURL(), apiKey: "x", maxRetries: 0, defaultHeaders: { "x-team": "blue" } });
    await client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 100, seed: 7, messages: [{ role: "user", content: "hi" }] });
    const sent = openai.lastJson();
    expect(sent.user).toBe("blue:gpt-4o-mini");
    expect(sent.max_tokens).toBe(200);
    expect(sent.temperature).toBe(0.5); // the override, which the transformation saw
    expect(sent.metadata).toEqual({ temperature_seen: 0.5 });
    expect("seed" in sent).toBe(false); // failed to evaluate: removed
    expect(sent.top_p).toBe(0.9); // removed by null, then the default
    expect(sent.messages).toEqual([{ role: "user", content: "hi" }]);
  });
});

describe("ai.finalTransformations", () => {
  test("on the translated (Converse) body, before it is signed: Bedrock accepts the signature", async () => {
    const r = await viaBedrock.client.chat.completions.create({ model: "claude", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]!.message.content).toBeTruthy();
    const sent = bedrock.requests.at(-1)!;
    const body = JSON.parse(sent.body);
    expect(body.additionalModelRequestFields).toEqual({ top_k: 5 });
    expect(body.inferenceConfig).toEqual({ maxTokens: 64 });
    expect(body.messages[0].content[0]).toEqual({ text: "hi" });
  });
});

describe("llm: transformation and finalTransformation", () => {
  test("the model's prefix stripped by CEL; a field set on the upstream body", async () => {
    const client = new OpenAI({ baseURL: `${llm.origin()}/v1`, apiKey: "x", maxRetries: 0 });
    await client.chat.completions.create({ model: "team/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    const sent = openai.lastJson();
    expect(sent.model).toBe("gpt-4o-mini");
    expect(sent.service_tier).toBe("flex");
  });

  test("agentgateway's min() caps a field (its docs' max_tokens example); a missing field stays absent", async () => {
    const client = new OpenAI({ baseURL: `${llm.origin()}/v1`, apiKey: "x", maxRetries: 0 });
    await client.chat.completions.create({ model: "team/gpt-4o-mini", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
    expect(openai.lastJson().max_tokens).toBe(10);
    await client.chat.completions.create({ model: "team/gpt-4o-mini", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
    expect(openai.lastJson().max_tokens).toBe(5);
    await client.chat.completions.create({ model: "team/gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect("max_tokens" in openai.lastJson()).toBe(false);
  });

  test("a bad expression is a config error naming the field", async () => {
    const bad = startTestGateway(`
llm:
  port: 0
  models:
  - name: "*"
    provider: openAI
    params: {baseUrl: "http://${openai.host}/v1"}
    transformation:
      model: 'llmRequest.model +'
`);
    // located at the field the user wrote (not the ai policy it compiles to)
    await expect(bad).rejects.toThrow(/test\.yaml:9:14 at llm\.models\[0\]\.transformation\.model: invalid CEL expression "llmRequest\.model \+"/);
  });
});
