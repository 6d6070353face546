/**
 * Gemini translation: OpenAI streaming requests into the gateway, Gemini
 * `streamGenerateContent?alt=sse` from the upstream (each event a whole GenerateContentResponse
 * with one text part and the usage so far), translated chunk by chunk. The baseline is the bare
 * proxy relaying the same Gemini stream (a native request) untranslated.
 */
import { OPENAI_STREAM_REQUEST, PROMPT, singleProviderConfig, type Scenario } from "../scenario.ts";
import { framedResponse, joinFrames } from "../upstream.ts";

const MODEL = "gemini-2.5-flash";
const KEY = "AIzaBenchKey000000000000000000000000000";

const STORY =
  "Once upon a time a small gateway stood between many applications and many models. " +
  "Every request it received it carried faithfully, translating each word without losing one, " +
  "and every answer streamed back to its caller as soon as it arrived. ";

/** JSON as Google's servers write it: a space after each colon. */
function googleJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(googleJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${JSON.stringify(k)}: ${googleJson(x)}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The events of one streamed answer, framed as Google frames them (`data: ...\r\n\r\n`). */
function frames(chunks: number): string[] {
  const words = STORY.repeat(1 + Math.ceil(chunks / 40))
    .split(/(?<= )/)
    .slice(0, Math.max(1, chunks));
  return words.map((text, i) => {
    const last = i === words.length - 1;
    const event = {
      candidates: [{ content: { parts: [{ text }], role: "model" }, ...(last ? { finishReason: "STOP" } : {}), index: 0 }],
      usageMetadata: {
        promptTokenCount: 8,
        candidatesTokenCount: i + 1,
        totalTokenCount: 9 + i,
        promptTokensDetails: [{ modality: "TEXT", tokenCount: 8 }],
      },
      modelVersion: MODEL,
      responseId: "BenchRespXa1b2c3d4e5f6g7h8",
    };
    return `data: ${googleJson(event)}\r\n\r\n`;
  });
}

function geminiUpstream(opts: { chunks: number; delayMs: number }): (req: Request) => Promise<Response> {
  const all = frames(opts.chunks);
  const whole = joinFrames(all);
  const headers = { "content-type": "text/event-stream", "x-content-type-options": "nosniff" };
  return async (req) => {
    await req.arrayBuffer();
    return framedResponse(all, opts.delayMs, headers, whole);
  };
}


export const geminiStream: Scenario = {
  name: "gemini-stream",
  nativeFirstToken: /"text": ?"[^"]/,
  stream: true,
  upstream: geminiUpstream,
  config: (origin, port) => singleProviderConfig(port, origin, "gemini", `{key: ${KEY}}`, `{gemini: {model: ${MODEL}}}`),
  gatewayRequest: OPENAI_STREAM_REQUEST,
  nativeRequest: {
    path: `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`,
    body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: PROMPT }] }] }),
    headers: { "content-type": "application/json", "x-goog-api-key": KEY },
  },
};
