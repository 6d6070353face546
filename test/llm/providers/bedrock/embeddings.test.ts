/**
 * Embeddings over Bedrock InvokeModel: Titan text v2 (one input per call, so batches fan out)
 * and Cohere embed (batches of up to 96), `dimensions`, both encodings, usage.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBedrockEmulator, testVector, type BedrockEmulator } from "../../../emulators/bedrock.ts";
import { providerSuite } from "../../../helpers/gateway.ts";
import * as scripts from "./scripts.ts";

const t = providerSuite("bedrock", startBedrockEmulator, scripts.PINNED);

const TITAN = "amazon.titan-embed-text-v2:0";
const COHERE = "cohere.embed-english-v3";
const f32 = (v: number[]) => Array.from(new Float32Array(v));

test("Titan v2, one input, floats: the vector, Titan's token count as usage", async () => {
  const res = await t.gw.client.embeddings.create({ model: TITAN, input: "The food was delicious", encoding_format: "float" });
  expect(res.object).toBe("list");
  expect(res.model).toBe(TITAN);
  expect(res.data).toEqual([{ object: "embedding", index: 0, embedding: testVector("The food was delicious", 1024) }]);
  expect(res.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
  const req = t.emu.requests.at(-1)!;
  expect(req.path).toBe("/model/amazon.titan-embed-text-v2%3A0/invoke");
  expect(req.json).toEqual({ inputText: "The food was delicious", normalize: true });
});

test("Titan v2 batch with dimensions: one signed call per input, results in order, usage summed", async () => {
  const before = t.emu.requests.length;
  const inputs = ["alpha", "beta gamma", "delta", "epsilon zeta eta", "theta", "iota"];
  const res = await t.gw.client.embeddings.create({ model: TITAN, input: inputs, dimensions: 256, encoding_format: "float" });
  expect(res.data.map((d) => d.index)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(res.data.map((d) => d.embedding)).toEqual(inputs.map((i) => testVector(i, 256)));
  expect(res.usage.prompt_tokens).toBe(inputs.reduce((n, i) => n + Math.ceil(i.length / 4), 0));
  const calls = t.emu.requests.slice(before);
  expect(calls.map((c) => c.json.inputText).sort()).toEqual([...inputs].sort());
  expect(calls.every((c) => c.json.dimensions === 256)).toBe(true);
});

test("the SDK's default base64 encoding decodes to the same float32 vectors", async () => {
  const res = await t.gw.client.embeddings.create({ model: TITAN, input: ["one", "two"] });
  expect(res.data.map((d) => d.embedding)).toEqual([f32(testVector("one", 1024)), f32(testVector("two", 1024))]);
});

test("Cohere embed: a batch in one call, input_type defaulted, usage from Bedrock's token-count header", async () => {
  const res = await t.gw.client.embeddings.create({ model: COHERE, input: ["hello world", "bonjour"], encoding_format: "float" });
  expect(res.data.map((d) => d.embedding)).toEqual([testVector("hello world", 1024), testVector("bonjour", 1024)]);
  expect(res.usage).toEqual({ prompt_tokens: 5, total_tokens: 5 });
  expect(t.emu.requests.at(-1)!.json).toEqual({ texts: ["hello world", "bonjour"], input_type: "search_document" });
});

test("Cohere batches over 96 texts are split, indices continue across calls", async () => {
  const inputs = Array.from({ length: 100 }, (_, i) => `doc ${i}`);
  const before = t.emu.requests.length;
  const res = await t.gw.client.embeddings.create({ model: COHERE, input: inputs, encoding_format: "float" });
  expect(res.data.length).toBe(100);
  expect(res.data[99]).toEqual({ object: "embedding", index: 99, embedding: testVector("doc 99", 1024) });
  expect(t.emu.requests.slice(before).map((r) => r.json.texts.length)).toEqual([96, 4]);
});

test("dimensions on a model that cannot change them is a 400; so is an unknown embeddings model", async () => {
  const a = await t.gw.client.embeddings.create({ model: COHERE, input: "x", dimensions: 256 }).catch((e) => e);
  expect(a.status).toBe(400);
  expect(a.message).toContain("dimensions");
  const b = await t.gw.client.embeddings.create({ model: "meta.llama3-70b-instruct-v1:0", input: "x" }).catch((e) => e);
  expect(b.status).toBe(400);
  expect(b.message).toContain("Titan");
});
