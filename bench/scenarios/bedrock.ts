/**
 * Bedrock translation: OpenAI streaming requests into the gateway, ConverseStream's binary event
 * stream from the upstream, decoded (both CRCs checked) and translated chunk by chunk, every
 * request SigV4-signed. The baseline is the bare proxy relaying the same event stream (a native
 * `/converse-stream` request) untranslated. The emulator does not verify signatures (the bare
 * proxy cannot sign); the tests do that.
 */
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { OPENAI_STREAM_REQUEST, PROMPT, singleProviderConfig, type Scenario } from "../scenario.ts";
import { framedResponse, joinFrames } from "../upstream.ts";

const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const PATH = `/model/${encodeURIComponent(MODEL)}/converse-stream`;
const PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

const STORY =
  "Once upon a time a small gateway stood between many applications and many models. " +
  "Every request it received it carried faithfully, translating each word without losing one, " +
  "and every answer streamed back to its caller as soon as it arrived. ";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const encoder = new TextEncoder();

function frame(type: string, payload: Record<string, unknown>, n: number): Uint8Array {
  return codec.encode({
    headers: {
      ":event-type": { type: "string", value: type },
      ":content-type": { type: "string", value: "application/json" },
      ":message-type": { type: "string", value: "event" },
    },
    // Bedrock pads every event with a `p` field of varying length
    body: encoder.encode(JSON.stringify({ ...payload, p: PADDING.slice(0, 10 + ((n * 13) % 50)) })),
  });
}

/** The frames of one streamed answer, as ConverseStream sends them. */
function frames(chunks: number): Uint8Array[] {
  const words = STORY.repeat(1 + Math.ceil(chunks / 40))
    .split(/(?<= )/)
    .slice(0, Math.max(1, chunks));
  let n = 0;
  return [
    frame("messageStart", { role: "assistant" }, n++),
    ...words.map((text) => frame("contentBlockDelta", { contentBlockIndex: 0, delta: { text } }, n++)),
    frame("contentBlockStop", { contentBlockIndex: 0 }, n++),
    frame("messageStop", { stopReason: "end_turn" }, n++),
    frame("metadata", { usage: { inputTokens: 25, outputTokens: words.length, totalTokens: 25 + words.length }, metrics: { latencyMs: 120 } }, n++),
  ];
}

function bedrockUpstream(opts: { chunks: number; delayMs: number }): (req: Request) => Promise<Response> {
  const all = frames(opts.chunks);
  const whole = joinFrames(all);
  let id = 0;
  return async (req) => {
    await req.arrayBuffer();
    const headers = { "content-type": "application/vnd.amazon.eventstream", "x-amzn-requestid": `bench-${++id}` };
    return framedResponse(all, opts.delayMs, headers, whole);
  };
}


export const bedrockStream: Scenario = {
  name: "bedrock-stream",
  nativeFirstToken: /"text":"[^"]/,
  stream: true,
  upstream: bedrockUpstream,
  config: (origin, port) => singleProviderConfig(port, origin, "bedrock", "{aws: {accessKeyId: AKIDBENCHEXAMPLE, secretAccessKey: benchSecretKeyExample}}", `{bedrock: {model: "${MODEL}", region: us-east-1}}`),
  gatewayRequest: OPENAI_STREAM_REQUEST,
  nativeRequest: {
    path: PATH,
    body: JSON.stringify({ messages: [{ role: "user", content: [{ text: PROMPT }] }], inferenceConfig: { maxTokens: 4096 } }),
    headers: { "content-type": "application/json" },
  },
};
