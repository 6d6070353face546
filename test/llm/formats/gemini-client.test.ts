/**
 * The official google-genai SDK (`generateContent`, `generateContentStream`, `countTokens`) on
 * every provider kind: Gemini (passthrough, /v1beta and /v1 and Vertex paths), OpenAI-format,
 * Anthropic and Bedrock (through the hub), with function calls over two turns and Google-shaped
 * errors.
 */
import { ApiError, FinishReason, GoogleGenAI, Type, type Content, type GenerateContentResponse, type Tool } from "@google/genai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { GEMINI_TEST_KEY, startGeminiEmulator, textEvents, type GeminiEmulator } from "../../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { accessLogs, eventually, gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";
import { PINNED as BEDROCK } from "../providers/bedrock/scripts.ts";
import { bedrockText, bedrockThinkingTool, openaiJson, openaiTextStream, openaiToolStream, SIGNATURE } from "./scripts.ts";

const genai = (gw: ProviderGateway, apiVersion = "v1beta") => new GoogleGenAI({ apiKey: "client-key", httpOptions: { baseUrl: gw.origin(), apiVersion } });
const TOOLS: Tool[] = [{ functionDeclarations: [{ name: "get_weather", description: "Weather", parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING } }, required: ["city"] } }] }];

async function streamed(it: AsyncGenerator<GenerateContentResponse>): Promise<GenerateContentResponse[]> {
  const out: GenerateContentResponse[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe("Gemini client on an OpenAI-format provider", () => {
  let emu: OpenAIEmulator;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await gatewayFor("openAI", emu, { auth: { key: "sk-gw" } });
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("streamed function call, then the function response turn", async () => {
    emu.enqueue(openaiToolStream("get_weather", '{"city":"Lima"}'), openaiTextStream(["Mild ", "in Lima."]));
    const chunks = await streamed(await genai(gw).models.generateContentStream({ model: "gpt-4o", contents: "Weather in Lima?", config: { tools: TOOLS, systemInstruction: "Be brief.", temperature: 0.2, topK: 40, thinkingConfig: { thinkingBudget: 1024 } } }));
    const calls = chunks.flatMap((c) => c.functionCalls ?? []);
    expect(calls).toEqual([{ id: "call_fmt_1", name: "get_weather", args: { city: "Lima" } }]);
    expect(chunks.map((c) => c.text ?? "").join("")).toBe("Let me check.");
    const last = chunks.at(-1)!;
    expect(last.candidates![0]!.finishReason).toBe(FinishReason.STOP);
    expect(last.usageMetadata).toMatchObject({ promptTokenCount: 21, candidatesTokenCount: 9, totalTokenCount: 30 });
    const req1 = emu.requests[0]!;
    expect(req1.path).toBe("/v1/chat/completions");
    expect(req1.headers.get("x-goog-api-key")).toBeNull();
    expect(req1.headers.get("authorization")).toBe("Bearer sk-gw");
    expect(req1.json).toMatchObject({ model: "gpt-4o", stream: true, temperature: 0.2, messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Weather in Lima?" }] });
    expect(req1.json.top_k).toBeUndefined();
    expect(req1.json.reasoning_effort).toBeUndefined();
    expect(req1.json.tools[0].function.parameters).toEqual({ type: "object", properties: { city: { type: "string" } }, required: ["city"] });

    const history: Content[] = [
      { role: "user", parts: [{ text: "Weather in Lima?" }] },
      { role: "model", parts: [{ text: "Let me check." }, { functionCall: calls[0] }] },
      { role: "user", parts: [{ functionResponse: { id: calls[0]!.id, name: "get_weather", response: { output: "18C" } } }] },
    ];
    const second = await streamed(await genai(gw).models.generateContentStream({ model: "gpt-4o", contents: history, config: { tools: TOOLS } }));
    expect(second.map((c) => c.text ?? "").join("")).toBe("Mild in Lima.");
    expect(emu.lastJson().messages.slice(1)).toEqual([
      { role: "assistant", content: "Let me check.", tool_calls: [{ id: "call_fmt_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Lima"}' } }] },
      { role: "tool", tool_call_id: "call_fmt_1", content: "18C" },
    ]);
  });

  test("non-streamed, on the /v1 path google-genai uses with apiVersion v1", async () => {
    emu.enqueue(openaiJson({ content: "Hi there." }, "stop"));
    const r = await genai(gw, "v1").models.generateContent({ model: "gpt-4o", contents: "hi" });
    expect(r.text).toBe("Hi there.");
    expect(r.usageMetadata).toMatchObject({ promptTokenCount: 40, cachedContentTokenCount: 8, candidatesTokenCount: 12 });
  });

  test("countTokens without a counting endpoint: the local estimate", async () => {
    const r = await genai(gw).models.countTokens({ model: "gpt-4o", contents: "The quick brown fox jumps over the lazy dog." });
    expect(r.totalTokens).toBeGreaterThanOrEqual(12);
    expect(r.totalTokens).toBeLessThanOrEqual(20);
  });

  test("an upstream 429 is Google's RESOURCE_EXHAUSTED; an invalid request a Google 400", async () => {
    emu.enqueue(Response.json({ error: { message: "slow down", type: "rate_limit_error", code: null } }, { status: 429 }));
    const err = (await genai(gw).models.generateContent({ model: "gpt-4o", contents: "hi" }).catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(429);
    expect(JSON.parse(err.message)).toEqual({ error: { code: 429, message: "slow down", status: "RESOURCE_EXHAUSTED" } });
    const res = await fetch(`${gw.origin()}/v1beta/models/gpt-4o:generateContent`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe("INVALID_ARGUMENT");
  });

  test("a stream without alt=sse (one JSON array, only Gemini answers it) is a Google 400 naming alt=sse; the provider gets nothing", async () => {
    const before = emu.requests.length;
    const res = await fetch(`${gw.origin()}/v1beta/models/gpt-4o:streamGenerateContent`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; message: string; status: string } };
    expect(body.error).toMatchObject({ code: 400, status: "INVALID_ARGUMENT" });
    expect(body.error.message).toContain("alt=sse");
    expect(emu.requests.length).toBe(before);
  });
});

describe("Gemini client on Bedrock and Anthropic", () => {
  let bedrock: BedrockEmulator;
  let anthropic: AnthropicEmulator;
  let gwB: ProviderGateway;
  let gwA: ProviderGateway;
  beforeAll(async () => {
    bedrock = startBedrockEmulator();
    anthropic = startAnthropicEmulator();
    gwB = await gatewayFor("bedrock", bedrock, BEDROCK);
    gwA = await gatewayFor("anthropic", anthropic, { settings: { model: "claude-x" }, auth: { key: "sk-ant" } });
  });
  afterAll(async () => {
    await Promise.all([gwB.stop(), gwA.stop()]);
    await Promise.all([bedrock.stop(), anthropic.stop()]);
  });

  test("Bedrock: thoughts with their signature, a function call, and both replayed next turn", async () => {
    bedrock.enqueue({ events: bedrockThinkingTool("get_weather", '{"city":"Oslo"}') }, { events: bedrockText(["Cold."]) });
    const chunks = await streamed(await genai(gwB).models.generateContentStream({ model: "m", contents: "Oslo?", config: { tools: TOOLS, thinkingConfig: { thinkingBudget: 2048, includeThoughts: true } } }));
    const parts = chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []);
    expect(parts.filter((p) => p.thought).map((p) => p.text).join("")).toBe("The user wants the weather; I should call the tool.");
    // the envelope's bytes in base64 (the field is bytes: typed SDKs decode it)
    expect(parts.find((p) => p.thoughtSignature)?.thoughtSignature).toBe(Buffer.from(`agw1.t.${SIGNATURE}`).toString("base64"));
    const call = parts.find((p) => p.functionCall)!.functionCall!;
    expect(call).toEqual({ id: "tooluse_fmt01", name: "get_weather", args: { city: "Oslo" } });
    expect(bedrock.requests[0]!.json.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 2048 } });

    const r = await genai(gwB).models.generateContent({
      model: "m",
      contents: [
        { role: "user", parts: [{ text: "Oslo?" }] },
        { role: "model", parts },
        { role: "user", parts: [{ functionResponse: { id: call.id, name: call.name, response: { output: "-3C" } } }] },
      ],
      config: { tools: TOOLS, thinkingConfig: { thinkingBudget: 2048 } },
    });
    expect(r.text).toBe("Cold.");
    expect(bedrock.lastJson().messages[1].content).toEqual([
      { reasoningContent: { reasoningText: { text: "The user wants the weather; I should call the tool.", signature: SIGNATURE } } },
      { toolUse: { toolUseId: "tooluse_fmt01", name: "get_weather", input: { city: "Oslo" } } },
    ]);
  });

  test("Anthropic: a response without function ids is matched to its call by name", async () => {
    anthropic.enqueue(turn([
      { type: "message_start", message: { id: "msg_g1", type: "message", role: "assistant", model: "claude-x", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Sunny." } },
      { type: "content_block_stop", index: 0 },
      { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 2 } },
      { type: "message_stop" },
    ]));
    const r = await genai(gwA).models.generateContent({
      model: "m",
      contents: [
        { role: "user", parts: [{ text: "Rome?" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { city: "Rome" } } }] },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { output: "30C" } } }] },
      ],
      config: { tools: TOOLS },
    });
    expect(r.text).toBe("Sunny.");
    const sent = anthropic.lastJson();
    expect(sent.messages[1].content[0]).toEqual({ type: "tool_use", id: "call_1_0", name: "get_weather", input: { city: "Rome" } });
    expect(sent.messages[2].content[0]).toEqual({ type: "tool_result", tool_use_id: "call_1_0", content: "30C" });
  });
});

