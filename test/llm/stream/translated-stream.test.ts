/**
 * The translated-stream pipeline with the hub: a frame decoder paired with a provider machine
 * (`framed`), the OpenAI writer, and the relay's guarantees (failure before content -> HTTP
 * error; broken or cut streams -> one error event; onEnd exactly once).
 */
import { describe, expect, test } from "bun:test";
import { HttpError } from "../../../src/http/errors.ts";
import { openaiChunkWriter } from "../../../src/llm/hub/openai-writer.ts";
import { literal, type HubWriter } from "../../../src/llm/hub/parts.ts";
import { geminiStream } from "../../../src/llm/providers/gemini/stream.ts";
import { eventStreamFrames } from "../../../src/llm/stream/eventstream.ts";
import { framed, type FrameMachine } from "../../../src/llm/stream/framed.ts";
import type { StreamOutcome } from "../../../src/llm/stream/pipeline.ts";
import { translatedStream } from "../../../src/llm/stream/relays.ts";
import { sseFrames } from "../../../src/llm/stream/sse.ts";
import type { SseEvent, StreamContext } from "../../../src/llm/types.ts";

const enc = new TextEncoder();
const ctx: StreamContext = { model: "m", includeUsage: true, created: 1, upstreamHeaders: new Headers() };

/** A machine that writes each SSE event's data as text, `stop` finishes, `boom` is a provider error. */
function echoMachine(out: HubWriter): FrameMachine<SseEvent> {
  const m = {
    finished: false,
    frame(f: SseEvent) {
      if (f.data === "stop") {
        m.finished = true;
        out.finish("stop");
        out.end();
      } else if (f.data === "boom") {
        m.finished = true;
        out.fail({ kind: "provider", message: "rate limited", status: 429, providerCode: "throttled" });
      } else out.text(literal(f.data));
    },
    end() {
      m.finished = true;
      out.fail({ kind: "incomplete", message: "no stop" });
    },
  };
  return m;
}

test("a decoder whose frames are not the machine's does not compile", () => {
  const out = openaiChunkWriter(ctx);
  // @ts-expect-error an SSE machine cannot be paired with the AWS event-stream decoder
  const wrong = () => framed(eventStreamFrames(), echoMachine(out), out);
  expect(typeof wrong).toBe("function");
  expect(typeof framed(sseFrames(), echoMachine(out), out).push).toBe("function");
});

/** An upstream that sends `pieces` (the last one may be an error, thrown by the read). */
function upstream(pieces: (string | Error)[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(c) {
      await Bun.sleep(1);
      const p = pieces[i++];
      if (p === undefined) c.close();
      else if (p instanceof Error) c.error(p);
      else c.enqueue(enc.encode(p));
    },
  });
}

async function run(pieces: (string | Error)[], make = (out: HubWriter) => framed(sseFrames(), echoMachine(out), out)) {
  const writer = openaiChunkWriter(ctx);
  const ends: StreamOutcome[] = [];
  const body = await translatedStream({ upstream: upstream(pieces), translator: make(writer), writer, onEnd: (o) => ends.push(o), startedAt: performance.now(), answerAt: "content" });
  const text = await new Response(body).text();
  return { text, ends, writer };
}

