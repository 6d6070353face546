/**
 * Gemini on Vertex AI through the OpenAI SDK: the Gemini translation at Vertex's
 * `publishers/google/models/{m}` paths, with `backendAuth: gcp` tokens from a fake Google token
 * endpoint; tool turns without function call ids (Vertex rejects ids it did not issue);
 * embeddings through `:predict`; quota errors with retry-after.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { clearGcpTokenCache } from "../../../../src/auth/gcp.ts";
import { functionCallEvents, rateLimited, startGeminiEmulator, textEvents, vectorOf, type GeminiEmulator } from "../../../emulators/gemini.ts";
import { startGcpTokenServer, type GcpTokenServer } from "../../../emulators/gcp-token.ts";
import { gatewayFor, openaiClient, type GatewayForOptions, type TestGateway } from "../../../helpers/gateway.ts";

let emu: GeminiEmulator;
let google: GcpTokenServer;
let keyFile: string;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  emu = startGeminiEmulator({ accessToken: /^ya29\.sa-\d+$/ });
  google = await startGcpTokenServer();
  keyFile = join(mkdtempSync(join(tmpdir(), "vertex-gemini-")), "sa.json");
  writeFileSync(keyFile, google.serviceAccountKey());
  clearGcpTokenCache();
  gw = await gatewayFor("vertex", emu, config("{projectId: my-project, region: us-central1}"));
  client = openaiClient(gw.baseURL());
});

afterAll(async () => {
  await gw?.stop();
  emu?.stop();
  await google?.stop();
});

beforeEach(() => {
  google.reject = undefined;
});

/** One vertex backend on the emulator, with a service-account key for `backendAuth: gcp`. */
function config(provider: string): GatewayForOptions {
  return { settings: provider, auth: { gcp: { credential: { file: keyFile } } } };
}

const last = () => emu.requests.at(-1)!;
const BASE = "/v1/projects/my-project/locations/us-central1/publishers/google/models";

describe("gemini on vertex", () => {
  test("streaming: Vertex's streamGenerateContent path with alt=sse, an OAuth bearer, the translated answer", async () => {
    emu.script(() => ({ events: textEvents(["Bonjour", " le monde"], { prompt: 4 }) }));
    const stream = await client.chat.completions.create({
      model: "gemini-2.5-pro",
      messages: [
        { role: "system", content: "Answer in French." },
        { role: "user", content: "Hello world" },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? "";
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe("Bonjour le monde");
    expect(finish).toBe("stop");
    expect(usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });

    const r = last();
    expect(r.path).toBe(`${BASE}/gemini-2.5-pro:streamGenerateContent`);
    expect(r.query).toBe("?alt=sse");
    expect(r.headers.get("authorization")).toMatch(/^Bearer ya29\.sa-\d+$/);
    expect(r.headers.get("x-goog-api-key")).toBeNull();
    expect(r.json).toEqual({ systemInstruction: { parts: [{ text: "Answer in French." }] }, contents: [{ role: "user", parts: [{ text: "Hello world" }] }] });
  });

  test("a pinned model on the default (global) location", async () => {
    const g = await gatewayFor("vertex", emu, config("{projectId: other-project, model: gemini-2.5-flash}"));
    try {
      emu.script(() => ({ events: textEvents(["ok"]) }));
      const res = await g.client.chat.completions.create({ model: "anything", messages: [{ role: "user", content: "x" }] });
      expect(res.choices[0]!.message.content).toBe("ok");
      expect(last().path).toBe("/v1/projects/other-project/locations/global/publishers/google/models/gemini-2.5-flash:generateContent");
    } finally {
      await g.stop();
    }
  });

  test("a multi-turn tool conversation: calls and results matched by name, no ids sent, signatures replayed", async () => {
    const model = "gemini-3-pro-preview";
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: "function", function: { name: "lookup_order", parameters: { type: "object", properties: { id: { type: "string" } }, required: ["id"] } } },
    ];
    emu.script(() => ({ events: functionCallEvents([{ name: "lookup_order", args: { id: "A-17" }, thoughtSignature: "dmVydGV4LXNpZw==" }]) }));
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Where is order A-17?" }];
    const first = await client.chat.completions.create({ model, messages, tools });
    expect(first.choices[0]!.finish_reason).toBe("tool_calls");
    const call = first.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(JSON.parse(call.function.arguments)).toEqual({ id: "A-17" });
    messages.push(first.choices[0]!.message);
    messages.push({ role: "tool", tool_call_id: call.id, content: '{"status": "shipped"}' });

    emu.script(() => ({ events: textEvents(["Order A-17 has shipped."]) }));
    const second = await client.chat.completions.create({ model, messages, tools });
    expect(second.choices[0]!.message.content).toBe("Order A-17 has shipped.");
    expect(last().json.contents).toEqual([
      { role: "user", parts: [{ text: "Where is order A-17?" }] },
      { role: "model", parts: [{ functionCall: { name: "lookup_order", args: { id: "A-17" } }, thoughtSignature: "dmVydGV4LXNpZw==" }] },
      { role: "user", parts: [{ functionResponse: { name: "lookup_order", response: { status: "shipped" } } }] },
    ]);
  });

  test("embeddings go to :predict and come back in the OpenAI shape with token counts", async () => {
    const res = await client.embeddings.create({ model: "text-embedding-005", input: ["hello world", "bye"], dimensions: 4 });
    expect(res.data.map((d) => d.embedding.length)).toEqual([vectorOf("hello world").length, vectorOf("bye").length]);
    vectorOf("hello world").forEach((v, i) => expect(res.data[0]!.embedding[i]!).toBeCloseTo(v, 5));
    vectorOf("bye").forEach((v, i) => expect(res.data[1]!.embedding[i]!).toBeCloseTo(v, 5));
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(last().path).toBe(`${BASE}/text-embedding-005:predict`);
    expect(last().json).toEqual({ instances: [{ content: "hello world" }, { content: "bye" }], parameters: { outputDimensionality: 4 } });
  });

  test("429 with RetryInfo is a RateLimitError carrying retry-after", async () => {
    emu.script(() => rateLimited("7s"));
    const err = await client.chat.completions.create({ model: "gemini-2.5-pro", messages: [{ role: "user", content: "x" }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers.get("retry-after")).toBe("7");
    expect(err.error.code).toBe("RESOURCE_EXHAUSTED");
  });
});
