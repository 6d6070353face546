/**
 * An answer of the other shape than the client asked for, written in the shape it asked for:
 * some OpenAI-compatible servers answer `stream: true` with one JSON completion, others stream
 * whatever they are asked. Through the gateway the OpenAI SDK used to get an empty stream without
 * an error for the first (the JSON body had no event in it), and a 502 for the second; an
 * Anthropic client got "stream cut off mid-event" and a 502. Now each client gets its answer:
 * text, reasoning with its signature, tool calls with their arguments, the finish reason and the
 * usage, in its own format. Official SDKs as clients; the upstreams speak OpenAI's and
 * Anthropic's documented formats.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { encodeEvents, messageOf, startAnthropicEmulator, type AnthropicEmulator, type AnthropicEvent } from "../../emulators/anthropic.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";
import { messageDelta, messageStart, messageStop, oneTool, signature, stop, text, textStart, thinking, thinkingStart } from "../providers/anthropic/scripts.ts";
import { openaiJson, openaiToolStream } from "./scripts.ts";

const LIMIT = 65536;
const WEATHER = { type: "function" as const, function: { name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } } } };
const ARGS = '{"location":"Paris, France"}';
const SIG = "EqQBCkYIBxgCKkBshapeTestSignature0123456789==";

/** a turn that thinks (signed), then answers */
const thoughtful: AnthropicEvent[] = [
  messageStart("msg_01ShapeThinking", { input_tokens: 30 }),
  thinkingStart(0),
  thinking(0, "The user greets me."),
  signature(0, SIG),
  stop(0),
  textStart(1),
  text(1, "Hello there."),
  stop(1),
  messageDelta("end_turn", { output_tokens: 14 }),
  messageStop,
];

let openaiEmu: OpenAIEmulator;
let claudeEmu: AnthropicEmulator;
let onOpenAI: ProviderGateway;
let onClaude: ProviderGateway;

beforeAll(async () => {
  openaiEmu = startOpenAIEmulator();
  claudeEmu = startAnthropicEmulator();
  onOpenAI = await gatewayFor("openAI", openaiEmu, { top: { frontendPolicies: { http: { maxBufferSize: LIMIT } } } });
  onClaude = await gatewayFor("anthropic", claudeEmu, { auth: { key: "sk-ant-gateway-key" } });
});
afterAll(async () => {
  await onOpenAI.stop();
  await onClaude.stop();
  await openaiEmu.stop();
  await claudeEmu.stop();
});

/** The chunks of an OpenAI SDK stream, folded: text, tool call arguments by index, finish, usage. */
async function fold(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  let content = "";
  const calls: { id?: string; name?: string; args: string }[] = [];
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | undefined;
  let roles = 0;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    if (choice.delta.role) roles++;
    content += choice.delta.content ?? "";
    for (const t of choice.delta.tool_calls ?? []) {
      const call = (calls[t.index] ??= { args: "" });
      call.id ??= t.id;
      call.name ??= t.function?.name;
      call.args += t.function?.arguments ?? "";
    }
    finish = choice.finish_reason ?? finish;
  }
  return { content, calls, finish, usage, roles };
}

