/**
 * Anthropic translation: OpenAI streaming requests into the gateway, Anthropic Messages SSE from
 * the upstream, translated chunk by chunk. The baseline is the bare proxy relaying the same
 * Anthropic stream (a native `/v1/messages` request) untranslated.
 */
import { OPENAI_STREAM_REQUEST, PROMPT, singleProviderConfig, type Scenario } from "../scenario.ts";
import { framedResponse, joinFrames } from "../upstream.ts";

const MODEL = "claude-sonnet-4-20250514";

const STORY =
  "Once upon a time a small gateway stood between many applications and many models. " +
  "Every request it received it carried faithfully, translating each word without losing one, " +
  "and every answer streamed back to its caller as soon as it arrived. ";

/** The events of one streamed answer, framed as the Messages API frames them. */
function frames(chunks: number): string[] {
  const event = (data: Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  const words = STORY.repeat(1 + Math.ceil(chunks / 40))
    .split(/(?<= )/)
    .slice(0, Math.max(1, chunks));
  return [
    event({
      type: "message_start",
      message: {
        id: "msg_01BenchXFDUDYJgAACzvnptvVoYEL",
        type: "message",
        role: "assistant",
        model: MODEL,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1, service_tier: "standard" },
      },
    }),
    event({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }),
    event({ type: "ping" }),
    ...words.map((text) => event({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text } })),
    event({ type: "content_block_stop", index: 0 }),
    event({ type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: words.length } }),
    event({ type: "message_stop" }),
  ];
}

function anthropicUpstream(opts: { chunks: number; delayMs: number }): (req: Request) => Promise<Response> {
  const all = frames(opts.chunks);
  const whole = joinFrames(all);
  const headers = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };
  return async (req) => {
    await req.arrayBuffer();
    return framedResponse(all, opts.delayMs, headers, whole);
  };
}

const messages = [{ role: "user", content: PROMPT }];

export const anthropicStream: Scenario = {
  name: "anthropic-stream",
  nativeFirstToken: /"text_delta","text":"[^"]/,
  stream: true,
  upstream: anthropicUpstream,
  config: (origin, port) => singleProviderConfig(port, origin, "anthropic", "{key: sk-ant-bench}", `{anthropic: {model: ${MODEL}}}`),
  gatewayRequest: OPENAI_STREAM_REQUEST,
  nativeRequest: {
    path: "/v1/messages",
    body: JSON.stringify({ model: MODEL, max_tokens: 4096, messages, stream: true }),
    headers: { "content-type": "application/json", "x-api-key": "sk-ant-bench", "anthropic-version": "2023-06-01" },
  },
};
