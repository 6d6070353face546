/** The one base64 embedding encoder (Gemini and Bedrock embeddings use it). */
import { describe, expect, test } from "bun:test";
import { float32Base64 } from "../../src/llm/content/embedding-base64.ts";

describe("float32Base64", () => {
  test("little-endian float32 bytes, as OpenAI encodes embeddings", () => {
    const encoded = float32Base64([1, -2.5, 0.1]);
    const bytes = Buffer.from(encoded, "base64");
    expect(bytes.byteLength).toBe(12);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect([view.getFloat32(0, true), view.getFloat32(4, true), view.getFloat32(8, true)]).toEqual([1, -2.5, Math.fround(0.1)]);
    expect(float32Base64([1])).toBe("AACAPw=="); // 1.0f = 00 00 80 3f
    expect(float32Base64([])).toBe("");
  });
});
