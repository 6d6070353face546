/**
 * A Gemini-native client's conversation that switches provider mid-way, over real HTTP with the
 * official google-genai SDK: a turn answered by Claude (its signed thinking comes back as a
 * thought part whose `thoughtSignature` is the gateway's `agw1.t.` envelope, in base64, and its
 * call with the `agw1.n.` envelope, "no signature"), or a history carried over from Claude Code's
 * format (Gemini's own signatures still in `agw1.gc.` / `agw1.ga.` envelopes), continues on
 * Gemini or Vertex, passed through (gemini-unsigned-calls.test.ts: calls from providers that sign
 * nothing, without thinking). The Gemini emulator
 * refuses what Gemini refuses: a signature that is not base64, one it did not issue, and a
 * Gemini 3 function call turn without a signature. The gateway opens Gemini's envelopes, takes
 * the others out, and gives a Gemini 3 call left unsigned Google's documented stand-in.
 */
import Anthropic from "@anthropic-ai/sdk";
import { GoogleGenAI, Type, type Content, type Part, type Tool } from "@google/genai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { functionCallEvents, startGeminiEmulator, textEvents, thinkingEvents, type GeminiEmulator } from "../../emulators/gemini.ts";
import { gatewayFor, startTestGateway, type ProviderGateway, type TestGateway } from "../../helpers/gateway.ts";
import { thinkingTool, THINKING_SIGNATURE } from "../providers/anthropic/scripts.ts";
import { switchConfig, WEATHER_TOOL } from "./scripts.ts";

let gemini: GeminiEmulator;
let claude: AnthropicEmulator;
let gw: TestGateway;
let vertex: ProviderGateway;

beforeAll(async () => {
  gemini = startGeminiEmulator();
  claude = startAnthropicEmulator();
  gw = await startTestGateway(switchConfig({ gemini, claude }));
  vertex = await gatewayFor("vertex", gemini, { settings: { projectId: "proj-1", region: "us-central1" }, auth: { key: "ya29.test-access-token" } });
});
afterAll(async () => {
  await Promise.all([gw.stop(), vertex.stop()]);
  await Promise.all([gemini.stop(), claude.stop()]);
});

const genai = (on: TestGateway, apiVersion = "v1beta") => new GoogleGenAI({ apiKey: "client-key", httpOptions: { baseUrl: on.origin(), apiVersion } });
const TOOLS: Tool[] = [{ functionDeclarations: [{ name: "get_weather", description: "Weather", parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING } } } }] }];
const STAND_IN = "skip_thought_signature_validator";

/** Claude's turn (signed thinking, then a call) as the Gemini client gets it through the gateway. */
async function claudeTurn(streamed: boolean): Promise<Part[]> {
  claude.enqueue(turn(thinkingTool));
  const ask = { model: "claude-sonnet-4-5", contents: "Weather in Paris?", config: { tools: TOOLS, thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } } };
  // a streamed answer's parts, as a client keeps them: without the empty text closing the stream
  const parts = streamed
    ? (await Array.fromAsync(await genai(gw).models.generateContentStream(ask))).flatMap((c) => c.candidates?.[0]?.content?.parts ?? []).filter((p) => p.text !== "" || p.thoughtSignature)
    : (await genai(gw).models.generateContent(ask)).candidates![0]!.content!.parts!;
  // the thinking in an agw1.t. envelope; the call, which Claude does not sign, in the "no signature" one
  expect(parts.filter((p) => p.thoughtSignature).map((p) => p.thoughtSignature)).toEqual([`agw1.t.${THINKING_SIGNATURE}`, "agw1.n."].map((e) => Buffer.from(e).toString("base64")));
  return parts;
}

function history(parts: Part[], call: { id?: string; name?: string }): Content[] {
  return [
    { role: "user", parts: [{ text: "Weather in Paris?" }] },
    { role: "model", parts },
    { role: "user", parts: [{ functionResponse: { ...call, response: { output: "18C" } } }] },
  ];
}

