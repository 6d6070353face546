/**
 * Upstream answers the client-format suites script: OpenAI chat-completion streams (as OpenAI
 * frames them) for the OpenAI emulator, and the tool-and-thinking turns for Bedrock and Gemini;
 * and how the typed Gemini SDKs decode a thought signature (strictBase64).
 */
import { ev, type StreamEvent } from "../../emulators/bedrock.ts";
import { GEMINI_TEST_KEY } from "../../emulators/gemini.ts";

const CREATED = 1_764_000_000;

/**
 * The provider-switch suites' gateway: an `llm:` config that sends `gemini-*`, `claude-*` (and,
 * when given, `gpt-*`) to these emulators, so one conversation can move between them.
 */
export function switchConfig(to: { gemini: { host: string }; claude: { host: string }; openai?: { host: string } }): string {
  const gpt = to.openai ? `\n  - name: "gpt-*"\n    provider: openai\n    params: {baseUrl: "http://${to.openai.host}/v1", apiKey: sk-gateway}` : "";
  return `
llm:
  port: 0
  models:
  - name: "gemini-*"
    provider: gemini
    params: {baseUrl: "http://${to.gemini.host}", apiKey: ${GEMINI_TEST_KEY}}
  - name: "claude-*"
    provider: anthropic
    params: {baseUrl: "http://${to.claude.host}/v1", apiKey: sk-ant-gateway}${gpt}
`;
}

/** An OpenAI SSE answer from chunk deltas (role first, finish, usage, [DONE]). */
export function openaiSse(deltas: Record<string, unknown>[], finish: string, usage = { prompt_tokens: 21, completion_tokens: 9, total_tokens: 30 }, model = "gpt-4o-mini"): Response {
  const frame = (choices: unknown[], extra = "") => `data: {"id":"chatcmpl-fmt1","object":"chat.completion.chunk","created":${CREATED},"model":"${model}","choices":${JSON.stringify(choices)}${extra}}\n\n`;
  const frames = [frame([{ index: 0, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }])];
  for (const d of deltas) frames.push(frame([{ index: 0, delta: d, logprobs: null, finish_reason: null }]));
  frames.push(frame([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }]));
  frames.push(frame([], `,"usage":${JSON.stringify(usage)}`));
  frames.push("data: [DONE]\n\n");
  return new Response(frames.join(""), { headers: { "content-type": "text/event-stream" } });
}

export function openaiJson(message: Record<string, unknown>, finish: string, model = "gpt-4o-mini"): Response {
  return Response.json({
    id: "chatcmpl-fmt2",
    object: "chat.completion",
    created: CREATED,
    model,
    choices: [{ index: 0, message: { role: "assistant", refusal: null, ...message }, logprobs: null, finish_reason: finish }],
    usage: { prompt_tokens: 40, completion_tokens: 12, total_tokens: 52, prompt_tokens_details: { cached_tokens: 8 } },
  });
}

/** A streamed tool call (arguments in pieces) after a short text. */
export function openaiToolStream(name: string, args: string, id = "call_fmt_1"): Response {
  const pieces = args.match(/.{1,7}/g) ?? [];
  return openaiSse(
    [
      { content: "Let me check." },
      { tool_calls: [{ index: 0, id, type: "function", function: { name, arguments: "" } }] },
      ...pieces.map((p) => ({ tool_calls: [{ index: 0, function: { arguments: p } }] })),
    ],
    "tool_calls",
  );
}

export function openaiTextStream(words: string[], reasoning: string[] = []): Response {
  return openaiSse([...reasoning.map((r) => ({ reasoning_content: r })), ...words.map((w) => ({ content: w }))], "stop");
}

export const SIGNATURE = "EqQBCkYIBxgCKkBsig0123456789abcdefSIGNED==";

/** Bedrock Claude: signed reasoning, then a tool call. */
export function bedrockThinkingTool(name: string, args: string): StreamEvent[] {
  return [
    ev.start(),
    ev.reasoning(0, "The user wants the weather; "),
    ev.reasoning(0, "I should call the tool."),
    ev.signature(0, SIGNATURE),
    ev.blockStop(0),
    ev.toolStart(1, "tooluse_fmt01", name),
    ev.toolInput(1, args.slice(0, 5)),
    ev.toolInput(1, args.slice(5)),
    ev.blockStop(1),
    ev.stop("tool_use"),
    ev.metadata({ inputTokens: 120, outputTokens: 40, cacheReadInputTokens: 20, cacheWriteInputTokens: 0 }),
  ];
}

export function bedrockText(pieces: string[]): StreamEvent[] {
  return [ev.start(), ...pieces.map((p) => ev.text(0, p)), ev.blockStop(0), ev.stop("end_turn"), ev.metadata({ inputTokens: 200, outputTokens: pieces.length })];
}

export const WEATHER_TOOL = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};

/** A whole Responses answer with one message, as OpenAI or Azure answers (`itemId` its message's id). */
export function responsesCompleted(text: string, itemId: string): Response {
  return Response.json({
    id: "resp_up",
    object: "response",
    created_at: 1,
    status: "completed",
    model: "gpt-5",
    usage: { input_tokens: 5, output_tokens: 2, total_tokens: 7, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    output: [{ id: itemId, type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text, annotations: [] }] }],
  });
}

/**
 * A `thoughtSignature` as Go's `base64.StdEncoding` (encoding/json's `[]byte`) and .NET's
 * `Convert.FromBase64String` decode it: standard alphabet, padded, canonical; its bytes as text.
 * Throws as those SDKs would on anything else.
 */
export function strictBase64(value: string | undefined): string {
  const bytes = Buffer.from(value ?? "", "base64");
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value ?? "") || bytes.toString("base64") !== value) {
    throw new Error(`illegal base64 data: ${value}`);
  }
  return bytes.toString("utf8");
}
