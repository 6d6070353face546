/**
 * A Gemini-native client's tool call answered by a provider that signs nothing (Claude without
 * thinking, an OpenAI-format model, Bedrock without reasoning), over real HTTP with the official
 * google-genai SDK. Gemini 3 refuses a turn whose function call has no thought signature (the
 * Gemini emulator checks it as Gemini does), and a history with no envelope in it goes to a
 * native passthrough byte for byte: so the gateway writes such a call with a signature of its
 * own, the `agw1.n.` envelope ("no signature") in standard base64, which it turns into Google's
 * stand-in before Gemini 3, drops before Gemini 2.5, and drops when the history goes to another
 * provider (the Anthropic emulator refuses any signature Claude did not issue). Signatures a
 * provider did give (Gemini's, through Google's OpenAI-compatible convention) stay as they were.
 */
import { GoogleGenAI, Type, type Content, type Part, type Tool } from "@google/genai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../../emulators/bedrock.ts";
import { startGeminiEmulator, textEvents, type GeminiEmulator } from "../../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, startTestGateway, type ProviderGateway, type TestGateway } from "../../helpers/gateway.ts";
import { oneTool, plainText } from "../providers/anthropic/scripts.ts";
import { parallelTools, PINNED as BEDROCK } from "../providers/bedrock/scripts.ts";
import { openaiJson, openaiToolStream, strictBase64, switchConfig } from "./scripts.ts";

const NO_SIGNATURE = "agw1.n.";
const STAND_IN = "skip_thought_signature_validator";
const TOOLS: Tool[] = [{ functionDeclarations: [{ name: "get_weather", description: "Weather", parameters: { type: Type.OBJECT, properties: { location: { type: Type.STRING } } } }] }];

let claude: AnthropicEmulator;
let gemini: GeminiEmulator;
let openai: OpenAIEmulator;
let bedrock: BedrockEmulator;
let gw: TestGateway;
let gwBedrock: ProviderGateway;
let vertex: ProviderGateway;

beforeAll(async () => {
  claude = startAnthropicEmulator();
  gemini = startGeminiEmulator();
  openai = startOpenAIEmulator();
  bedrock = startBedrockEmulator();
  gw = await startTestGateway(switchConfig({ gemini, claude, openai }));
  gwBedrock = await gatewayFor("bedrock", bedrock, BEDROCK);
  vertex = await gatewayFor("vertex", gemini, { settings: { projectId: "proj-1", region: "us-central1" }, auth: { key: "ya29.test-access-token" } });
});
afterAll(async () => {
  await Promise.all([gw.stop(), gwBedrock.stop(), vertex.stop()]);
  await Promise.all([claude.stop(), gemini.stop(), openai.stop(), bedrock.stop()]);
});

const genai = (on: TestGateway) => new GoogleGenAI({ apiKey: "client-key", httpOptions: { baseUrl: on.origin() } });
const how = (streamed: boolean) => (streamed ? "streamGenerateContent" : "generateContent");

/** An answer's parts as a client keeps them (a stream's closing empty text left out). */
async function answer(on: TestGateway, model: string, streamed: boolean): Promise<Part[]> {
  const ask = { model, contents: "Weather in Paris?", config: { tools: TOOLS } };
  if (!streamed) return (await genai(on).models.generateContent(ask)).candidates![0]!.content!.parts!;
  const chunks = await Array.fromAsync(await genai(on).models.generateContentStream(ask));
  return chunks.flatMap((c) => c.candidates?.[0]?.content?.parts ?? []).filter((p) => p.text !== "" || p.thoughtSignature || p.functionCall);
}

/** Claude's turn (text, then a call, no thinking): its call carries the envelope, strictly decoded. */
async function claudeTurn(streamed: boolean): Promise<Part[]> {
  claude.enqueue(turn(oneTool));
  const parts = await answer(gw, "claude-sonnet-4-5", streamed);
  expect(parts.filter((p) => p.thoughtSignature !== undefined).map((p) => strictBase64(p.thoughtSignature))).toEqual([NO_SIGNATURE]);
  expect(parts.find((p) => p.functionCall)!.thoughtSignature).toBe(Buffer.from(NO_SIGNATURE).toString("base64"));
  return parts;
}