describe("Gemini client: a turn Claude answered, continued on Gemini (passthrough)", () => {
  for (const { on, streamed, apiVersion } of [
    { on: "AI Studio", streamed: false, apiVersion: "v1beta" },
    { on: "AI Studio", streamed: true, apiVersion: "v1" },
    { on: "Vertex", streamed: true, apiVersion: "v1beta" },
  ]) {
    test(`Gemini 3 (${on}, ${streamed ? "streamGenerateContent" : "generateContent"} on /${apiVersion}): Claude's signature goes with its thought, the call gets Google's stand-in`, async () => {
      const parts = await claudeTurn(!streamed);
      const call = parts.find((p) => p.functionCall)!.functionCall!;
      // Vertex takes no function call ids (the emulator refuses them as Vertex does)
      const model = on === "Vertex" ? parts.map((p) => (p.functionCall ? { functionCall: { name: call.name, args: call.args } } : p)) : parts;
      const contents = history(model, on === "Vertex" ? { name: call.name } : { id: call.id, name: call.name });

      gemini.enqueue({ events: textEvents(["Mild ", "in Paris."]) });
      const client = genai(on === "Vertex" ? vertex : gw, apiVersion);
      const ask = { model: "gemini-3-pro-preview", contents, config: { tools: TOOLS } };
      const text = streamed ? (await Array.fromAsync(await client.models.generateContentStream(ask))).map((c) => c.text ?? "").join("") : (await client.models.generateContent(ask)).text;
      expect(text).toBe("Mild in Paris.");

      const sent = gemini.requests.at(-1)!;
      const action = streamed ? "streamGenerateContent" : "generateContent";
      expect(sent.path).toBe(on === "Vertex" ? `/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-3-pro-preview:${action}` : `/v1beta/models/gemini-3-pro-preview:${action}`);
      expect(sent.body).not.toContain("agw1.");
      expect(sent.body).not.toContain("YWd3MS");
      // Claude's thought text (unsigned in a stream) may stay; its signature and the part carrying it go
      const modelParts = sent.json.contents[1].parts as Part[];
      expect(modelParts.filter((p) => !p.thought)).toEqual([{ functionCall: model.find((p) => p.functionCall)!.functionCall, thoughtSignature: STAND_IN }]);
      expect(modelParts.every((p) => p.thoughtSignature === undefined || p.thoughtSignature === STAND_IN)).toBe(true);
      expect(sent.json.contents[2]).toEqual(contents[2]);
    });
  }

  test("Gemini 2.5 needs no signature on calls: Claude's goes and nothing stands in for it", async () => {
    const parts = await claudeTurn(false);
    const call = parts.find((p) => p.functionCall)!.functionCall!;
    gemini.enqueue({ events: textEvents(["Mild."]) });
    const r = await genai(gw).models.generateContent({ model: "gemini-2.5-flash", contents: history(parts, { id: call.id, name: call.name }), config: { tools: TOOLS } });
    expect(r.text).toBe("Mild.");
    const sent = gemini.lastJson();
    expect(sent.contents[1]).toEqual({ role: "model", parts: [{ functionCall: call }] });
  });

  test("countTokens leaves Claude's signature out too", async () => {
    const parts = await claudeTurn(false);
    const call = parts.find((p) => p.functionCall)!.functionCall!;
    const counted = await genai(gw).models.countTokens({ model: "gemini-3-pro-preview", contents: history(parts, { id: call.id, name: call.name }) });
    expect(counted.totalTokens).toBeGreaterThan(0);
    const sent = gemini.requests.at(-1)!;
    expect(sent.path).toEndWith(":countTokens");
    expect(sent.body).not.toContain("agw1.");
    expect(sent.body).not.toContain("YWd3MS");
  });
});

describe("Gemini client: a Claude Code history Gemini answered, carried over into Gemini's format", () => {
  const anthropic = () => new Anthropic({ baseURL: gw.origin(), apiKey: "sk-ant-client", maxRetries: 0 });

  test("Gemini's own signatures come out of their envelopes; the answer's goes back on its text", async () => {
    gemini.enqueue(
      { events: functionCallEvents([{ name: "get_weather", args: { city: "Rome" }, thoughtSignature: "c2lnLWNhbGw=" }]) },
      { events: thinkingEvents([], ["Warm in Rome."], "c2lnLXRleHQ=") },
    );
    const ask = { model: "gemini-3-pro-preview", max_tokens: 500, tools: [WEATHER_TOOL] };
    const first = await anthropic().messages.create({ ...ask, messages: [{ role: "user", content: "Rome?" }] });
    const use = first.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
    const result: Anthropic.MessageParam = { role: "user", content: [{ type: "tool_result", tool_use_id: use.id, content: "30C" }] };
    const second = await anthropic().messages.create({ ...ask, messages: [{ role: "user", content: "Rome?" }, { role: "assistant", content: first.content }, result] });
    const callSig = (first.content[0] as Anthropic.ThinkingBlock).signature;
    const textSig = (second.content.at(-1) as Anthropic.ThinkingBlock).signature;
    expect([callSig, textSig]).toEqual(["agw1.gc.c2lnLWNhbGw=", "agw1.ga.c2lnLXRleHQ="]);

    // the same conversation as a tool moving it to a Gemini client would write it, envelopes as found
    const contents: Content[] = [
      { role: "user", parts: [{ text: "Rome?" }] },
      { role: "model", parts: [{ functionCall: { name: use.name, args: use.input as Record<string, unknown> }, thoughtSignature: callSig }] },
      { role: "user", parts: [{ functionResponse: { name: use.name, response: { output: "30C" } } }] },
      { role: "model", parts: [{ text: "Warm in Rome.", thoughtSignature: textSig }] },
      { role: "user", parts: [{ text: "Thanks" }] },
    ];
    gemini.enqueue({ events: textEvents(["You're welcome."]) });
    const r = await genai(gw).models.generateContent({ model: "gemini-3-pro-preview", contents, config: { tools: TOOLS } });
    expect(r.text).toBe("You're welcome.");
    const sent = gemini.lastJson();
    expect(sent.contents[1].parts).toEqual([{ functionCall: { name: "get_weather", args: { city: "Rome" } }, thoughtSignature: "c2lnLWNhbGw=" }]);
    expect(sent.contents[3].parts).toEqual([{ text: "Warm in Rome.", thoughtSignature: "c2lnLXRleHQ=" }]);
  });

  test("a request without envelopes goes byte for byte, even one that mentions agw1.", async () => {
    for (const mention of ["no envelope here", "what does agw1.gc. mean?"]) {
      gemini.enqueue({ events: textEvents(["ok"]) });
      const body = `{"contents": [ {"role":"user","parts":[{"text":"${mention}"}]} ],  "generationConfig": {"topK": 3}}`;
      const res = await fetch(`${gw.origin()}/v1beta/models/gemini-3-pro-preview:generateContent`, { method: "POST", headers: { "content-type": "application/json" }, body });
      expect(res.status).toBe(200);
      expect(gemini.requests.at(-1)!.body).toBe(body);
    }
  });
});
