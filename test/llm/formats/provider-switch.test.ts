/**
 * A coding agent's conversation that switches provider mid-way, over real HTTP with the official
 * SDKs: Claude Code's (Anthropic SDK) and Codex's (OpenAI SDK, `responses`) first turn is answered
 * by Gemini 3, whose thought signatures come back inside the gateway's envelopes; the next turn
 * goes to a provider that speaks the client's format natively (Anthropic, OpenAI), which would
 * refuse those envelopes as Claude and OpenAI do (the emulators check signatures and encrypted
 * reasoning as the real APIs do). The gateway takes out what the target cannot verify, drops
 * `thinking` while a tool loop that began elsewhere runs, sends the items it wrote on without the
 * ids it minted for them (provider-switch-ids.test.ts), and forwards everything else untouched.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { event, functionCallEvents, startGeminiEmulator, textEvents, thinkingEvents, type GeminiEmulator } from "../../emulators/gemini.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { json, messageDelta, messageStart, messageStop, plainText, PLAIN_TEXT, signature, stop, thinking, thinkingStart, toolStart } from "../providers/anthropic/scripts.ts";
import { responsesCompleted, switchConfig, WEATHER_TOOL } from "./scripts.ts";

let gemini: GeminiEmulator;
let claude: AnthropicEmulator;
let openai: OpenAIEmulator;
let gw: TestGateway;

beforeAll(async () => {
  gemini = startGeminiEmulator();
  claude = startAnthropicEmulator();
  openai = startOpenAIEmulator();
  gw = await startTestGateway(switchConfig({ gemini, claude, openai }));
});
afterAll(async () => {
  await gw.stop();
  await Promise.all([gemini.stop(), claude.stop(), openai.stop()]);
});

const anthropic = () => new Anthropic({ baseURL: gw.origin(), apiKey: "sk-ant-client", maxRetries: 0 });
const GEMINI = "gemini-3-pro-preview";
const CLAUDE = "claude-sonnet-4-5";

/** JSON as Python's json.dumps writes it by default: `", "` between items, `": "` after keys. */
function pythonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(", ")}]`;
  if (v !== null && typeof v === "object") {
    const members = Object.entries(v).filter(([, x]) => x !== undefined);
    return `{${members.map(([k, x]) => `${JSON.stringify(k)}: ${pythonJson(x)}`).join(", ")}}`;
  }
  return JSON.stringify(v);
}

/** Gemini 3's tool call turn: a thought summary, then the call with its signature. */
function geminiToolCall(): void {
  gemini.enqueue({ events: [event([{ text: "Rome: ask the tool.", thought: true }]), ...functionCallEvents([{ name: "get_weather", args: { city: "Rome" }, thoughtSignature: "sig-call" }])] });
}

describe("Claude Code: a history answered by Gemini, continued on Anthropic (passthrough)", () => {
  for (const streamed of [true, false]) {
    test(`the tool loop goes on without the Gemini signatures, thinking off until it ends (${streamed ? "streamed" : "whole"} Gemini turn)`, async () => {
      geminiToolCall();
      const base = { max_tokens: 4096, tools: [WEATHER_TOOL] };
      const ask = { ...base, model: GEMINI, messages: [{ role: "user" as const, content: "Weather in Rome?" }] };
      const first = streamed ? await anthropic().messages.stream(ask).finalMessage() : await anthropic().messages.create(ask);
      const call = first.content.find((b) => b.type === "tool_use") as Anthropic.ToolUseBlock;
      expect(first.content.filter((b) => b.type === "thinking").map((b) => (b as Anthropic.ThinkingBlock).signature)).toContain("agw1.gc.sig-call");

      claude.enqueue(turn(plainText));
      const history: Anthropic.MessageParam[] = [
        { role: "user", content: "Weather in Rome?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "30C" }] },
      ];
      const second = await anthropic().messages.create({ ...base, model: CLAUDE, thinking: { type: "enabled", budget_tokens: 1024 }, messages: history });
      expect(second.content).toMatchObject([{ type: "text", text: PLAIN_TEXT }]);

      const sent = claude.requests.at(-1)!;
      expect(sent.body).not.toContain("agw1.");
      expect(sent.json.messages[1]).toEqual({ role: "assistant", content: [{ type: "tool_use", id: call.id, name: "get_weather", input: { city: "Rome" } }] });
      // Claude refuses a tool loop that does not open with its own thinking while thinking is on
      expect(sent.json.thinking).toBeUndefined();
      expect(sent.json.max_tokens).toBe(4096);
    });
  }

  test("after the loop, Claude thinks again; Gemini's answer signature is left out", async () => {
    gemini.enqueue({ events: thinkingEvents(["Weighing it."], ["Warm ", "in Rome."], "sig-text") });
    const first = await anthropic().messages.create({ model: GEMINI, max_tokens: 500, messages: [{ role: "user", content: "Rome?" }] });
    expect(first.content).toMatchObject([{ type: "thinking", signature: "" }, { type: "text", text: "Warm in Rome." }, { type: "thinking", signature: "agw1.ga.sig-text" }]);

    claude.enqueue(turn(plainText));
    const thinkingOn = { type: "enabled" as const, budget_tokens: 1024 };
    await anthropic()
      .messages.stream({ model: CLAUDE, max_tokens: 4096, thinking: thinkingOn, messages: [{ role: "user", content: "Rome?" }, { role: "assistant", content: first.content }, { role: "user", content: "Thanks" }] })
      .finalMessage();
    const sent = claude.requests.at(-1)!;
    expect(sent.body).not.toContain("agw1.");
    expect(sent.json.messages[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "Warm in Rome." }] });
    expect(sent.json.thinking).toEqual(thinkingOn);
  });

  test("Claude's own signed thinking stays; a loop Claude opened keeps thinking", async () => {
    // Claude answered the first turn (thinking, signed, then a call); Gemini answered a side question before
    claude.enqueue(
      turn([
        messageStart("msg_t1", { input_tokens: 20, output_tokens: 1 }, CLAUDE),
        thinkingStart(0),
        thinking(0, "Call the tool."),
        signature(0, "EqQBClaudeOwn=="),
        stop(0),
        toolStart(1, "toolu_1", "get_weather"),
        json(1, '{"city":"Oslo"}'),
        stop(1),
        messageDelta("tool_use", { output_tokens: 9 }),
        messageStop,
      ]),
    );
    const thinkingOn = { type: "enabled" as const, budget_tokens: 1024 };
    const first = await anthropic().messages.create({ model: CLAUDE, max_tokens: 4096, thinking: thinkingOn, tools: [WEATHER_TOOL], messages: [{ role: "user", content: "Oslo?" }] });
    gemini.enqueue({ events: thinkingEvents([], ["Sure."], "sig-aside") });
    const aside = await anthropic().messages.create({ model: GEMINI, max_tokens: 100, messages: [{ role: "user", content: "Ready?" }] });

    claude.enqueue(turn(plainText));
    const history: Anthropic.MessageParam[] = [
      { role: "user", content: "Ready?" },
      { role: "assistant", content: aside.content },
      { role: "user", content: "Oslo?" },
      { role: "assistant", content: first.content },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "-3C" }] },
    ];
    await anthropic().messages.create({ model: CLAUDE, max_tokens: 4096, thinking: thinkingOn, tools: [WEATHER_TOOL], messages: history });
    const sent = claude.requests.at(-1)!.json;
    expect(sent.messages[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "Sure." }] });
    expect(sent.messages[3].content[0]).toEqual({ type: "thinking", thinking: "Call the tool.", signature: "EqQBClaudeOwn==" });
    expect(sent.thinking).toEqual(thinkingOn);
  });

  for (const [style, serialize] of [
    ["indented, as JSON.stringify(body, null, 2) writes it", (v: unknown) => JSON.stringify(v, null, 2)],
    ["with Python's separators, as json.dumps writes it (httpx, the anthropic Python SDK)", pythonJson],
  ] as const) {
    test(`unsigned thinking shown from another provider is left out of a body ${style}`, async () => {
      // Gemini 2.5's thoughts carry no signature: Claude Code gets them as a thinking block signed ""
      gemini.enqueue({ events: [event([{ text: "Weighing it.", thought: true }]), ...textEvents(["Warm in Rome."])] });
      const first = await anthropic().messages.create({ model: "gemini-2.5-flash", max_tokens: 500, messages: [{ role: "user", content: "Rome?" }] });
      expect(first.content).toMatchObject([{ type: "thinking", thinking: "Weighing it.", signature: "" }, { type: "text", text: "Warm in Rome." }]);

      claude.enqueue(turn(plainText));
      const thinkingOn = { type: "enabled", budget_tokens: 1024 };
      const history = [{ role: "user", content: "Rome?" }, { role: "assistant", content: first.content }, { role: "user", content: "Thanks" }];
      const body = serialize({ model: CLAUDE, max_tokens: 4096, thinking: thinkingOn, messages: history });
      expect(body).not.toContain('"signature":""');
      const res = await fetch(`${gw.origin()}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "sk-ant-client", "anthropic-version": "2023-06-01" }, body });
      expect(res.status).toBe(200);
      const sent = claude.requests.at(-1)!.json;
      expect(sent.messages[1]).toEqual({ role: "assistant", content: [{ type: "text", text: "Warm in Rome." }] });
      expect(sent.thinking).toEqual(thinkingOn);
    });
  }

  test("a request without envelopes is forwarded byte for byte, even one that mentions agw1.", async () => {
    claude.enqueue(turn(plainText), turn(plainText));
    for (const mention of ["no envelope here", "what does agw1.gc. mean?"]) {
      const body = `{"model": "${CLAUDE}",  "max_tokens":64, "messages":[ {"role":"user","content":"${mention}"} ]}`;
      const res = await fetch(`${gw.origin()}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "x-api-key": "sk-ant-client", "anthropic-version": "2023-06-01" }, body });
      expect(res.status).toBe(200);
      expect(claude.requests.at(-1)!.body).toBe(body);
    }
  });
});

describe("Codex: a history answered by Gemini, continued on OpenAI (passthrough)", () => {
  const TOOLS: OpenAI.Responses.Tool[] = [{ type: "function", name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }, strict: false }];
  const completed = (text: string) => responsesCompleted(text, "msg_1");

  for (const streamed of [true, false]) {
    test(`the reasoning items the gateway wrote are left out; OpenAI's own stay (${streamed ? "streamed" : "whole"} Gemini turn)`, async () => {
      geminiToolCall();
      const client = openaiClient(gw.baseURL());
      const ask = { model: GEMINI, tools: TOOLS, input: "Weather in Rome?" };
      const first = streamed ? await client.responses.stream(ask).finalResponse() : await client.responses.create(ask);
      const call = first.output.find((i) => i.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;
      expect(first.output.some((i) => i.type === "reasoning" && i.encrypted_content === "agw1.gc.sig-call")).toBe(true);
      // (the whole turn also has the thought summary as a reasoning item of its own, unsigned)
      expect(first.output.filter((i) => i.type === "reasoning").every((i) => i.id?.startsWith("rs_agw_"))).toBe(true);

      // an earlier turn OpenAI itself answered, with encrypted reasoning it issued
      const own: OpenAI.Responses.ResponseReasoningItem = openai.issueReasoning();
      openai.enqueue(completed("Warm in Rome."));
      const input: OpenAI.Responses.ResponseInputItem[] = [
        { role: "user", content: "Hi" },
        own,
        { role: "assistant", content: "Hello." },
        { role: "user", content: "Weather in Rome?" },
        ...(first.output as OpenAI.Responses.ResponseInputItem[]),
        { type: "function_call_output", call_id: call.call_id, output: "30C" },
      ];
      const second = await client.responses.create({ model: "gpt-5", tools: TOOLS, store: false, include: ["reasoning.encrypted_content"], input });
      expect(second.output_text).toBe("Warm in Rome.");

      const sent = openai.requests.at(-1)!;
      expect(sent.body).not.toContain("agw1.");
      expect(sent.body).not.toContain("_agw_");
      // only the gateway's reasoning went: the call (without the id the gateway minted), its output and OpenAI's own reasoning stay
      const forwarded: unknown[] = sent.json.input;
      expect(forwarded).toEqual(input.filter((i) => i.type !== "reasoning" || i === own).map(withoutMintedId));
      expect(forwarded[1]).toEqual(own);
    });
  }

  /** An item as the gateway sends it on: without an id it minted (`msg_agw_...`, `fc_agw_...`). */
  function withoutMintedId(item: object): Record<string, unknown> {
    return Object.fromEntries(Object.entries(item).filter(([key, value]) => key !== "id" || !String(value).includes("_agw_")));
  }

  /** An item as Codex sends it back: without its id (Codex never sends item ids), `encrypted_content` null when it had none. */
  function asCodexSends(item: OpenAI.Responses.ResponseInputItem): Record<string, unknown> {
    const { id: _id, ...rest } = item as unknown as Record<string, unknown>;
    return item.type === "reasoning" ? { ...rest, encrypted_content: item.encrypted_content ?? null } : rest;
  }

  for (const { who, codex, streamed, store } of [
    { who: "an SDK client that keeps item ids", codex: false, streamed: false, store: true },
    { who: "an SDK client that keeps item ids", codex: false, streamed: true, store: false },
    { who: "Codex, which drops them", codex: true, streamed: true, store: false },
  ]) {
    test(`reasoning shown from a provider without signatures is left out: ${who} (store: ${store})`, async () => {
      // Gemini's thought summary is not signed (its signature comes with the answer text)
      gemini.enqueue({ events: thinkingEvents(["Weighing it."], ["Warm ", "in Rome."], "sig-text") });
      const client = openaiClient(gw.baseURL());
      const ask = { model: GEMINI, input: "Rome?" };
      const first = streamed ? await client.responses.stream(ask).finalResponse() : await client.responses.create(ask);
      expect(first.output[0]).toMatchObject({ type: "reasoning", summary: [{ type: "summary_text", text: "Weighing it." }], encrypted_content: "agw1.u." });
      expect(first.output[0]!.id).toStartWith("rs_agw_");

      openai.enqueue(completed("You're welcome."));
      const history = [{ role: "user", content: "Rome?" }, ...first.output, { role: "user", content: "Thanks" }] as OpenAI.Responses.ResponseInputItem[];
      const input = codex ? history.map(asCodexSends) : history;
      const second = await client.responses.create({ model: "gpt-5", store, input: input as OpenAI.Responses.ResponseInputItem[] });
      expect(second.output_text).toBe("You're welcome.");
      const forwarded: unknown[] = openai.requests.at(-1)!.json.input;
      expect(forwarded).toEqual(input.filter((i) => i.type !== "reasoning").map(withoutMintedId));
      expect(forwarded).toHaveLength(3);
    });
  }

  test("a reference to a reasoning item the gateway wrote is left out; OpenAI's own references stay", async () => {
    const own = openai.issueReasoning();
    openai.enqueue(completed("ok"));
    const input = [{ role: "user", content: "Hi" }, { type: "item_reference", id: "rs_agw_0123456789abcdef01234567_0" }, { type: "item_reference", id: own.id }, { role: "user", content: "Again" }];
    const res = await fetch(`${gw.baseURL()}/responses`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-client" }, body: JSON.stringify({ model: "gpt-5", input }) });
    expect(res.status).toBe(200);
    expect(openai.requests.at(-1)!.json.input).toEqual([input[0], input[2], input[3]]);
  });

  test("a request without envelopes is forwarded byte for byte", async () => {
    openai.enqueue(completed("hi"));
    const body = `{"model":"gpt-5",  "input":[{"role":"user","content":"hello"}], "store":false}`;
    const res = await fetch(`${gw.baseURL()}/responses`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-client" }, body });
    expect(res.status).toBe(200);
    expect(openai.requests.at(-1)!.body).toBe(body);
  });
});

describe("Codex: a history answered by Gemini, continued on Claude (through the hub)", () => {
  test("the Gemini signatures stay in the hub; thinking waits for the loop to end", async () => {
    geminiToolCall();
    const client = openaiClient(gw.baseURL());
    const TOOL: OpenAI.Responses.Tool = { type: "function", name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false };
    const first = await client.responses.create({ model: GEMINI, tools: [TOOL], input: "Weather in Rome?" });
    const call = first.output.find((i) => i.type === "function_call") as OpenAI.Responses.ResponseFunctionToolCall;

    claude.enqueue(turn(plainText));
    const input = [{ role: "user" as const, content: "Weather in Rome?" }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: "function_call_output" as const, call_id: call.call_id, output: "30C" }];
    const second = await client.responses.create({ model: CLAUDE, tools: [TOOL], reasoning: { effort: "high" }, input });
    expect(second.output_text).toBe(PLAIN_TEXT);
    const sent = claude.requests.at(-1)!;
    expect(sent.body).not.toContain("agw1.");
    expect(sent.json.thinking).toBeUndefined();
    expect(sent.json.messages[1].content).toEqual([{ type: "tool_use", id: call.call_id, name: "get_weather", input: { city: "Rome" } }]);
  });
});