/** The turn, the tool's result: the next request's contents. */
function history(parts: Part[], opts: { ids?: boolean } = {}): Content[] {
  const calls = parts.filter((p) => p.functionCall).map((p) => p.functionCall!);
  // Vertex takes no function call ids (the emulator refuses them as Vertex does)
  const model = opts.ids === false ? parts.map((p) => (p.functionCall ? { ...p, functionCall: { name: p.functionCall.name, args: p.functionCall.args } } : p)) : parts;
  const results = calls.map((c) => ({ functionResponse: { ...(opts.ids === false ? {} : { id: c.id }), name: c.name, response: { output: "18C" } } }));
  return [
    { role: "user", parts: [{ text: "Weather in Paris?" }] },
    { role: "model", parts: model },
    { role: "user", parts: results },
  ];
}

/** `parts` as Gemini must get them: the envelope gone, `signatures[i]` on the i-th call. */
function expected(parts: Part[], signatures: (string | undefined)[]): Part[] {
  let call = 0;
  return parts.map((p) => {
    if (!p.functionCall) return p;
    const { thoughtSignature: _envelope, ...bare } = p;
    const signature = signatures[call++];
    return signature === undefined ? bare : { ...bare, thoughtSignature: signature };
  });
}

/** Sends `contents` to `model` as the client would, and returns the answer's text. */
async function next(on: TestGateway, model: string, contents: Content[], streamed: boolean): Promise<string> {
  const ask = { model, contents, config: { tools: TOOLS } };
  if (!streamed) return (await genai(on).models.generateContent(ask)).text ?? "";
  return (await Array.fromAsync(await genai(on).models.generateContentStream(ask))).map((c) => c.text ?? "").join("");
}

/** What the Gemini emulator last got: no envelope anywhere, the model turn's parts. */
function sentModelTurn(): Part[] {
  const sent = gemini.requests.at(-1)!;
  expect(sent.body).not.toContain("agw1.");
  expect(sent.body).not.toContain("YWd3MS");
  return sent.json.contents[1].parts as Part[];
}