describe("translated streams", () => {
  test("a complete stream: role, text, finish, [DONE]; onEnd once with the writer's model", async () => {
    const { text, ends } = await run(["data: a\n\n", "data: b\n\n", "data: stop\n\n"]);
    expect(text).toContain('"delta":{"content":"a"}');
    expect(text.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toMatchObject({ error: undefined, responseModel: "m" });
  });

  test("a provider failure before content is an HTTP error with its status, type and code", async () => {
    const err = await run(["data: boom\n\n"]).catch((e) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 429, type: "rate_limit_error", code: "throttled", message: "rate limited" });
  });

  test("the connection breaking after content: one error event, coded as a connection failure", async () => {
    const { text, ends, writer } = await run(["data: a\n\n", new Error("reset")]);
    expect(text.trimEnd().split("\n\n").at(-1)).toBe(
      'data: {"error":{"message":"upstream connection failed mid-stream","type":"api_error","param":null,"code":"upstream_stream_error","status":502}}',
    );
    expect(writer.failure?.kind).toBe("connection");
    expect(ends).toHaveLength(1);
    expect(ends[0]!.error).toBe("upstream_stream_error: upstream connection failed mid-stream");
  });

  test("a stream cut mid-event is incomplete, whatever the machine saw", async () => {
    const { text } = await run(["data: a\n\n", "data: sto"]);
    expect(text.trimEnd().split("\n\n").at(-1)).toContain('"code":"upstream_stream_incomplete"');
    expect(text).toContain("cut off mid-event");
  });

  test("the machine decides what a clean end without its terminator is", async () => {
    const { text } = await run(["data: a\n\n"]);
    expect(text).toContain('"message":"no stop"');
  });

  test("Gemini: usage read lazily from fast-path events is still reported when the connection breaks", async () => {
    const event = (text: string, n: number) =>
      `data: ${JSON.stringify({ candidates: [{ content: { parts: [{ text }], role: "model" }, index: 0 }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: n, totalTokenCount: 4 + n }, modelVersion: "gemini-x", responseId: "r" })}\n\n`;
    const { ends, text } = await run([event("one", 1), event(" two", 2), event(" three", 3), new Error("reset")], (out) => geminiStream(ctx, out));
    expect(text).toContain('"content":" three"');
    expect(ends[0]!.usage).toEqual({ inputTokens: 4, outputTokens: 3, totalTokens: 7 });
    expect(ends[0]!.responseModel).toBe("gemini-x");
  });
});

describe("keep-alive", () => {
  /** pieces with a pause before each one */
  function slow(pieces: [number, string][]): ReadableStream<Uint8Array> {
    let i = 0;
    return new ReadableStream<Uint8Array>({
      async pull(c) {
        const p = pieces[i++];
        if (!p) return c.close();
        await Bun.sleep(p[0]);
        c.enqueue(enc.encode(p[1]));
      },
    });
  }

  test("a silent upstream gets comments during a pause, none before its first output; the answer is intact", async () => {
    const writer = openaiChunkWriter(ctx);
    const translator = framed(sseFrames(), echoMachine(writer), writer);
    const started = performance.now();
    const body = await translatedStream({ upstream: slow([[180, "data: a\n\n"], [180, "data: b\n\n"], [0, "data: stop\n\n"]]), translator, writer, onEnd() {}, startedAt: performance.now(), answerAt: "content", keepAliveMs: 50 });
    // before the first output nothing is answered: the pre-answer keep-alive (around the candidate
    // loop) keeps the client company, and a provider silent until its deadline can still be failed over
    expect(performance.now() - started).toBeGreaterThanOrEqual(170);
    const events = (await new Response(body).text()).split("\n\n").filter(Boolean);
    const firstData = events.findIndex((e) => e.startsWith("data:"));
    expect(firstData).toBe(0);
    const data = events.filter((e) => e.startsWith("data:"));
    // the role chunk (content "") comes with the first text
    expect(data.filter((e) => e.includes('"content"')).map((e) => JSON.parse(e.slice(6)).choices[0].delta.content)).toEqual(["", "a", "b"]);
    expect(events.slice(firstData).some((e) => e === ": keep-alive")).toBe(true);
    expect(data.at(-1)).toBe("data: [DONE]");
  });

  test("a prompt answer gets no comment and stays a plain body", async () => {
    const writer = openaiChunkWriter(ctx);
    const translator = framed(sseFrames(), echoMachine(writer), writer);
    const body = await translatedStream({ upstream: slow([[0, "data: a\n\ndata: stop\n\n"]]), translator, writer, onEnd() {}, startedAt: performance.now(), answerAt: "content", keepAliveMs: 1000 });
    expect(body instanceof ReadableStream).toBe(false);
    expect(await new Response(body).text()).not.toContain("keep-alive");
  });
});
