/**
 * The local count-tokens estimate against o200k (gpt-tokenizer, the GPT-4o / GPT-5 tokenizer):
 * the error bound src/llm/count/estimate.ts documents, on prose in six languages, Markdown,
 * TypeScript and JSON.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { encode } from "gpt-tokenizer/encoding/o200k_base";
import { estimateRequestTokens, estimateTextTokens, IMAGE_TOKENS } from "../../../src/llm/count/estimate.ts";

const root = join(import.meta.dir, "../../fixtures");
const samples = [
  ...readdirSync(join(root, "text"))
    .filter((f) => f !== "README.md")
    .map((f) => join(root, "text", f)),
  join(root, "recorded/anthropic/nonstream-parallel-tools.json"),
  join(root, "recorded/gemini/nonstream-parallel-function-calls.vertex.json"),
  join(root, "recorded/gemini/nonstream-implicit-cache-tokens.vertex.json"),
].map((path) => ({ path, text: readFileSync(path, "utf8") }));

describe("estimateTextTokens: error bound against o200k", () => {
  let actualTotal = 0;
  let estimatedTotal = 0;
  for (const s of samples) {
    test(`within 15% on ${s.path.slice(root.length + 1)}`, () => {
      const actual = encode(s.text).length;
      const estimate = estimateTextTokens(s.text);
      actualTotal += actual;
      estimatedTotal += estimate;
      expect(actual).toBeGreaterThanOrEqual(200);
      expect(Math.abs(estimate - actual) / actual).toBeLessThanOrEqual(0.15);
    });
  }
  test("within 5% on the whole corpus", () => {
    expect(samples.length).toBeGreaterThanOrEqual(12);
    expect(Math.abs(estimatedTotal - actualTotal) / actualTotal).toBeLessThanOrEqual(0.05);
  });
});

describe("estimateRequestTokens", () => {
  test("messages, their overhead, tools and images", () => {
    const text = estimateTextTokens("Hello there");
    const tools = [{ type: "function", function: { name: "f", parameters: { type: "object" } } }];
    expect(estimateRequestTokens({ model: "m", messages: [{ role: "user", content: "Hello there" }] })).toBe(3 + 3 + text);
    expect(estimateRequestTokens({ model: "m", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AA" } }] }] })).toBe(6 + IMAGE_TOKENS);
    expect(estimateRequestTokens({ model: "m", messages: [{ role: "user", content: "x" }], tools })).toBe(6 + estimateTextTokens("x") + estimateTextTokens(JSON.stringify(tools)));
  });
});
