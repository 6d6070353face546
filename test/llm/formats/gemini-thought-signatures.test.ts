/**
 * The thought signatures the gateway writes into Gemini answers, as the typed Gemini SDKs take
 * them. `thoughtSignature` is a protobuf `bytes` field, base64 on the JSON wire: the Go SDK
 * (`[]byte`, encoding/json) and the .NET SDK (`byte[]`, System.Text.Json) decode it strictly in
 * the standard alphabet, and the Python SDK (`bytes`, pydantic base64) decodes it and sends it
 * back in the URL-safe alphabet (googleapis/python-genai#2105). So every signature the gateway
 * writes, whichever provider signed the thinking (Claude on Anthropic or Bedrock, an
 * OpenAI-format server passing Claude's thinking blocks), streamed or whole, must be standard
 * base64 (here: the gateway's envelope, in base64); and what comes back re-encoded, or as the
 * text envelopes of histories written before, must still reach Claude as Claude's own signature
 * (the Anthropic emulator refuses any other) and be taken out before Gemini, which refuses what
 * it did not issue.
 *
 * Answers come from the google-genai SDK over HTTP; next turns are sent with fetch, to control
 * the exact JSON a Python client would send.
 */
import { GoogleGenAI, Type, type Part, type Tool } from "@google/genai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator, type AnthropicEvent } from "../../emulators/anthropic.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { startGeminiEmulator, textEvents, type GeminiEmulator } from "../../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, startTestGateway, type ProviderGateway, type TestGateway } from "../../helpers/gateway.ts";
import { json, messageDelta, messageStart, messageStop, plainText, signature, stop, thinking, thinkingStart, THINKING_SIGNATURE, toolStart } from "../providers/anthropic/scripts.ts";
import { PINNED as BEDROCK, REDACTED as BEDROCK_REDACTED, redactedReasoning } from "../providers/bedrock/scripts.ts";
import { bedrockThinkingTool, openaiJson, SIGNATURE, strictBase64, switchConfig } from "./scripts.ts";

/** What the Python SDK sends back: the bytes it decoded, URL-safe (`base64.urlsafe_b64encode`: padded). */
const pythonSdk = (v: string) => Buffer.from(v, "base64").toString("base64url").padEnd(Math.ceil(v.length / 4) * 4, "=");
/** The same without padding (base64url as JWTs write it, Go's RawURLEncoding). */
const unpadded = (v: string) => Buffer.from(v, "base64").toString("base64url");
const b64 = (text: string) => Buffer.from(text).toString("base64");

const REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDP+redacted/data+of/Claude/opaque==";
/** What a call no provider signed carries (in base64): the gateway's "no signature" envelope. */
const NO_SIGNATURE = "agw1.n.";
const TOOLS: Tool[] = [{ functionDeclarations: [{ name: "get_weather", description: "Weather", parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING } } } }] }];
const THINKING = { thinkingBudget: 1024, includeThoughts: true };

/** Claude's turn: signed thinking, redacted thinking, then a call. */
const claudeTurn: AnthropicEvent[] = [
  messageStart("msg_01SigB64", { input_tokens: 610 }),
  thinkingStart(0),
  thinking(0, "The user wants the weather in Paris."),
  signature(0, THINKING_SIGNATURE),
  stop(0),
  { type: "content_block_start", index: 1, content_block: { type: "redacted_thinking", data: REDACTED } },
  stop(1),
  toolStart(2, "toolu_01SigB64Weather", "get_weather"),
  json(2, '{"location": "Paris"}'),
  stop(2),
  messageDelta("tool_use", { output_tokens: 150 }),
  messageStop,
];

const genai = (gw: TestGateway) => new GoogleGenAI({ apiKey: "client-key", httpOptions: { baseUrl: gw.origin() } });

/** An answer's parts as a client keeps them (a stream's closing empty text left out). */
async function answerParts(gw: TestGateway, model: string, streamed: boolean): Promise<Part[]> {
  const ask = { model, contents: "Weather in Paris?", config: { tools: TOOLS, thinkingConfig: THINKING } };
  if (!streamed) return (await genai(gw).models.generateContent(ask)).candidates![0]!.content!.parts!;
  const chunks = await Array.fromAsync(await genai(gw).models.generateContentStream(ask));
  return chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []).filter((p) => p.text !== "" || p.thoughtSignature || p.functionCall);
}

