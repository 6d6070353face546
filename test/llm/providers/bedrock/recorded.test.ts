/**
 * A recorded ConverseStream answer (binary AWS event stream, test/fixtures/recorded/SOURCES.md)
 * through the event-stream decoder, the translator and the OpenAI writer, cut at every byte.
 */
import { describe, expect, test } from "bun:test";
import { bedrockAdapter } from "../../../../src/llm/providers/bedrock/index.ts";
import { eventStreamFrames } from "../../../../src/llm/stream/eventstream.ts";
import { answer, chunked, cutAt, pipeline, recordedText, streamContext, translate, type MakeTranslator } from "../../../helpers/replay.ts";

const stream: MakeTranslator = bedrockAdapter.chat!.stream;
const bytes = new Uint8Array(Buffer.from(recordedText("bedrock/converse-stream-text-tooluse.b64").trim(), "base64"));
const ctx = (includeUsage = true) => streamContext({ "x-amzn-requestid": "6b3e9f7c-recorded" }, includeUsage);

describe("recorded Bedrock ConverseStream (text, then a tool call)", () => {
  test("the recording is the 25 frames its source describes, every checksum valid", () => {
    expect(bytes.byteLength).toBe(4837);
    const frames = eventStreamFrames().push(bytes);
    expect(frames).toHaveLength(25);
    expect(frames.every((f) => f.headers[":message-type"] === "event")).toBe(true);
  });

  test("text, the tool call with complete arguments, finish reason and usage", async () => {
    const text = await pipeline(stream, [bytes], ctx());
    const a = answer(text);
    expect(a.wellFormed).toBe(true);
    expect(a.done).toBe(true);
    expect(a.error).toBeUndefined();
    expect([...a.ids]).toEqual(["6b3e9f7c-recorded"]);
    expect([...a.models]).toEqual(["gateway-model"]); // ConverseStream does not name the model
    expect(a.roles).toEqual(["assistant"]);
    expect(a.content).toBe('To calculate the cosine of 7, we can use the "cosine" function that is available to us. Let\'s use this function to get the result.');
    expect(a.toolCalls.map((c) => ({ ...c, arguments: JSON.parse(c.arguments) }))).toEqual([{ index: 0, id: "tooluse_QklrEHKjRu6Oc4BQUfy7ZQ", name: "cosine", arguments: { x: 7 } }]);
    expect(a.finish).toBe("tool_calls");
    expect(a.usage).toEqual({ prompt_tokens: 386, completion_tokens: 75, total_tokens: 461 });
    expect(translate(stream, [bytes], ctx())).toBe(text);
  });

  test("the same bytes for a read boundary at every byte, and for reads of 1, 13 and 512 bytes", () => {
    const whole = translate(stream, [bytes], ctx());
    for (let i = 1; i < bytes.byteLength; i++) {
      if (translate(stream, cutAt(bytes, [i]), ctx()) !== whole) throw new Error(`a read boundary at byte ${i} of ${bytes.byteLength} changed the output`);
    }
    for (const size of [1, 13, 512]) expect(translate(stream, chunked(bytes, size), ctx())).toBe(whole);
  });

  test("cut inside the last frame (metadata): the finished answer, then an incomplete-stream error", () => {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let last = 0;
    for (let at = 0; at < bytes.byteLength; at += view.getUint32(at)) last = at;
    for (const cut of [last + 1, last + 12, bytes.byteLength - 1]) {
      const a = answer(translate(stream, [bytes.subarray(0, cut)], ctx()));
      expect(a.finish).toBe("tool_calls"); // messageStop came before the metadata frame
      expect(a.usage).toBeUndefined();
      expect(a.done).toBe(false);
      expect(a.error).toMatchObject({ code: "upstream_stream_incomplete", message: "upstream stream was cut off mid-event" });
    }
  });

  test("without include_usage: no usage chunk", () => {
    const a = answer(translate(stream, [bytes], ctx(false)));
    expect(a.usage).toBeUndefined();
    expect(a.done).toBe(true);
  });
});
