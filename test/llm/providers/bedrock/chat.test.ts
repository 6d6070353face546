/**
 * Chat completions through a `bedrock` backend, with the official OpenAI SDK as the client:
 * answers, streams, usage, stop reasons, ids, and the Converse bodies Bedrock received.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startBedrockEmulator, type BedrockEmulator } from "../../../emulators/bedrock.ts";
import { accessLogs, eventually, gatewayFor, providerSuite } from "../../../helpers/gateway.ts";
import { collect } from "./collect.ts";
import * as scripts from "./scripts.ts";

const t = providerSuite("bedrock", startBedrockEmulator, scripts.PINNED);

const ask = (content = "What is the capital of France?") => [{ role: "user" as const, content }];

describe("text", () => {
  test("non-streaming: a chat.completion with Bedrock's request id, the pinned model, mapped usage", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    const res = await t.gw.client.chat.completions.create({ model: "my-app-model", messages: ask() });
    expect(res.object).toBe("chat.completion");
    expect(res.id).toBe(t.emu.requestIds.at(-1)!);
    expect(res.model).toBe(scripts.MODEL);
    expect(res.choices[0]!.message).toMatchObject({ role: "assistant", content: "The capital of France is Paris." });
    expect(res.choices[0]!.finish_reason).toBe("stop");
    expect(res.usage).toMatchObject({ prompt_tokens: 14, completion_tokens: 8, total_tokens: 22, prompt_tokens_details: { cached_tokens: 0 } });
    const req = t.emu.requests.at(-1)!;
    expect(req.operation).toBe("converse");
    expect(req.modelId).toBe(scripts.MODEL);
    expect(req.path).toBe("/model/us.anthropic.claude-sonnet-4-20250514-v1%3A0/converse");
  });

  test("streaming: role first, content deltas, finish, usage chunk when asked, one id throughout", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    const stream = await t.gw.client.chat.completions.create({ model: "m", messages: ask(), stream: true, stream_options: { include_usage: true } });
    const out = await collect(stream);
    expect(out.content).toBe("The capital of France is Paris.");
    expect(out.chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(out.finish).toBe("stop");
    expect(out.usage).toMatchObject({ prompt_tokens: 14, completion_tokens: 8, total_tokens: 22 });
    expect(out.chunks.at(-1)!.choices).toEqual([]);
    expect(new Set(out.chunks.map((c) => c.id))).toEqual(new Set([t.emu.requestIds.at(-1)!]));
    expect(t.emu.requests.at(-1)!.operation).toBe("converse-stream");
    expect(t.emu.requests.at(-1)!.headers.get("accept")).toBe("application/vnd.amazon.eventstream");
  });

  test("streaming without include_usage: no usage chunk, usage still logged", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    // a model name of its own, so its access-log line cannot be confused with earlier ones of the same script
    const out = await collect(await t.gw.client.chat.completions.create({ model: "stream-without-usage", messages: ask(), stream: true }));
    expect(out.content).toBe("The capital of France is Paris.");
    expect(out.usage).toBeUndefined();
    expect(out.chunks.every((c) => c.choices.length === 1)).toBe(true);
    const line = await eventually(() => accessLogs(t.gw).find((l) => l["gen_ai.request.model"] === "stream-without-usage"));
    expect(line).toMatchObject({ "gen_ai.provider.name": "aws.bedrock", "gen_ai.usage.input_tokens": 14, "gen_ai.usage.output_tokens": 8 });
  });

  test("metadata before messageStop: finish chunk still precedes the usage chunk", async () => {
    t.emu.script(() => ({ events: scripts.metadataFirst }));
    const out = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: ask("hi"), stream: true, stream_options: { include_usage: true } }));
    const finishAt = out.chunks.findIndex((c) => c.choices[0]?.finish_reason);
    const usageAt = out.chunks.findIndex((c) => c.usage);
    expect(finishAt).toBeGreaterThan(-1);
    expect(usageAt).toBeGreaterThan(finishAt);
    expect(out.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2 });
  });

  test("frames split at arbitrary bytes arrive intact", async () => {
    for (const splitEvery of [1, 7, 50]) {
      t.emu.script(() => ({ events: scripts.text, splitEvery }));
      const out = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: ask(), stream: true }));
      expect(out.content).toBe("The capital of France is Paris.");
      expect(out.finish).toBe("stop");
    }
  });

  test("prompt-cache reads and writes count inside prompt_tokens, cached_tokens = reads", async () => {
    t.emu.script(() => ({ events: scripts.cached }));
    const res = await t.gw.client.chat.completions.create({ model: "m", messages: ask() });
    expect(res.usage).toMatchObject({ prompt_tokens: 2010, completion_tokens: 3, total_tokens: 2013, prompt_tokens_details: { cached_tokens: 1800 } });
    expect((res.usage!.prompt_tokens_details as Record<string, number>).cache_write_tokens).toBe(200);
  });
});

describe("stop reasons", () => {
  test("max_tokens -> length, in both modes", async () => {
    t.emu.script(() => ({ events: scripts.maxTokens }));
    const res = await t.gw.client.chat.completions.create({ model: "m", messages: ask("Tell me a story"), max_tokens: 10 });
    expect(res.choices[0]!.finish_reason).toBe("length");
    expect(t.emu.lastJson().inferenceConfig).toEqual({ maxTokens: 10 });
    const out = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: ask("Tell me a story"), max_completion_tokens: 10, stream: true }));
    expect(out.finish).toBe("length");
    expect(out.content).toBe("Once upon a time, in a land far");
  });
});

describe("request translation", () => {
  test("system, parameters and images reach Converse in its own shape", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
    await t.gw.client.chat.completions.create({
      model: "m",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "developer", content: [{ type: "text", text: "Answer in English." }] },
        { role: "user", content: [{ type: "text", text: "What is in this image?" }, { type: "image_url", image_url: { url: `data:image/png;base64,${png}` } }] },
      ],
      temperature: 0.2,
      top_p: 0.9,
      stop: ["\n\nHuman:"],
      max_tokens: 300,
      frequency_penalty: 0.5,
      seed: 7,
      user: "u-123",
    });
    expect(t.emu.lastJson()).toEqual({
      system: [{ text: "You are terse." }, { text: "Answer in English." }],
      messages: [{ role: "user", content: [{ text: "What is in this image?" }, { image: { format: "png", source: { bytes: png } } }] }],
      inferenceConfig: { maxTokens: 300, temperature: 0.2, topP: 0.9, stopSequences: ["\n\nHuman:"] },
    });
  });

  test("Anthropic-style cache_control becomes cachePoint blocks (system, message, tools)", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    await t.gw.client.chat.completions.create({
      model: "m",
      messages: [
        { role: "system", content: [{ type: "text", text: "Long policy document...", cache_control: { type: "ephemeral" } }] },
        { role: "user", content: [{ type: "text", text: "Question?", cache_control: { type: "ephemeral" } }] },
      ] as never,
      tools: [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } }, cache_control: { type: "ephemeral" } }] as never,
    });
    const body = t.emu.lastJson();
    expect(body.system).toEqual([{ text: "Long policy document..." }, { cachePoint: { type: "default" } }]);
    expect(body.messages[0].content).toEqual([{ text: "Question?" }, { cachePoint: { type: "default" } }]);
    expect(body.toolConfig.tools[1]).toEqual({ cachePoint: { type: "default" } });
  });

  test("n > 1 is refused with a 400 that says why", async () => {
    const err = await t.gw.client.chat.completions.create({ model: "m", messages: ask(), n: 2 }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.message).toContain("'n' must be 1");
  });

  test("a web image URL is refused: Bedrock needs the bytes", async () => {
    const err = await t.gw.client.chat.completions
      .create({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/cat.png" } }] }] })
      .catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.message).toContain("data: URL");
  });

  test("reasoning_effort becomes Claude's thinking budget", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    await t.gw.client.chat.completions.create({ model: "m", messages: ask(), reasoning_effort: "medium" });
    expect(t.emu.lastJson().additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 } });
  });

  test("response_format json_schema becomes outputConfig.textFormat", async () => {
    t.emu.script(() => ({ events: scripts.text }));
    const schema = { type: "object", properties: { capital: { type: "string" } }, required: ["capital"] };
    await t.gw.client.chat.completions.create({ model: "m", messages: ask(), response_format: { type: "json_schema", json_schema: { name: "answer", schema } } });
    expect(t.emu.lastJson().outputConfig).toEqual({ textFormat: { type: "json_schema", structure: { jsonSchema: { schema: JSON.stringify(schema), name: "answer" } } } });
  });
});

describe("model ids", () => {
  test("plain ids, inference profiles and ARNs are URL-encoded into one path segment (and signed so)", async () => {
    const g = await gatewayFor("bedrock", t.emu, { ...scripts.PINNED, settings: { region: t.emu.region } });
    t.emu.script(undefined); // the emulator's own greeting
    try {
      const ids = [
        "anthropic.claude-3-5-haiku-20241022-v1:0",
        "eu.anthropic.claude-3-7-sonnet-20250219-v1:0",
        "apac.amazon.nova-pro-v1:0",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6",
        "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-70b-instruct-v1:0",
      ];
      for (const id of ids) {
        const res = await g.client.chat.completions.create({ model: id, messages: ask() });
        expect(res.choices[0]!.message.content).toBe("Hello from Bedrock.");
        const req = t.emu.requests.at(-1)!;
        expect(req.modelId).toBe(id);
        expect(req.path).toBe(`/model/${encodeURIComponent(id)}/converse`);
      }
    } finally {
      await g.stop();
    }
  });
});

describe("guardrails", () => {
  test("the provider's guardrail is sent, and an intervention finishes with content_filter", async () => {
    const g = await gatewayFor("bedrock", t.emu, { ...scripts.PINNED, settings: { ...scripts.PINNED.settings, guardrailIdentifier: "gr-abc123", guardrailVersion: "3" } });
    try {
      t.emu.script(() => ({ events: scripts.guardrailIntervened }));
      const res = await g.client.chat.completions.create({ model: "m", messages: ask("How do I pick a lock?") });
      expect(t.emu.lastJson().guardrailConfig).toEqual({ guardrailIdentifier: "gr-abc123", guardrailVersion: "3" });
      expect(res.choices[0]!.finish_reason).toBe("content_filter");
      expect(res.choices[0]!.message.content).toBe("Sorry, the model cannot answer this question.");
      const out = await collect(await g.client.chat.completions.create({ model: "m", messages: ask("How do I pick a lock?"), stream: true }));
      expect(out.finish).toBe("content_filter");
      expect(out.content).toBe("Sorry, the model cannot answer this question.");
    } finally {
      await g.stop();
    }
  });
});