describe("a streamed request answered with one JSON body", () => {
  test("OpenAI client, OpenAI-format upstream: the completion comes as chunks, usage only when asked for", async () => {
    openaiEmu.script(() => openaiJson({ content: "Let me check.", tool_calls: [{ id: "call_shape_1", type: "function", function: { name: "get_weather", arguments: ARGS } }] }, "tool_calls"));
    const messages = [{ role: "user" as const, content: "Weather in Paris?" }];
    const withUsage = await fold(await onOpenAI.client.chat.completions.create({ model: "gpt-4o-mini", messages, tools: [WEATHER], stream: true, stream_options: { include_usage: true } }));
    expect(withUsage).toEqual({
      content: "Let me check.",
      calls: [{ id: "call_shape_1", name: "get_weather", args: ARGS }],
      finish: "tool_calls",
      usage: expect.objectContaining({ prompt_tokens: 40, completion_tokens: 12, total_tokens: 52 }),
      roles: 1,
    });
    const without = await fold(await onOpenAI.client.chat.completions.create({ model: "gpt-4o-mini", messages, tools: [WEATHER], stream: true }));
    expect(without.usage).toBeUndefined();
    expect(without.content).toBe("Let me check.");
    openaiEmu.script(undefined);
  });

  test("OpenAI client: events labelled application/json still stream", async () => {
    openaiEmu.script(async () => {
      const sse = await openaiToolStream("get_weather", ARGS).text();
      return new Response(sse, { headers: { "content-type": "application/json" } });
    });
    const got = await fold(await onOpenAI.client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], tools: [WEATHER], stream: true }));
    expect(got.content).toBe("Let me check.");
    expect(got.calls).toEqual([{ id: "call_fmt_1", name: "get_weather", args: ARGS }]);
    openaiEmu.script(undefined);
  });

  test("OpenAI client: a 200 whose JSON is unreadable, or over the buffer limit, is an HTTP error, not an empty stream", async () => {
    openaiEmu.script(() => Response.json({ object: "chat.completion", status: "queued" }));
    const create = () => onOpenAI.client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream: true });
    const unreadable = await create().then(fold, (e: unknown) => e);
    expect(unreadable).toBeInstanceOf(OpenAI.APIError);
    expect((unreadable as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((unreadable as Error).message).toContain("could not read");

    openaiEmu.script(() => openaiJson({ content: "x".repeat(LIMIT * 2) }, "stop"));
    const large = await create().then(fold, (e: unknown) => e);
    expect(large).toBeInstanceOf(OpenAI.APIError);
    expect((large as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((large as Error).message).toContain(`limit of ${LIMIT} bytes`);
    openaiEmu.script(undefined);
  });

  /** OpenRouter's error met after the model started: status 200, the error in the body (openrouter.ai/docs/api/errors) */
  const errorUnder200 = (code: number, message: string) => () => Response.json({ error: { code, message, metadata: { provider_name: "Example" } } });

  for (const stream of [true, false]) {
    test(`an error object under status 200 is the HTTP error it names, with its message (${stream ? "streamed" : "plain"} request)`, async () => {
      openaiEmu.script(errorUnder200(502, "Example provider returned error"));
      const messages = [{ role: "user" as const, content: "hi" }];
      const chat = onOpenAI.client.chat.completions;
      const openai: unknown = await (stream ? chat.create({ model: "gpt-4o-mini", messages, stream: true }).then(fold) : chat.create({ model: "gpt-4o-mini", messages })).catch((e: unknown) => e);
      expect(openai).toBeInstanceOf(OpenAI.APIError);
      expect((openai as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((openai as Error).message).toContain("Example provider returned error");

      openaiEmu.script(errorUnder200(429, "Rate limit exceeded upstream"));
      const anthropic = new Anthropic({ baseURL: onOpenAI.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
      const params = { model: "gpt-4o-mini", max_tokens: 10, messages: [{ role: "user" as const, content: "hi" }] };
      const claude = await (stream ? anthropic.messages.stream(params).finalMessage() : anthropic.messages.create(params)).catch((e: unknown) => e);
      expect(claude).toBeInstanceOf(Anthropic.RateLimitError);
      expect((claude as Error).message).toContain("Rate limit exceeded upstream");
      openaiEmu.script(undefined);
    });
  }

  test("Anthropic client, OpenAI-format upstream: text and tool use as Messages events", async () => {
    openaiEmu.script(() => openaiJson({ content: "Let me check.", tool_calls: [{ id: "call_shape_2", type: "function", function: { name: "get_weather", arguments: ARGS } }] }, "tool_calls"));
    const anthropic = new Anthropic({ baseURL: onOpenAI.baseURL().replace(/\/v1$/, ""), apiKey: "client-key" });
    const message = await anthropic.messages
      .stream({ model: "gpt-4o-mini", max_tokens: 100, messages: [{ role: "user", content: "Weather in Paris?" }], tools: [{ name: "get_weather", input_schema: { type: "object" } }] })
      .finalMessage();
    expect(message.content as unknown[]).toEqual([
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "call_shape_2", name: "get_weather", input: { location: "Paris, France" } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    // OpenAI's prompt_tokens count the cached ones: 40 = 32 + 8 read from the cache
    expect(message.usage).toEqual(expect.objectContaining({ input_tokens: 32, cache_read_input_tokens: 8, output_tokens: 12 }));
    openaiEmu.script(undefined);
  });

  test("OpenAI client, Anthropic upstream answering a Message: chunks with the tool call and usage", async () => {
    claudeEmu.enqueue({ kind: "http", status: 200, json: messageOf(oneTool) });
    const got = await fold(await onClaude.client.chat.completions.create({ model: "claude-sonnet-4-20250514", messages: [{ role: "user", content: "Weather in Boston?" }], tools: [WEATHER], stream: true, stream_options: { include_usage: true } }));
    expect(got.content).toBe("Okay, let's check the weather for Boston, MA:");
    expect(got.calls).toEqual([{ id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", name: "get_weather", args: '{"location":"Boston, MA"}' }]);
    expect(got.finish).toBe("tool_calls");
    expect(got.usage).toEqual(expect.objectContaining({ prompt_tokens: 472, completion_tokens: 89 }));
  });
});

describe("a request that did not stream, answered with events", () => {
  test("OpenAI client, OpenAI-format upstream: one completion with the streamed tool call and usage", async () => {
    openaiEmu.script(() => openaiToolStream("get_weather", ARGS, "call_shape_3"));
    const completion = await onOpenAI.client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Weather in Paris?" }], tools: [WEATHER] });
    expect(completion.choices[0]!.message.content).toBe("Let me check.");
    expect(completion.choices[0]!.message.tool_calls).toEqual([{ id: "call_shape_3", type: "function", function: { name: "get_weather", arguments: ARGS } }]);
    expect(completion.choices[0]!.finish_reason).toBe("tool_calls");
    expect(completion.usage).toEqual(expect.objectContaining({ prompt_tokens: 21, completion_tokens: 9 }));
    expect(completion.model).toBe("gpt-4o-mini");
    openaiEmu.script(undefined);
  });

  test("Anthropic client, OpenAI-format upstream: one Message", async () => {
    openaiEmu.script(() => openaiToolStream("get_weather", ARGS, "call_shape_4"));
    const anthropic = new Anthropic({ baseURL: onOpenAI.baseURL().replace(/\/v1$/, ""), apiKey: "client-key" });
    const message = await anthropic.messages.create({ model: "gpt-4o-mini", max_tokens: 100, messages: [{ role: "user", content: "Weather?" }], tools: [{ name: "get_weather", input_schema: { type: "object" } }] });
    expect(message.content as unknown[]).toEqual([
      { type: "text", text: "Let me check." },
      { type: "tool_use", id: "call_shape_4", name: "get_weather", input: { location: "Paris, France" } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    openaiEmu.script(undefined);
  });

  test("OpenAI client, Anthropic upstream streaming a signed thought: reasoning and its signature kept", async () => {
    claudeEmu.enqueue({ kind: "http", status: 200, text: encodeEvents(thoughtful), headers: { "content-type": "text/event-stream" } });
    const completion = await onClaude.client.chat.completions.create({ model: "claude-sonnet-4-20250514", messages: [{ role: "user", content: "Hi" }] });
    const message = completion.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string; thinking_blocks?: unknown[] };
    expect(message.content).toBe("Hello there.");
    expect(message.reasoning_content).toBe("The user greets me.");
    expect(message.thinking_blocks).toEqual([{ type: "thinking", thinking: "The user greets me.", signature: SIG }]);
    expect(completion.choices[0]!.finish_reason).toBe("stop");
    expect(completion.usage).toEqual(expect.objectContaining({ prompt_tokens: 30, completion_tokens: 14 }));
  });

  test("a stream that breaks off before its end is a 502, not half an answer", async () => {
    openaiEmu.script(async () => {
      const sse = await openaiToolStream("get_weather", ARGS).text();
      return new Response(sse.slice(0, sse.indexOf('"finish_reason":"tool_calls"')), { headers: { "content-type": "text/event-stream" } });
    });
    const err = await onOpenAI.client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    openaiEmu.script(undefined);
  });
});
