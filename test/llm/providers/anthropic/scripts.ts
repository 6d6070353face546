/**
 * Stream scripts written from Anthropic's streaming documentation (event order, field order and
 * values as the API sends them): each is the event sequence of one assistant turn.
 */
import type { AnthropicEvent } from "../../../emulators/anthropic.ts";
import type { GatewayForOptions } from "../../../helpers/gateway.ts";

export const MODEL = "claude-sonnet-4-20250514";
export const KEY = "sk-ant-api03-test-key";

/** The backend the suites run against: `MODEL` pinned, `KEY` as backendAuth (the user guide's shape). */
export const PINNED = { settings: { model: MODEL }, auth: { key: KEY } } satisfies GatewayForOptions;

interface UsageIn {
  input_tokens: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_read_input_tokens?: number;
}

export function messageStart(id: string, usage: UsageIn, model = MODEL): AnthropicEvent {
  const write = usage.cache_creation_input_tokens ?? 0;
  return {
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: usage.input_tokens,
        cache_creation_input_tokens: write,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        cache_creation: { ephemeral_5m_input_tokens: write, ephemeral_1h_input_tokens: 0 },
        output_tokens: usage.output_tokens ?? 1,
        service_tier: "standard",
      },
    },
  };
}

export const ping: AnthropicEvent = { type: "ping" };
export const textStart = (index: number): AnthropicEvent => ({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
export const text = (index: number, t: string): AnthropicEvent => ({ type: "content_block_delta", index, delta: { type: "text_delta", text: t } });
export const stop = (index: number): AnthropicEvent => ({ type: "content_block_stop", index });
export const toolStart = (index: number, id: string, name: string): AnthropicEvent => ({
  type: "content_block_start",
  index,
  content_block: { type: "tool_use", id, name, input: {} },
});
export const json = (index: number, partial: string): AnthropicEvent => ({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: partial } });
export const thinkingStart = (index: number): AnthropicEvent => ({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } });
export const thinking = (index: number, t: string): AnthropicEvent => ({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: t } });
export const signature = (index: number, s: string): AnthropicEvent => ({ type: "content_block_delta", index, delta: { type: "signature_delta", signature: s } });
export const messageDelta = (stopReason: string, usage: Record<string, number>): AnthropicEvent => ({
  type: "message_delta",
  delta: { stop_reason: stopReason, stop_sequence: null },
  usage,
});
export const messageStop: AnthropicEvent = { type: "message_stop" };

/** "Hello! How can I help you today?" with a cache hit in the prompt. */
export const plainText: AnthropicEvent[] = [
  messageStart("msg_01XFDUDYJgAACzvnptvVoYEL", { input_tokens: 12, cache_read_input_tokens: 100, cache_creation_input_tokens: 20 }),
  textStart(0),
  ping,
  text(0, "Hello"),
  text(0, "! How can I"),
  text(0, " help you today?"),
  stop(0),
  messageDelta("end_turn", { output_tokens: 12 }),
  messageStop,
];
export const PLAIN_TEXT = "Hello! How can I help you today?";

/** Text, then one get_weather call whose JSON arrives in fragments (first fragment empty). */
export const oneTool: AnthropicEvent[] = [
  messageStart("msg_014p7gG3wDgGV9EUtLvnow3U", { input_tokens: 472 }),
  textStart(0),
  text(0, "Okay, let's check the weather for Boston, MA:"),
  stop(0),
  toolStart(1, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "get_weather"),
  json(1, ""),
  json(1, '{"location":'),
  json(1, ' "Bosto'),
  json(1, 'n, MA"}'),
  stop(1),
  messageDelta("tool_use", { output_tokens: 89 }),
  messageStop,
];

/** Two calls in one turn: tool_use blocks at content indexes 1 and 2 become tool calls 0 and 1. */
export const parallelTools: AnthropicEvent[] = [
  messageStart("msg_01Aq9w938a90dw8q", { input_tokens: 520 }),
  textStart(0),
  text(0, "I'll look up both cities."),
  stop(0),
  toolStart(1, "toolu_01A09q90qw90lq917835lq9", "get_weather"),
  json(1, ""),
  json(1, '{"location": "Paris'),
  json(1, ', France"}'),
  stop(1),
  ping,
  toolStart(2, "toolu_01B12r34st56uv78wx90yz12", "get_time"),
  json(2, '{"timezone":'),
  json(2, ' "Europe/Paris"}'),
  stop(2),
  messageDelta("tool_use", { output_tokens: 120 }),
  messageStop,
];

/** A tool with no arguments: one empty input_json_delta, nothing else. */
export const toolNoArgs: AnthropicEvent[] = [
  messageStart("msg_01GE2RKp1VYsPzdFs3sS9z5S", { input_tokens: 565 }),
  toolStart(0, "toolu_01QE1WLsSVp5hy5Q3GmGTmjP", "list_issues"),
  ping,
  json(0, ""),
  stop(0),
  messageDelta("tool_use", { input_tokens: 565, output_tokens: 48 }),
  messageStop,
];

export const THINKING_SIGNATURE =
  "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds2mUrQH+N3ha1uDeFO5Pcr2sTHjVjvOpV/3xa5xM8J2YE9Bb9SANeRwkbA==";

/** Extended thinking (signed) followed by a tool call: the turn a client must replay verbatim. */
export const thinkingTool: AnthropicEvent[] = [
  messageStart("msg_01ThinkTool9c8VHbbZ4oRk", { input_tokens: 610 }),
  thinkingStart(0),
  thinking(0, "The user wants the weather in Paris."),
  thinking(0, " I should call get_weather."),
  signature(0, THINKING_SIGNATURE),
  stop(0),
  toolStart(1, "toolu_01ThinkWeather000000001", "get_weather"),
  json(1, ""),
  json(1, '{"location": "Paris, France"}'),
  stop(1),
  messageDelta("tool_use", { output_tokens: 150 }),
  messageStop,
];

/** The streaming classifier stops a turn: stop_reason refusal, no content. */
export const refusal: AnthropicEvent[] = [
  messageStart("msg_01RefusalStreamAbcdefghijk", { input_tokens: 18 }),
  ping,
  messageDelta("refusal", { output_tokens: 5 }),
  messageStop,
];

/** Cut at max_tokens mid-sentence. */
export const maxTokens: AnthropicEvent[] = [
  messageStart("msg_01MaxTokensXyz", { input_tokens: 25 }),
  textStart(0),
  text(0, "Once upon a time, in a land"),
  text(0, " far away, there"),
  stop(0),
  messageDelta("max_tokens", { output_tokens: 10 }),
  messageStop,
];

/** Overloaded mid-stream: an `event: error` after some text. */
export const errorMidStream: AnthropicEvent[] = [
  messageStart("msg_01ErrMidStream", { input_tokens: 30 }),
  textStart(0),
  text(0, "Let me think about"),
  { type: "error", error: { type: "overloaded_error", message: "Overloaded" } },
];
