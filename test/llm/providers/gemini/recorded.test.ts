/**
 * Recorded Gemini answers (test/fixtures/recorded/SOURCES.md; LF and CRLF framings) through the
 * translator and the OpenAI writer: text, thoughts, the signed function call, finish reason,
 * usage and a prompt blocked mid-stream; whole answers and an error body too.
 */
import { describe, expect, test } from "bun:test";
import { openaiCompletion } from "../../../../src/llm/hub/openai-writer.ts";
import { geminiChat, geminiError } from "../../../../src/llm/providers/gemini/index.ts";
import { answer, chunked, cutAt, normalised, pipeline, recorded, recordedText, streamContext, translate } from "../../../helpers/replay.ts";

const chat = geminiChat<unknown>({ includeCallIds: true, modelPath: () => "" });
const stream = chat.stream;
const json = (path: string) => JSON.parse(recordedText(path));

describe("recorded Gemini streams", () => {
  test("plain text (fast path): text, finish, usage, the model Gemini reports", async () => {
    const bytes = recorded("gemini/stream-text-basic.sse");
    const a = answer(await pipeline(stream, [bytes]));
    expect(a.wellFormed).toBe(true);
    expect(a.done).toBe(true);
    expect(a.ids.size).toBe(1);
    expect([...a.ids][0]).toMatch(/^chatcmpl-/); // this recording has no responseId
    expect([...a.models]).toEqual(["gemini-3.1-flash-lite"]);
    expect(a.roles).toEqual(["assistant"]);
    expect(a.content).toBe("The capital of Wyoming is **Cheyenne**.\n");
    expect(a.toolCalls).toEqual([]);
    expect(a.finish).toBe("stop");
    expect(a.usage).toEqual({ prompt_tokens: 7, completion_tokens: 10, total_tokens: 17 });
    const whole = normalised(translate(stream, [bytes]));
    for (const size of [1, 7, 64, 500]) expect(normalised(translate(stream, chunked(bytes, size)))).toBe(whole);
  });

  const thinking = recorded("gemini/stream-thinking-functioncall-thoughtsignature.sse");
  const signature = JSON.parse(recordedText("gemini/stream-thinking-functioncall-thoughtsignature.sse").split("\r\n\r\n")[2]!.slice(6)).candidates[0].content.parts[0].thoughtSignature as string;

  test("thought summaries, then a function call signed on its part (CRLF framing)", async () => {
    const a = answer(await pipeline(stream, [thinking]));
    expect(a.wellFormed).toBe(true);
    expect(a.done).toBe(true);
    expect([...a.ids]).toEqual(["chatcmpl-48SHaPHpHKbG-8YPtZCawAk"]);
    expect([...a.models]).toEqual(["gemini-2.5-flash"]);
    expect(a.content).toBe("");
    expect(a.reasoning.startsWith("**Calculating the Days**\n\nI've determined the user's request")).toBe(true);
    expect(a.reasoning).toContain("**Determining the Approach**");
    expect(a.toolCalls).toHaveLength(1);
    const call = a.toolCalls[0]!;
    expect(call).toMatchObject({ index: 0, name: "now", arguments: "{}", extra: { google: { thought_signature: signature } } });
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(signature).toHaveLength(1140);
    expect(a.finish).toBe("tool_calls"); // Gemini says STOP when it calls functions
    expect(a.usage).toEqual({ prompt_tokens: 38, completion_tokens: 174, total_tokens: 212, completion_tokens_details: { reasoning_tokens: 168 } });
  });

  test("the thinking stream split at every byte gives the same client bytes", () => {
    const whole = normalised(translate(stream, [thinking]));
    for (let i = 1; i < thinking.byteLength; i++) {
      if (normalised(translate(stream, cutAt(thinking, [i]))) !== whole) throw new Error(`a read boundary at byte ${i} of ${thinking.byteLength} changed the output`);
    }
    for (const size of [1, 2, 3, 100]) expect(normalised(translate(stream, chunked(thinking, size)))).toBe(whole);
  });

  test("a prompt blocked after three text events: the text, then the block as a 400-coded error event", () => {
    // the recording ends with one CRLF: the blank line that ends the last event is added here
    const bytes = new Uint8Array([...recorded("gemini/stream-prompt-blocked-safety.sse"), 13, 10]);
    const a = answer(translate(stream, [bytes]));
    expect(a.content).toBe("text1text2text3");
    expect(a.done).toBe(false);
    expect(a.error).toEqual({ message: "Gemini blocked the prompt (blockReason SAFETY)", type: "invalid_request_error", param: null, code: "prompt_blocked", status: 400 });
    const whole = translate(stream, [bytes]);
    for (let i = 1; i < bytes.byteLength; i += 5) expect(normalised(translate(stream, cutAt(bytes, [i])))).toBe(normalised(whole));
  });

  test("the blocked-prompt file as stored (last event unterminated) is reported as cut after its text", () => {
    const a = answer(translate(stream, [recorded("gemini/stream-prompt-blocked-safety.sse")]));
    expect(a.content).toBe("text1text2text3");
    expect(a.error).toMatchObject({ code: "upstream_stream_incomplete", message: "upstream stream was cut off mid-event" });
  });
});

describe("recorded Gemini whole answers and errors", () => {
  const ctx = streamContext();

  test("two parallel function calls (Vertex): tool_calls, finish tool_calls, thoughts counted as output", () => {
    const msg = chat.response(recordedText("gemini/nonstream-parallel-function-calls.vertex.json"), ctx);
    const out = JSON.parse(openaiCompletion(msg, ctx));
    expect(out).toMatchObject({ id: "chatcmpl-adFmadKgHezVjrEP06blsQ0", object: "chat.completion", model: "gemini-2.5-flash" });
    const message = out.choices[0].message;
    expect(message.content).toBeNull();
    const args = json("gemini/nonstream-parallel-function-calls.vertex.json").candidates[0].content.parts.map((p: { functionCall: { args: unknown } }) => p.functionCall.args);
    expect(message.tool_calls.map((c: { type: string; function: { name: string; arguments: string } }) => [c.type, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["function", "fetchWeather", args[0]],
      ["function", "completelyDifferentFunction", args[1]],
    ]);
    expect(new Set(message.tool_calls.map((c: { id: string }) => c.id)).size).toBe(2);
    expect(out.choices[0].finish_reason).toBe("tool_calls");
    expect(out.usage).toEqual({ prompt_tokens: 212, completion_tokens: 178, total_tokens: 390, completion_tokens_details: { reasoning_tokens: 139 } });
  });

  test("implicit cache hits (Vertex): cached_tokens", () => {
    const out = JSON.parse(openaiCompletion(chat.response(recordedText("gemini/nonstream-implicit-cache-tokens.vertex.json"), ctx), ctx));
    expect(out.choices[0].message.content).toBe("Red Riding Hood is looking for **directions** in the forest.");
    expect(out.choices[0].finish_reason).toBe("stop");
    expect(out.usage).toEqual({
      prompt_tokens: 12013,
      completion_tokens: 88,
      total_tokens: 12101,
      prompt_tokens_details: { cached_tokens: 11243 },
      completion_tokens_details: { reasoning_tokens: 73 },
    });
  });

  test("an invalid API key (HTTP 400): Google's status as the code", () => {
    expect(geminiError(400, recordedText("gemini/error-api-key-invalid.json"), new Headers())).toEqual({
      message: "API key not valid. Please pass a valid API key.",
      type: "invalid_request_error",
      code: "INVALID_ARGUMENT",
    });
  });
});