describe("Gemini client on Gemini and Vertex: passthrough", () => {
  let emu: GeminiEmulator;
  let gw: ProviderGateway;
  let vertex: ProviderGateway;
  beforeAll(async () => {
    emu = startGeminiEmulator();
    gw = await gatewayFor("gemini", emu, { auth: { key: GEMINI_TEST_KEY } });
    vertex = await gatewayFor("vertex", emu, { settings: { projectId: "proj-1", region: "us-central1" }, auth: { key: "ya29.test-access-token" } });
  });
  afterAll(async () => {
    await Promise.all([gw.stop(), vertex.stop()]);
    await emu.stop();
  });

  test("streamGenerateContent?alt=sse passes through; the client's key is replaced by the gateway's", async () => {
    emu.enqueue({ events: textEvents(["Hello", " there."]) });
    const chunks = await streamed(await genai(gw).models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi", config: { topK: 3 } }));
    expect(chunks.map((c) => c.text).join("")).toBe("Hello there.");
    const req = emu.requests.at(-1)!;
    expect(req.path).toBe("/v1beta/models/gemini-2.5-flash:streamGenerateContent");
    expect(req.query).toBe("?alt=sse");
    expect(req.headers.get("x-goog-api-key")).toBe(GEMINI_TEST_KEY);
    expect(req.json.generationConfig).toEqual({ topK: 3 });
    const log = await eventually(() => accessLogs(gw).find((l) => String(l["http.path"]).endsWith(":streamGenerateContent") && l["gen_ai.usage.output_tokens"] !== undefined));
    expect(log).toMatchObject({ "gen_ai.usage.input_tokens": 8, "gen_ai.usage.output_tokens": 2 });
  });

  test("a key in the query is not forwarded when the gateway has its own", async () => {
    emu.enqueue({ events: textEvents(["ok"]) });
    const res = await fetch(`${gw.origin()}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=client-secret`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    expect(res.status).toBe(200);
    await res.text();
    expect(emu.requests.at(-1)!.query).toBe("?alt=sse");
  });

  test("the /v1 path, and countTokens, go to Gemini's own endpoints", async () => {
    emu.enqueue({ events: textEvents(["Yes."]) });
    const r = await genai(gw, "v1").models.generateContent({ model: "gemini-2.5-flash", contents: "hi" });
    expect(r.text).toBe("Yes.");
    expect(emu.requests.at(-1)!.path).toBe("/v1beta/models/gemini-2.5-flash:generateContent");
    const counted = await genai(gw).models.countTokens({ model: "gemini-2.5-flash", contents: "hello" });
    expect(counted.totalTokens).toBeGreaterThan(0);
    expect(emu.requests.at(-1)!.path).toBe("/v1beta/models/gemini-2.5-flash:countTokens");
    expect(emu.requests.at(-1)!.headers.get("x-goog-api-key")).toBe(GEMINI_TEST_KEY);
  });

  test("a Vertex-style path reaches the configured project's publisher model", async () => {
    emu.enqueue({ events: textEvents(["From Vertex."]) });
    const res = await fetch(`${vertex.origin()}/v1/projects/other/locations/us/publishers/google/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] }),
    });
    expect(res.status).toBe(200);
    expect(emu.requests.at(-1)!.path).toBe("/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent");
  });
});
