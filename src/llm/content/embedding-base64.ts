/**
 * OpenAI's `encoding_format: "base64"` for embeddings (the OpenAI SDKs ask for it by default):
 * the vector as little-endian float32 bytes, base64-encoded. Shared by the providers whose
 * upstream returns floats (Gemini, Bedrock).
 */
export function float32Base64(vector: readonly number[]): string {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  // explicit little-endian: a Float32Array would use the host's byte order
  vector.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return Buffer.from(bytes).toString("base64");
}
