/**
 * How Gemini answers end, as the OpenAI SDK sees them: thinking (reasoning_content, reasoning
 * tokens), truncation, safety stops, blocked prompts, rate limits with RetryInfo, broken streams.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { blockedPromptEvents, event, GEMINI_TEST_KEY, rateLimited, safetyStopEvents, startGeminiEmulator, textEvents, thinkingEvents, type GeminiEmulator } from "../../../emulators/gemini.ts";
import { gatewayFor, openaiClient, type TestGateway } from "../../../helpers/gateway.ts";

let emu: GeminiEmulator;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  emu = startGeminiEmulator();
  gw = await gatewayFor("gemini", emu, { auth: { key: GEMINI_TEST_KEY } });
  client = openaiClient(gw.baseURL());
});

afterAll(async () => {
  await gw?.stop();
  emu?.stop();
});

const last = () => emu.requests.at(-1)!;
const ask = (model = "gemini-2.5-flash") => ({ model, messages: [{ role: "user" as const, content: "Go" }] });

async function drain(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  return chunks;
}

describe("gemini: thinking", () => {
  test("reasoning_effort asks for a thinking budget (2.5) and thought summaries come back as reasoning_content", async () => {
    emu.script(() => ({ events: thinkingEvents(["Let me think", " about primes."], ["2, 3", ", 5."], "dGV4dC1zaWc=") }));
    const res = await client.chat.completions.create({ ...ask(), reasoning_effort: "low" });
    expect(last().json.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 1024, includeThoughts: true } });
    const msg = res.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string; extra_content?: unknown };
    expect(msg.content).toBe("2, 3, 5.");
    expect(msg.reasoning_content).toBe("Let me think about primes.");
    // the answer's signature is kept for the next turn
    expect(msg.extra_content).toEqual({ google: { thought_signature: "dGV4dC1zaWc=" } });
    // thoughts are output tokens, and reasoning tokens
    expect(res.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 42, total_tokens: 54, completion_tokens_details: { reasoning_tokens: 40 } });
  });

  test("Gemini 3 takes a thinking level; streamed thoughts arrive as reasoning_content deltas before the answer", async () => {
    emu.script(() => ({ events: thinkingEvents(["Considering", " options."], ["Pick", " B."], "c2ln") }));
    const stream = await client.chat.completions.create({ ...ask("gemini-3-pro-preview"), reasoning_effort: "high", stream: true, stream_options: { include_usage: true } });
    const chunks = await drain(stream);
    expect(last().json.generationConfig).toEqual({ thinkingConfig: { thinkingLevel: "high", includeThoughts: true } });
    const deltas = chunks.map((c) => c.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined);
    expect(deltas.map((d) => d?.reasoning_content ?? "").join("")).toBe("Considering options.");
    expect(deltas.map((d) => d?.content ?? "").join("")).toBe("Pick B.");
    const firstContent = deltas.findIndex((d) => d?.content);
    const lastReasoning = deltas.findLastIndex((d) => d?.reasoning_content);
    expect(lastReasoning).toBeLessThan(firstContent);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 42, completion_tokens_details: { reasoning_tokens: 40 } });
  });

  test("xhigh and max are Gemini's top budget (2.5) or level (3); none turns 2.5 Flash's thinking off and leaves Pro's default", async () => {
    const sent = async (model: string, effort: string) => {
      await client.chat.completions.create({ ...ask(model), reasoning_effort: effort as OpenAI.ReasoningEffort });
      return (last().json as { generationConfig?: unknown }).generationConfig;
    };
    expect(await sent("gemini-2.5-flash", "xhigh")).toEqual({ thinkingConfig: { thinkingBudget: 24576, includeThoughts: true } });
    expect(await sent("gemini-3-pro-preview", "xhigh")).toEqual({ thinkingConfig: { thinkingLevel: "high", includeThoughts: true } });
    expect(await sent("gemini-2.5-pro", "max")).toEqual({ thinkingConfig: { thinkingBudget: 24576, includeThoughts: true } });
    expect(await sent("gemini-3-pro-preview", "max")).toEqual({ thinkingConfig: { thinkingLevel: "high", includeThoughts: true } });
    expect(await sent("gemini-3-flash-preview", "minimal")).toEqual({ thinkingConfig: { thinkingLevel: "minimal", includeThoughts: true } });
    expect(await sent("gemini-2.5-flash", "none")).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(await sent("gemini-2.5-flash-lite", "none")).toEqual({ thinkingConfig: { thinkingBudget: 0 } });
    expect(await sent("gemini-2.5-pro", "none")).toBeUndefined();
    expect(await sent("gemini-3-pro-preview", "none")).toBeUndefined();
  });

  test("Gemini 3's signature on an empty final part reaches a streaming client", async () => {
    emu.script(() => ({
      events: [
        event([{ text: "There are 3 r's." }], { responseId: "g3" }),
        event([{ text: "", thoughtSignature: "ZW1wdHktcGFydA==" }], { finishReason: "STOP", responseId: "g3", usage: { promptTokenCount: 9, candidatesTokenCount: 6, totalTokenCount: 317, thoughtsTokenCount: 302 } }),
      ],
    }));
    const chunks = await drain(await client.chat.completions.create({ ...ask("gemini-3-pro-preview"), stream: true }));
    const deltas = chunks.map((c) => c.choices[0]?.delta as { content?: string; extra_content?: unknown } | undefined);
    expect(deltas.map((d) => d?.content ?? "").join("")).toBe("There are 3 r's.");
    expect(deltas.find((d) => d?.extra_content)?.extra_content).toEqual({ google: { thought_signature: "ZW1wdHktcGFydA==" } });
  });

  test("the answer's signature is replayed on the model turn's last text part", async () => {
    emu.acceptSignatures("dGV4dC1zaWc="); // Gemini signed "Hello!" in an earlier session
    emu.script(() => ({ events: textEvents(["Sure."]) }));
    await client.chat.completions.create({
      model: "gemini-3-pro-preview",
      messages: [
        { role: "user", content: "Hi" },
        { role: "assistant", content: "Hello!", extra_content: { google: { thought_signature: "dGV4dC1zaWc=" } } } as OpenAI.ChatCompletionAssistantMessageParam,
        { role: "user", content: "Again" },
      ],
    });
    expect(last().json.contents[1]).toEqual({ role: "model", parts: [{ text: "Hello!", thoughtSignature: "dGV4dC1zaWc=" }] });
  });
});

describe("gemini: finish reasons", () => {
  test("MAX_TOKENS is length, streamed and not", async () => {
    emu.script(() => ({ events: textEvents(["The answer is", " long"], { finishReason: "MAX_TOKENS" }) }));
    const res = await client.chat.completions.create({ ...ask(), max_tokens: 2 });
    expect(res.choices[0]!.finish_reason).toBe("length");
    expect(res.choices[0]!.message.content).toBe("The answer is long");
    const chunks = await drain(await client.chat.completions.create({ ...ask(), max_tokens: 2, stream: true }));
    expect(chunks.map((c) => c.choices[0]?.finish_reason).filter(Boolean)).toEqual(["length"]);
  });

  test("a SAFETY stop is content_filter", async () => {
    emu.script(() => ({ events: safetyStopEvents() }));
    const res = await client.chat.completions.create(ask());
    expect(res.choices[0]!.finish_reason).toBe("content_filter");
    const chunks = await drain(await client.chat.completions.create({ ...ask(), stream: true }));
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Here is how you");
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe("content_filter");
  });
});

describe("gemini: refusals and errors", () => {
  test("a blocked prompt is a 400 that says why", async () => {
    emu.script(() => ({ events: blockedPromptEvents("PROHIBITED_CONTENT") }));
    const err = await client.chat.completions.create(ask()).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.error.message).toContain("blocked the prompt");
    expect(err.error.message).toContain("PROHIBITED_CONTENT");
    expect(err.error.code).toBe("prompt_blocked");
  });

  test("a blocked prompt on a stream is a 400 too: nothing was streamed before it", async () => {
    emu.script(() => ({ events: blockedPromptEvents("SAFETY") }));
    const err = await client.chat.completions.create({ ...ask(), stream: true }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.message).toContain("blockReason SAFETY");
    expect(err.error).toMatchObject({ code: "prompt_blocked" });
  });

  test("429 RESOURCE_EXHAUSTED with RetryInfo: a RateLimitError with retry-after", async () => {
    emu.script(() => rateLimited("34.4s"));
    const err = await client.chat.completions.create(ask()).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.headers.get("retry-after")).toBe("35");
    expect(err.error).toMatchObject({ type: "rate_limit_error", code: "RESOURCE_EXHAUSTED", message: expect.stringContaining("exceeded your current quota") });

    // the same for a streaming request: the error comes before any stream starts
    const err2 = await client.chat.completions.create({ ...ask(), stream: true }).catch((e) => e);
    expect(err2).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err2.headers.get("retry-after")).toBe("35");
  });

  test("other Google errors keep their status and message", async () => {
    emu.script(() => ({ status: 404, body: { error: { code: 404, message: "models/gemini-9 is not found for API version v1beta.", status: "NOT_FOUND" } } }));
    const err = await client.chat.completions.create(ask("gemini-9")).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.error).toMatchObject({ type: "not_found_error", code: "NOT_FOUND", message: "models/gemini-9 is not found for API version v1beta." });
  });

  test("an error inside the stream reaches the SDK after the content already sent", async () => {
    emu.script(() => ({ events: [event([{ text: "Partial" }]), { error: { code: 503, message: "The model is overloaded. Please try again later.", status: "UNAVAILABLE" } }] }));
    const seen: string[] = [];
    const stream = await client.chat.completions.create({ ...ask(), stream: true });
    const err = await (async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? "");
    })().catch((e) => e);
    expect(seen.join("")).toBe("Partial");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.message).toContain("The model is overloaded");
  });

  test("a stream that ends before Gemini's finish reason is reported, not passed off as complete", async () => {
    emu.script(() => ({ events: [event([{ text: "Half an" }]), event([{ text: " answer" }])] }));
    const seen: string[] = [];
    const stream = await client.chat.completions.create({ ...ask(), stream: true });
    const err = await (async () => {
      for await (const c of stream) seen.push(c.choices[0]?.delta.content ?? "");
    })().catch((e) => e);
    expect(seen.join("")).toBe("Half an answer");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.message).toContain("ended before Gemini finished");
  });
});
