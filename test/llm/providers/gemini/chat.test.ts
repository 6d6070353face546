/**
 * Gemini (AI Studio) text chat through the official OpenAI SDK: what the SDK gets back, and what
 * the Gemini emulator received (path, key header, translated body).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GEMINI_TEST_KEY, startGeminiEmulator, textEvents, type GeminiEmulator } from "../../../emulators/gemini.ts";
import { accessLogs, eventually, gatewayFor, openaiClient, type TestGateway } from "../../../helpers/gateway.ts";

let emu: GeminiEmulator;
let gw: TestGateway;

beforeAll(async () => {
  emu = startGeminiEmulator();
  gw = await gatewayFor("gemini", emu, { settings: { model: "gemini-2.5-flash" }, auth: { key: GEMINI_TEST_KEY } });
});

afterAll(async () => {
  await gw?.stop();
  emu?.stop();
});

const last = () => emu.requests.at(-1)!;

describe("gemini chat: text", () => {
  test("non-streaming: the answer, the finish reason and usage in the OpenAI shape", async () => {
    emu.script(() => ({ events: textEvents(["The capital", " of France", " is Paris."], { prompt: 11 }) }));
    const client = openaiClient(gw.baseURL());
    const res = await client.chat.completions.create({ model: "anything", messages: [{ role: "user", content: "Capital of France?" }] });
    expect(res.object).toBe("chat.completion");
    expect(res.model).toBe("gemini-2.5-flash");
    expect(res.choices[0]!.message.content).toBe("The capital of France is Paris.");
    expect(res.choices[0]!.message.role).toBe("assistant");
    expect(res.choices[0]!.finish_reason).toBe("stop");
    expect(res.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });

    const r = last();
    expect(r.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    expect(r.query).toBe("");
    // the backend key moved from Authorization: Bearer to Google's header
    expect(r.headers.get("x-goog-api-key")).toBe(GEMINI_TEST_KEY);
    expect(r.headers.get("authorization")).toBeNull();
    expect(r.json).toEqual({ contents: [{ role: "user", parts: [{ text: "Capital of France?" }] }] });
  });

  test("streaming: content deltas, then the finish chunk, the usage chunk when asked, [DONE]", async () => {
    emu.script(() => ({ events: textEvents(["Once", " upon", " a time."], { prompt: 5, responseId: "abc123" }) }));
    const client = openaiClient(gw.baseURL());
    const stream = await client.chat.completions.create({
      model: "anything",
      messages: [{ role: "user", content: "Tell me a story" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("Once upon a time.");
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(["chatcmpl-abc123"]));
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0]!.finish_reason)).toEqual(["stop"]);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });

    expect(last().path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(last().query).toBe("?alt=sse");
  });

  test("streaming without include_usage: no usage chunk, but the access log has the tokens", async () => {
    emu.script(() => ({ events: textEvents(["a", "b"], { prompt: 7 }) }));
    const client = openaiClient(gw.baseURL());
    const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    // the answer arrived (so the checks over every chunk below are about real chunks)
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("ab");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("stop");
    expect(chunks.every((c) => c.choices.length === 1)).toBe(true);
    expect(chunks.every((c) => c.usage === undefined || c.usage === null)).toBe(true);
    const line = await eventually(() => accessLogs(gw).findLast((l) => l["gen_ai.usage.input_tokens"] === 7));
    expect(line["gen_ai.provider.name"]).toBe("gcp.gemini");
    expect(line["gen_ai.usage.output_tokens"]).toBe(2);
  });

  test("system and developer messages become systemInstruction; roles, multi-part content", async () => {
    emu.script(() => ({ events: textEvents(["ok"]) }));
    const client = openaiClient(gw.baseURL());
    await client.chat.completions.create({
      model: "m",
      messages: [
        { role: "system", content: "You are terse." },
        { role: "developer", content: [{ type: "text", text: "Answer in French." }] },
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Bonjour" },
        { role: "user", content: [{ type: "text", text: "And " }, { type: "text", text: "goodbye?" }] },
      ],
    });
    expect(last().json).toEqual({
      systemInstruction: { parts: [{ text: "You are terse." }, { text: "Answer in French." }] },
      contents: [
        { role: "user", parts: [{ text: "Hello" }] },
        { role: "model", parts: [{ text: "Bonjour" }] },
        { role: "user", parts: [{ text: "And " }, { text: "goodbye?" }] },
      ],
    });
  });

  test("images: data URLs inline, http(s) and gs:// URLs by reference", async () => {
    emu.script(() => ({ events: textEvents(["A cat."]) }));
    const client = openaiClient(gw.baseURL());
    await client.chat.completions.create({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is in these?" },
            { type: "image_url", image_url: { url: "data:image/png;base64,iVBORw0KGgo=" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.webp?size=large", detail: "high" } },
            { type: "image_url", image_url: { url: "gs://bucket/photo" } },
          ],
        },
      ],
    });
    expect(last().json.contents[0].parts).toEqual([
      { text: "What is in these?" },
      { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
      { fileData: { mimeType: "image/webp", fileUri: "https://example.com/cat.webp?size=large" } },
      { fileData: { mimeType: "image/jpeg", fileUri: "gs://bucket/photo" } },
    ]);
  });

  test("generation parameters map to generationConfig; response_format json_schema to responseSchema", async () => {
    emu.script(() => ({ events: textEvents(['{"city":"Paris"}']) }));
    const client = openaiClient(gw.baseURL());
    const res = await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "City?" }],
      temperature: 0.2,
      top_p: 0.9,
      max_completion_tokens: 256,
      stop: ["END"],
      presence_penalty: 0.5,
      frequency_penalty: 0.25,
      seed: 42,
      user: "user-1",
      parallel_tool_calls: false,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "city",
          strict: true,
          schema: {
            type: "object",
            properties: { city: { type: "string" }, population: { type: ["integer", "null"] } },
            required: ["city", "population"],
            additionalProperties: false,
          },
        },
      },
    });
    expect(res.choices[0]!.message.content).toBe('{"city":"Paris"}');
    expect(last().json.generationConfig).toEqual({
      temperature: 0.2,
      topP: 0.9,
      maxOutputTokens: 256,
      stopSequences: ["END"],
      // (no penalties: the pinned gemini-2.5-flash refuses them, see below)
      seed: 42,
      responseMimeType: "application/json",
      responseSchema: {
        type: "object",
        properties: { city: { type: "string" }, population: { type: "integer", nullable: true } },
        required: ["city", "population"],
      },
    });
    // OpenAI-only fields are not sent to Gemini (it rejects unknown fields)
    expect(Object.keys(last().json).sort()).toEqual(["contents", "generationConfig"]);
  });

  test("penalties are left out for Gemini 2.5 and later, which refuse them (\"Penalty is not enabled for models/...\")", async () => {
    // a backend that pins no model: the client's picks the rule
    const open = await gatewayFor("gemini", emu, { auth: { key: GEMINI_TEST_KEY } });
    const client = openaiClient(open.baseURL());
    for (const [model, sent] of [["gemini-2.5-flash", false], ["gemini-3-pro-preview", false], ["gemini-2.0-flash", true]] as const) {
      emu.script(() => ({ events: textEvents(["ok"]) }));
      await client.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }], presence_penalty: 0.5, frequency_penalty: 0.25, temperature: 0.3 });
      const config = last().json.generationConfig as Record<string, unknown>;
      expect([config.presencePenalty, config.frequencyPenalty]).toEqual(sent ? [0.5, 0.25] : [undefined, undefined]);
      expect(config.temperature).toBe(0.3);
    }
    await open.stop();
  });

  test("max_tokens and a string stop; json_object mode", async () => {
    emu.script(() => ({ events: textEvents(["{}"]) }));
    const client = openaiClient(gw.baseURL());
    await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }], max_tokens: 10, stop: "\n", response_format: { type: "json_object" } });
    expect(last().json.generationConfig).toEqual({ maxOutputTokens: 10, stopSequences: ["\n"], responseMimeType: "application/json" });
  });

  test("n > 1 is refused before anything goes upstream", async () => {
    const before = emu.requests.length;
    const client = openaiClient(gw.baseURL());
    const err = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }], n: 2 }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe("n");
    expect(emu.requests.length).toBe(before);
  });
});

describe("gemini chat: models and keys", () => {
  test("an unpinned backend uses the client's model in the path", async () => {
    const g = await gatewayFor("gemini", emu, { auth: { key: GEMINI_TEST_KEY } });
    try {
      emu.script(() => ({ events: textEvents(["hi"]) }));
      await openaiClient(g.baseURL()).chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "x" }] });
      expect(last().path).toBe("/v1beta/models/gemini-2.5-pro:generateContent");
    } finally {
      await g.stop();
    }
  });

  test("without backendAuth the client's own AI Studio key is used, in x-goog-api-key", async () => {
    const g = await gatewayFor("gemini", emu, { settings: { model: "gemini-2.5-flash" } });
    try {
      emu.script(() => ({ events: textEvents(["hi"]) }));
      const res = await openaiClient(g.baseURL(), GEMINI_TEST_KEY).chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
      expect(res.choices[0]!.message.content).toBe("hi");
      expect(last().headers.get("x-goog-api-key")).toBe(GEMINI_TEST_KEY);
      expect(last().headers.get("authorization")).toBeNull();

      // a wrong key: Google's 400 comes back in the OpenAI shape, and the key is not echoed
      const err = await openaiClient(g.baseURL(), "AIzaWrongKey").chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
      expect(err.status).toBe(400);
      expect(err.error.message).toBe("API key not valid. Please pass a valid API key.");
      expect(err.error.code).toBe("INVALID_ARGUMENT");
      expect(JSON.stringify(err.error)).not.toContain("AIzaWrongKey");
    } finally {
      await g.stop();
    }
  });

  test("GET /v1/models on an unpinned backend lists AI Studio's models without the models/ prefix", async () => {
    const g = await gatewayFor("gemini", emu, { auth: { key: GEMINI_TEST_KEY } });
    try {
      const list = await openaiClient(g.baseURL()).models.list();
      const ids = list.data.map((m) => m.id);
      expect(ids).toEqual(["gemini-2.5-flash", "gemini-embedding-001"]);
      expect(last().path).toBe("/v1beta/models");
      expect(last().headers.get("x-goog-api-key")).toBe(GEMINI_TEST_KEY);
    } finally {
      await g.stop();
    }
  });
});
