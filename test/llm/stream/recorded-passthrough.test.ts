/**
 * Recorded OpenAI chat streams (test/fixtures/recorded/SOURCES.md) through the passthrough relay:
 * the client gets the upstream's bytes untouched (the usage chunk dropped only when the gateway,
 * not the client, asked for it), and the tap reads the usage and the model for the log.
 */
import { describe, expect, test } from "bun:test";
import type { StreamOutcome } from "../../../src/llm/stream/pipeline.ts";
import { passthroughStream } from "../../../src/llm/stream/relays.ts";
import { answer, cutAt, recorded } from "../../helpers/replay.ts";

async function relay(reads: Uint8Array[], clientWantsUsage: boolean): Promise<{ text: string; outcome: StreamOutcome }> {
  const upstream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const r of reads) c.enqueue(r);
      c.close();
    },
  });
  let outcome: StreamOutcome | undefined;
  const body = await passthroughStream({ upstream, clientWantsUsage, onEnd: (o) => (outcome = o), startedAt: performance.now(), answerAt: "content" });
  const text = await new Response(body).text();
  return { text, outcome: outcome! };
}

const FILES = ["parallel-tool-calls-usage.sse", "single-tool-call-usage.sse", "text-logprobs.sse", "refusal.sse", "finish-length-max-tokens.sse"];

describe("recorded OpenAI chat streams pass through untouched", () => {
  for (const file of FILES) {
    test(`${file}: the same bytes, usage and model for the log; split reads change nothing`, async () => {
      const bytes = recorded(`openai-chat/${file}`);
      const upstreamText = new TextDecoder().decode(bytes);
      const { text, outcome } = await relay([bytes], true);
      expect(text).toBe(upstreamText);
      expect(outcome.error).toBeUndefined();
      expect(outcome.responseModel).toBe("gpt-4o-2024-08-06");
      const usage = answer(upstreamText).usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number };
      expect(outcome.usage).toMatchObject({ inputTokens: usage.prompt_tokens, outputTokens: usage.completion_tokens, totalTokens: usage.total_tokens });
      for (let i = 1; i < bytes.byteLength; i += 211) expect((await relay(cutAt(bytes, [i]), true)).text).toBe(upstreamText);
    });
  }

  test("Groq's usage in x_groq on the last chunk is read for the log, and the chunk reaches the client", async () => {
    const groq = `data: {"id":"chatcmpl-g","object":"chat.completion.chunk","created":1,"model":"llama-3.3-70b-versatile","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\ndata: {"id":"chatcmpl-g","object":"chat.completion.chunk","created":1,"model":"llama-3.3-70b-versatile","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_01","usage":{"queue_time":0.02,"prompt_tokens":7,"completion_tokens":1,"total_tokens":8}}}\n\ndata: [DONE]\n\n`;
    const { text, outcome } = await relay([enc(groq)], false);
    expect(text).toBe(groq);
    expect(outcome.usage).toMatchObject({ inputTokens: 7, outputTokens: 1, totalTokens: 8 });
    expect(outcome.responseModel).toBe("llama-3.3-70b-versatile");
  });

  test("parallel tool calls: indices and complete arguments as the SDK accumulates them; usage chunk dropped when only the gateway asked", async () => {
    const bytes = recorded("openai-chat/parallel-tool-calls-usage.sse");
    const a = answer((await relay([bytes], true)).text);
    expect(a.toolCalls.map((c) => [c.index, c.id.startsWith("call_"), c.name])).toEqual([
      [0, true, "GetWeatherArgs"],
      [1, true, "get_stock_price"],
    ]);
    for (const c of a.toolCalls) expect(typeof JSON.parse(c.arguments)).toBe("object");
    expect(a.finish).toBe("tool_calls");
    const dropped = answer((await relay([bytes], false)).text);
    expect(dropped.usage).toBeUndefined();
    expect(dropped.toolCalls).toEqual(a.toolCalls);
    expect(dropped.done).toBe(true);
  });

  test("cut before the answer finished: the gateway's incomplete-stream event, coded as for translated streams", async () => {
    const bytes = recorded("openai-chat/text-logprobs.sse");
    const text = new TextDecoder().decode(bytes);
    // every read in its own region, as they come off the network: the last ones hold no finish reason yet
    const cut = text.slice(0, text.indexOf('data: {"id"', text.lastIndexOf('"finish_reason":null')) + 1).split(/(?<=\n\n)/).map(enc);
    const { text: out, outcome } = await relay(cut.slice(0, -1), true);
    expect(answer(out).error).toEqual({ message: "upstream stream ended without [DONE]", type: "api_error", param: null, code: "upstream_stream_incomplete", status: 502 });
    expect(outcome.error).toBe("upstream_stream_incomplete: upstream stream ended without [DONE]");
  });

  test("a server that omits [DONE] after a finished answer: complete, as the SDKs read it from the server itself", async () => {
    const bytes = recorded("openai-chat/text-logprobs.sse");
    const text = new TextDecoder().decode(bytes);
    const reads = text.slice(0, text.lastIndexOf("data: [DONE]")).split(/(?<=\n\n)/).map(enc);
    for (const [from, clientWantsUsage] of [[reads.length - 1, true], [reads.length - 2, false]] as const) {
      // the usage chunk last (asked for), or the finish chunk last (a server that sends no usage)
      const { text: out, outcome } = await relay(reads.slice(0, from + 1), clientWantsUsage);
      expect(answer(out).error).toBeUndefined();
      expect(answer(out).finish).toBe("stop");
      expect(outcome.error).toBeUndefined();
    }
    // OpenRouter's error met mid-stream, a chunk finished "error" (the SDK raises its `error`): not a complete answer
    const failed = `${new TextDecoder().decode(reads[0])}data: {"id":"gen-1","object":"chat.completion.chunk","created":1,"model":"m","provider":"Example","error":{"code":502,"message":"Provider disconnected"},"choices":[{"index":0,"delta":{"content":""},"finish_reason":"error"}]}\n\n`;
    const { outcome } = await relay([enc(failed)], false);
    expect(outcome.error).toBe("upstream_stream_incomplete: upstream stream ended without [DONE]");
  });
});

function enc(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}