/** The envelopes an answer's signatures decode to, strictly (throws as the Go and .NET SDKs would). */
const decoded = (parts: Part[]) => parts.filter((p) => p.thoughtSignature !== undefined).map((p) => strictBase64(p.thoughtSignature));

let claude: AnthropicEmulator;
let gemini: GeminiEmulator;
let gw: TestGateway;

beforeAll(async () => {
  claude = startAnthropicEmulator();
  gemini = startGeminiEmulator();
  gw = await startTestGateway(switchConfig({ gemini, claude }));
});
afterAll(async () => {
  await gw.stop();
  await Promise.all([claude.stop(), gemini.stop()]);
});

describe("every thoughtSignature the gateway writes is standard base64", () => {
  for (const streamed of [true, false]) {
    const how = streamed ? "streamGenerateContent" : "generateContent";

    test(`Anthropic (${how}): signed and redacted thinking, then the call Claude does not sign`, async () => {
      claude.enqueue(turn(claudeTurn));
      const parts = await answerParts(gw, "claude-sonnet-4-5", streamed);
      expect(decoded(parts)).toEqual([`agw1.t.${THINKING_SIGNATURE}`, `agw1.r.${REDACTED}`, NO_SIGNATURE]);
    });
  }

  describe("Bedrock", () => {
    let bedrock: BedrockEmulator;
    let gwB: ProviderGateway;
    beforeAll(async () => {
      bedrock = startBedrockEmulator();
      gwB = await gatewayFor("bedrock", bedrock, BEDROCK);
    });
    afterAll(async () => {
      await gwB.stop();
      await bedrock.stop();
    });

    for (const streamed of [true, false]) {
      test(`${streamed ? "ConverseStream" : "Converse"}: signed, then redacted reasoning, each with the call Bedrock does not sign`, async () => {
        bedrock.enqueue({ events: bedrockThinkingTool("get_weather", '{"location":"Oslo"}') }, { events: redactedReasoning });
        expect(decoded(await answerParts(gwB, "m", streamed))).toEqual([`agw1.t.${SIGNATURE}`, NO_SIGNATURE]);
        expect(decoded(await answerParts(gwB, "m", streamed))).toEqual([`agw1.r.${BEDROCK_REDACTED}`, NO_SIGNATURE]);
      });
    }
  });

  describe("an OpenAI-format server passing Claude's thinking blocks", () => {
    let openai: OpenAIEmulator;
    let gwO: ProviderGateway;
    beforeAll(async () => {
      openai = startOpenAIEmulator();
      gwO = await gatewayFor("openAI", openai, { auth: { key: "sk-gw" } });
    });
    afterAll(async () => {
      await gwO.stop();
      await openai.stop();
    });

    test("generateContent", async () => {
      const blocks = [
        { type: "thinking", thinking: "Plan.", signature: THINKING_SIGNATURE },
        { type: "redacted_thinking", data: REDACTED },
      ];
      openai.enqueue(openaiJson({ content: "Sunny.", thinking_blocks: blocks }, "stop"));
      expect(decoded(await answerParts(gwO, "gpt-4o", false))).toEqual([`agw1.t.${THINKING_SIGNATURE}`, `agw1.r.${REDACTED}`]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// the next turn

const STAND_IN = "skip_thought_signature_validator";
/** A signature as Gemini issues them: binary (protobuf), with `+` and `/` in its base64. */
const GEMINI_SIGNATURE = Buffer.from([0x0a, 0x22, 0x01, 0x54, 0xa8, 0x5c, 0xee, 0xf0, 0x7e, 0xbd, 0xa6, 0xaa, 0xfb, 0xff, 0xbf, 0x3e, 0xfb, 0xef, 0x12, 0x05]).toString("base64");

const ENCODINGS: [string, (v: string) => string][] = [
  ["as written (Go, .NET, JS)", (v) => v],
  ["URL-safe (Python)", pythonSdk],
  ["URL-safe, unpadded", unpadded],
];

/** `parts` with each signature re-encoded as a client sends it back. */
const reencoded = (parts: Part[], encode: (v: string) => string) => parts.map((p) => (p.thoughtSignature ? { ...p, thoughtSignature: encode(p.thoughtSignature) } : p));

/** Claude's turn with the tool's result: the body of the next request, as JSON. */
function toolLoop(parts: Part[], more: Record<string, unknown>[] = []): Record<string, unknown> {
  const call = parts.find((p) => p.functionCall)!.functionCall!;
  return {
    contents: [
      { role: "user", parts: [{ text: "Weather in Paris?" }] },
      { role: "model", parts },
      { role: "user", parts: [{ functionResponse: { id: call.id, name: call.name, response: { output: "18C" } } }] },
      ...more,
    ],
    tools: TOOLS,
    generationConfig: { thinkingConfig: THINKING },
  };
}

async function post(model: string, body: string | Record<string, unknown>): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return await fetch(`${gw.origin()}/v1beta/models/${model}:generateContent`, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": "client-key" }, body: text });
}

/** What Claude must get back for `claudeTurn`: its thinking as it signed it, then its call. */
const CLAUDE_REPLAYED = [
  { type: "thinking", thinking: "The user wants the weather in Paris.", signature: THINKING_SIGNATURE },
  { type: "redacted_thinking", data: REDACTED },
  { type: "tool_use", id: "toolu_01SigB64Weather", name: "get_weather", input: { location: "Paris" } },
];

/** What Gemini 3 must get of Claude's turn (`contents[at]`): no signature but the stand-in on the call. */
function expectCleaned(sent: { body: string; json: any }, at = 1): void {
  expect(sent.body).not.toContain("agw1.");
  expect(sent.body).not.toContain("YWd3MS");
  const parts = sent.json.contents[at].parts as Part[];
  expect(parts.filter((p) => !p.thought)).toEqual([{ functionCall: { id: "toolu_01SigB64Weather", name: "get_weather", args: { location: "Paris" } }, thoughtSignature: STAND_IN }]);
  expect(parts.every((p) => p.thoughtSignature === undefined || p.thoughtSignature === STAND_IN)).toBe(true);
}

describe("the next turn, with the signatures as each SDK sends them back", () => {
  test("the envelopes' base64 has no `+` or `/`: the Python SDK sends them back as written, unpadded they differ", async () => {
    claude.enqueue(turn(claudeTurn));
    const written = (await answerParts(gw, "claude-sonnet-4-5", false)).flatMap((p) => p.thoughtSignature ?? []);
    expect(written.map(pythonSdk)).toEqual(written);
    expect(written.map(unpadded).every((v, i) => v !== written[i] && !v.endsWith("="))).toBe(true);
  });

  for (const [how, encode] of ENCODINGS) {
    test(`${how}: Claude gets its own signature and redacted data`, async () => {
      claude.enqueue(turn(claudeTurn));
      const parts = reencoded(await answerParts(gw, "claude-sonnet-4-5", true), encode);
      claude.enqueue(turn(plainText));
      const res = await post("claude-sonnet-4-5", toolLoop(parts));
      expect(res.status).toBe(200);
      expect(claude.lastJson().messages[1].content).toEqual(CLAUDE_REPLAYED);
    });

    test(`${how}: before Gemini 3 (passthrough) Claude's are taken out, Gemini's own go as sent`, async () => {
      claude.enqueue(turn(claudeTurn));
      const parts = reencoded(await answerParts(gw, "claude-sonnet-4-5", false), encode);
      gemini.acceptSignatures(GEMINI_SIGNATURE);
      const own = encode(GEMINI_SIGNATURE);
      const later = [{ role: "model", parts: [{ text: "Mild in Paris.", thoughtSignature: own }] }, { role: "user", parts: [{ text: "Thanks" }] }];
      gemini.enqueue({ events: textEvents(["You're welcome."]) });
      const res = await post("gemini-3-pro-preview", toolLoop(parts, later));
      expect(res.status).toBe(200);
      const sent = gemini.requests.at(-1)!;
      expectCleaned(sent);
      expect(sent.json.contents[3]).toEqual(later[0]);
    });
  }
});

describe("histories written before: the envelopes as text", () => {
  /** Claude's turn as the gateway wrote it before (JS clients, Gemini CLI: kept as strings). */
  const legacy: Part[] = [
    { thought: true, text: "The user wants the weather in Paris." },
    { thought: true, text: "", thoughtSignature: `agw1.t.${THINKING_SIGNATURE}` },
    { thought: true, text: "", thoughtSignature: `agw1.r.${REDACTED}` },
    { functionCall: { id: "toolu_01SigB64Weather", name: "get_weather", args: { location: "Paris" } } },
  ];

  test("Claude gets its own signature and redacted data", async () => {
    claude.acceptSignatures(THINKING_SIGNATURE, REDACTED);
    claude.enqueue(turn(plainText));
    const res = await post("claude-sonnet-4-5", toolLoop(legacy));
    expect(res.status).toBe(200);
    expect(claude.lastJson().messages[1].content).toEqual(CLAUDE_REPLAYED);
  });

  test("before Gemini 3 they are taken out, with a later turn's in base64 (both forms in one body)", async () => {
    claude.enqueue(turn(claudeTurn));
    const later = reencoded(await answerParts(gw, "claude-sonnet-4-5", false), unpadded);
    gemini.enqueue({ events: textEvents(["Done."]) });
    const res = await post("gemini-3-pro-preview", toolLoop(legacy, [{ role: "model", parts: later }, { role: "user", parts: [{ text: "Thanks" }] }]));
    expect(res.status).toBe(200);
    const sent = gemini.requests.at(-1)!;
    expectCleaned(sent);
    expect((sent.json.contents[3].parts as Part[]).filter((p) => !p.thought)).toEqual([{ functionCall: later.find((p) => p.functionCall)!.functionCall, thoughtSignature: STAND_IN }]);
  });
});

describe("Gemini's own signatures are never taken for envelopes", () => {
  /** Bytes that start `agw1.` but are no text (invalid UTF-8 after): base64 opening with the mark. */
  const markLike = Buffer.from([0x61, 0x67, 0x77, 0x31, 0x2e, 0x74, 0x2e, 0xff, 0xfe, 0x80, 0x0a, 0x22, 0x01]).toString("base64");

  for (const [how, encode] of ENCODINGS) {
    test(`${how}: a history of Gemini's signatures alone goes byte for byte, even one opening with the mark`, async () => {
      gemini.acceptSignatures(GEMINI_SIGNATURE, markLike);
      expect(encode(markLike)).toStartWith('YWd3MS');
      const contents = [
        { role: "user", parts: [{ text: "What is YWd3MS50Lg== in base64? And agw1.t.?" }] },
        { role: "model", parts: [{ functionCall: { name: "get_weather", args: { location: "Rome" } }, thoughtSignature: encode(GEMINI_SIGNATURE) }] },
        { role: "user", parts: [{ functionResponse: { name: "get_weather", response: { output: "30C" } } }] },
        { role: "model", parts: [{ text: "Warm.", thoughtSignature: encode(markLike) }] },
        { role: "user", parts: [{ text: "Thanks" }] },
      ];
      // Python's json.dumps spacing: what is forwarded must be these bytes, not a re-serialization
      const body = JSON.stringify({ contents, tools: TOOLS }).replaceAll('":', '": ').replaceAll('",', '", ');
      gemini.enqueue({ events: textEvents(["You're welcome."]) });
      const res = await post("gemini-3-pro-preview", body);
      expect(res.status).toBe(200);
      expect(gemini.requests.at(-1)!.body).toBe(body);
    });
  }

  test("in a body with an envelope to take out, they stay as sent", async () => {
    claude.enqueue(turn(claudeTurn));
    const parts = await answerParts(gw, "claude-sonnet-4-5", true);
    const own = unpadded(GEMINI_SIGNATURE);
    gemini.acceptSignatures(GEMINI_SIGNATURE);
    const earlier = [{ role: "user", parts: [{ text: "Hi" }] }, { role: "model", parts: [{ text: "Hello.", thoughtSignature: own }] }];
    const body = toolLoop(parts);
    body.contents = [...earlier, ...(body.contents as unknown[])];
    gemini.enqueue({ events: textEvents(["Mild."]) });
    const res = await post("gemini-3-pro-preview", body);
    expect(res.status).toBe(200);
    const sent = gemini.requests.at(-1)!;
    expect(sent.json.contents[1]).toEqual(earlier[1]);
    expectCleaned(sent, 3);
  });
});