describe("a call Claude answered without thinking, its result, then the next turn", () => {
  for (const streamed of [true, false]) {
    test(`${how(streamed)}, then Gemini 3 (passthrough): the call reaches Gemini with Google's stand-in`, async () => {
      const parts = await claudeTurn(streamed);
      gemini.enqueue({ events: textEvents(["Mild ", "in Paris."]) });
      expect(await next(gw, "gemini-3-pro-preview", history(parts), streamed)).toBe("Mild in Paris.");
      expect(sentModelTurn()).toEqual(expected(parts, [STAND_IN]));
    });

    test(`${how(streamed)}, then Gemini 2.5 (passthrough): the call reaches Gemini without a signature`, async () => {
      const parts = await claudeTurn(streamed);
      gemini.enqueue({ events: textEvents(["Mild."]) });
      expect(await next(gw, "gemini-2.5-flash", history(parts), streamed)).toBe("Mild.");
      expect(sentModelTurn()).toEqual(expected(parts, [undefined]));
    });

    test(`${how(streamed)}, then Claude again: no signature reaches Claude`, async () => {
      const parts = await claudeTurn(streamed);
      claude.enqueue(turn(plainText));
      expect(await next(gw, "claude-sonnet-4-5", history(parts), streamed)).toBe("Hello! How can I help you today?");
      const sent = claude.requests.at(-1)!;
      expect(sent.body).not.toContain("agw1.");
      expect(sent.body).not.toContain("YWd3MS");
      const content = sent.json.messages[1].content as Record<string, unknown>[];
      expect(content.map((b) => b.type)).toEqual(["text", "tool_use"]);
      expect(content[1]).toEqual({ type: "tool_use", id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", input: { location: "Boston, MA" } });
    });
  }

  test("why: the same history with the envelope dropped goes byte for byte, and Gemini 3 refuses it", async () => {
    const parts = (await claudeTurn(false)).map(({ thoughtSignature: _dropped, ...p }) => p);
    const res = await fetch(`${gw.origin()}/v1beta/models/gemini-3-pro-preview:generateContent`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "client-key" },
      body: JSON.stringify({ contents: history(parts), tools: TOOLS }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toStartWith("Function call is missing a thought_signature in functionCall parts.");
  });

  test("Vertex, Gemini 3 (streamed): the call without its id gets the stand-in", async () => {
    const parts = await claudeTurn(false);
    gemini.enqueue({ events: textEvents(["Mild."]) });
    const contents = history(parts, { ids: false });
    expect(await next(vertex, "gemini-3-flash-preview", contents, true)).toBe("Mild.");
    expect(gemini.requests.at(-1)!.path).toBe("/v1/projects/proj-1/locations/us-central1/publishers/google/models/gemini-3-flash-preview:streamGenerateContent");
    expect(sentModelTurn()).toEqual(expected(contents[1]!.parts!, [STAND_IN]));
  });

  test("the envelope sent back unpadded (base64url as JWTs write it), with fetch: Gemini 3 still gets the stand-in", async () => {
    const parts = (await claudeTurn(true)).map((p) => (p.thoughtSignature ? { ...p, thoughtSignature: Buffer.from(p.thoughtSignature, "base64").toString("base64url") } : p));
    expect(parts.find((p) => p.functionCall)!.thoughtSignature).toBe("YWd3MS5uLg");
    gemini.enqueue({ events: textEvents(["Mild."]) });
    const body = JSON.stringify({ contents: history(parts), tools: TOOLS });
    const res = await fetch(`${gw.origin()}/v1beta/models/gemini-3-pro-preview:generateContent`, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": "client-key" }, body });
    expect(res.status).toBe(200);
    expect(sentModelTurn()).toEqual(expected(parts, [STAND_IN]));
  });
});

describe("other providers that sign no call", () => {
  test("an OpenAI-format model (streamed): its call carries the envelope, and reaches Gemini 3 with the stand-in", async () => {
    openai.enqueue(openaiToolStream("get_weather", '{"location":"Paris"}'));
    const parts = await answer(gw, "gpt-4o", true);
    expect(parts.filter((p) => p.thoughtSignature !== undefined).map((p) => strictBase64(p.thoughtSignature))).toEqual([NO_SIGNATURE]);
    gemini.enqueue({ events: textEvents(["Mild."]) });
    expect(await next(gw, "gemini-3-pro-preview", history(parts), false)).toBe("Mild.");
    expect(sentModelTurn()).toEqual(expected(parts, [STAND_IN]));
  });

  for (const streamed of [true, false]) {
    test(`Bedrock without reasoning, two calls (${streamed ? "ConverseStream" : "Converse"}): each carries the envelope; Gemini 3 gets the stand-in on the first only, as Gemini signs parallel calls`, async () => {
      bedrock.enqueue({ events: parallelTools });
      const parts = await answer(gwBedrock, "m", streamed);
      expect(parts.filter((p) => p.functionCall).map((p) => strictBase64(p.thoughtSignature))).toEqual([NO_SIGNATURE, NO_SIGNATURE]);
      gemini.enqueue({ events: textEvents(["Mild in both."]) });
      expect(await next(gw, "gemini-3-pro-preview", history(parts), streamed)).toBe("Mild in both.");
      expect(sentModelTurn()).toEqual(expected(parts, [STAND_IN, undefined]));
    });
  }
});

describe("a call the provider did sign", () => {
  test("Gemini's signature through Google's OpenAI-compatible convention is written as given, and goes to Gemini 3 byte for byte", async () => {
    const call = { id: "call_sig1", type: "function", function: { name: "get_weather", arguments: '{"location":"Rome"}' }, extra_content: { google: { thought_signature: "c2lnLWNhbGw=" } } };
    openai.enqueue(openaiJson({ content: null, tool_calls: [call] }, "tool_calls"));
    const parts = await answer(gw, "gpt-4o", false);
    expect(parts).toEqual([{ functionCall: { id: "call_sig1", name: "get_weather", args: { location: "Rome" } }, thoughtSignature: "c2lnLWNhbGw=" }]);
    gemini.acceptSignatures("c2lnLWNhbGw=");
    gemini.enqueue({ events: textEvents(["Warm."]) });
    const body = JSON.stringify({ contents: history(parts), tools: TOOLS });
    const res = await fetch(`${gw.origin()}/v1beta/models/gemini-3-pro-preview:generateContent`, { method: "POST", headers: { "content-type": "application/json", "x-goog-api-key": "client-key" }, body });
    expect(res.status).toBe(200);
    expect(gemini.requests.at(-1)!.body).toBe(body);
  });
});
