/** AI Studio embeddings through the OpenAI SDK (batchEmbedContents <-> the OpenAI list). */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GEMINI_TEST_KEY, startGeminiEmulator, vectorOf, type GeminiEmulator } from "../../../emulators/gemini.ts";
import { gatewayFor, openaiClient, type TestGateway } from "../../../helpers/gateway.ts";

let emu: GeminiEmulator;
let gw: TestGateway;

beforeAll(async () => {
  emu = startGeminiEmulator();
  // pinned to a chat model: embeddings keep the client's model
  gw = await gatewayFor("gemini", emu, { settings: { model: "gemini-2.5-flash" }, auth: { key: GEMINI_TEST_KEY } });
});

afterAll(async () => {
  await gw?.stop();
  emu?.stop();
});

const last = () => emu.requests.at(-1)!;

function expectVector(actual: number[], text: string) {
  const expected = vectorOf(text);
  expect(actual).toHaveLength(expected.length);
  expected.forEach((v, i) => expect(actual[i]!).toBeCloseTo(v, 5));
}

describe("gemini embeddings", () => {
  test("several inputs, the SDK's default base64 encoding, dimensions", async () => {
    const client = openaiClient(gw.baseURL());
    const res = await client.embeddings.create({ model: "gemini-embedding-001", input: ["first text", "second"], dimensions: 4 });
    expect(res.object).toBe("list");
    expect(res.model).toBe("gemini-embedding-001");
    expect(res.data.map((d) => d.index)).toEqual([0, 1]);
    expectVector(res.data[0]!.embedding, "first text");
    expectVector(res.data[1]!.embedding, "second");

    const r = last();
    expect(r.path).toBe("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    expect(r.headers.get("x-goog-api-key")).toBe(GEMINI_TEST_KEY);
    expect(r.json).toEqual({
      requests: [
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "first text" }] }, outputDimensionality: 4 },
        { model: "models/gemini-embedding-001", content: { parts: [{ text: "second" }] }, outputDimensionality: 4 },
      ],
    });
  });

  test("one input, floats asked for explicitly", async () => {
    const client = openaiClient(gw.baseURL());
    const res = await client.embeddings.create({ model: "gemini-embedding-001", input: "hello", encoding_format: "float" });
    expect(res.data).toHaveLength(1);
    expect(res.data[0]!.embedding).toEqual(vectorOf("hello"));
  });

  test("token-array input is refused with a 400 naming 'input'", async () => {
    const client = openaiClient(gw.baseURL());
    const err = await client.embeddings.create({ model: "gemini-embedding-001", input: [1, 2, 3] }).catch((e) => e);
    expect(err.status).toBe(400);
    expect(err.error.param).toBe("input");
  });
});
