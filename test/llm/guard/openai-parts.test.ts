/**
 * OpenAI chunks read as hub parts (for guarded streams): text (the fast path for plain content
 * deltas, escapes included), reasoning, tool calls, finish, usage, errors, a missing [DONE], at
 * every split position of the bytes.
 */
import { expect, test } from "bun:test";
import { openaiStreamTranslator } from "../../../src/llm/guard/openai-parts.ts";
import type { HubWriter } from "../../../src/llm/hub/parts.ts";

function recorder(): { out: HubWriter; parts: string[] } {
  const parts: string[] = [];
  const rec = (name: string) => (...args: unknown[]) => void parts.push(`${name}${args.length ? ` ${JSON.stringify(args)}` : ""}`);
  const out: HubWriter = {
    start: rec("start"),
    text: rec("text"),
    reasoning: rec("reasoning"),
    thinkingSigned: rec("thinkingSigned"),
    thinkingRedacted: rec("thinkingRedacted"),
    toolCall: rec("toolCall"),
    toolArgs: rec("toolArgs"),
    answerSignature: rec("answerSignature"),
    finish: rec("finish"),
    usage: rec("usage"),
    end: rec("end"),
    fail: rec("fail"),
  };
  return { out, parts };
}

const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const chunk = (delta: unknown, finish: string | null = null) => ev({ id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-x", choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], usage: null });
const STREAM =
  chunk({ role: "assistant", content: "" }) +
  chunk({ reasoning_content: "hmm" }) +
  chunk({ content: 'He said "hi"\\n' }) +
  chunk({ content: "é ✓" }) +
  chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "f", arguments: "" } }] }) +
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"a":1}' } }] }) +
  chunk({}, "tool_calls") +
  ev({ id: "c1", object: "chat.completion.chunk", created: 1, model: "gpt-x", choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }) +
  "data: [DONE]\n\n";

test("every part, whole and at every split position", () => {
  const whole = recorder();
  const t = openaiStreamTranslator(whole.out);
  t.push(new TextEncoder().encode(STREAM));
  t.end();
  expect(whole.parts).toEqual([
    'start [{"id":"c1","model":"gpt-x"}]',
    'reasoning ["\\"hmm\\""]',
    'text ["\\"He said \\\\\\"hi\\\\\\"\\\\\\\\n\\""]',
    'text ["\\"é ✓\\""]',
    'toolCall [{"index":0,"id":"call_1","name":"f"}]',
    'toolArgs [0,"\\"{\\\\\\"a\\\\\\":1}\\""]',
    'finish ["tool_calls"]',
    'usage [{"inputTokens":3,"outputTokens":4,"totalTokens":7}]',
    "end",
  ]);
  const bytes = new TextEncoder().encode(STREAM);
  for (let i = 1; i < bytes.length; i++) {
    const r = recorder();
    const tr = openaiStreamTranslator(r.out);
    tr.push(bytes.subarray(0, i));
    tr.push(bytes.subarray(i));
    tr.end();
    expect(r.parts).toEqual(whole.parts);
  }
});

test("an error event fails with its status; a stream without [DONE] is incomplete", () => {
  const a = recorder();
  const t = openaiStreamTranslator(a.out);
  t.push(new TextEncoder().encode(ev({ error: { message: "overloaded", type: "server_error", code: "overloaded", status: 529 } })));
  t.end();
  expect(a.parts).toEqual(['fail [{"kind":"provider","message":"overloaded","status":529,"providerCode":"overloaded"}]']);
  const b = recorder();
  const u = openaiStreamTranslator(b.out);
  u.push(new TextEncoder().encode(chunk({ content: "x" })));
  u.end();
  expect(b.parts.at(-1)).toBe('fail [{"kind":"incomplete","message":"upstream stream ended without [DONE]"}]');
});
