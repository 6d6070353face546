/**
 * The envelope clean-up before a native passthrough, on its own (provider-switch.test.ts drives
 * it over HTTP): what goes, what is opened, what stays byte for byte, and Claude's tool-loop rule
 * that decides when `thinking` must go with it.
 */
import { describe, expect, test } from "bun:test";
import { HttpError } from "../../../src/http/errors.ts";
import { withoutEnvelopes } from "../../../src/llm/formats/native-envelopes.ts";
import { loopLacksThinking } from "../../../src/llm/providers/claude-thinking.ts";
import { bodyDraft } from "../../../src/policies/chain.ts";
import type { RouteType } from "../../../src/llm/types.ts";

function clean(route: RouteType, body: Record<string, unknown>) {
  const draft = bodyDraft(body);
  withoutEnvelopes(route, draft, new TextEncoder().encode(JSON.stringify(body)));
  return draft;
}

const toolUse = { type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } };
const toolResult = { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "ok" }] };

describe("Anthropic Messages", () => {
  test("envelopes holding Claude's values are opened; Gemini's and unsigned blocks go; an emptied message goes", () => {
    const draft = clean("messages", {
      model: "claude-x",
      messages: [
        { role: "user", content: "go" },
        { role: "assistant", content: [{ type: "thinking", thinking: "", signature: "agw1.ga.g-sig" }] },
        { role: "user", content: "and?" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "plan", signature: "agw1.t.claude-sig" },
            { type: "redacted_thinking", data: "agw1.r.claude-data" },
            { type: "thinking", thinking: "shown", signature: "" },
            { type: "thinking", thinking: "", signature: "agw1.gc.g-call" },
            { type: "redacted_thinking", data: "agw1.zz.later-kind" },
            toolUse,
          ],
        },
        toolResult,
      ],
    });
    expect(draft.body.messages).toEqual([
      { role: "user", content: "go" },
      { role: "user", content: "and?" },
      { role: "assistant", content: [{ type: "thinking", thinking: "plan", signature: "claude-sig" }, { type: "redacted_thinking", data: "claude-data" }, toolUse] },
      toolResult,
    ]);
  });

  test("a body without envelopes or unsigned blocks is not touched, even when it names one in text", () => {
    const body = { model: "claude-x", thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "what is agw1.gc.?" }, { role: "assistant", content: [toolUse] }, toolResult] };
    const draft = clean("messages", body);
    expect(draft.changed).toBe(false);
    expect(draft.body).toBe(body);
  });

  test("an unsigned block is found however the client spaced its JSON; a body that only names one is not touched", () => {
    const unsigned = { model: "claude-x", messages: [{ role: "user", content: "go" }, { role: "assistant", content: [{ type: "thinking", thinking: "t", signature: "" }, { type: "text", text: "ok" }] }] };
    const compact = JSON.stringify(unsigned);
    for (const spacing of ['"signature": ""', '"signature" :\t""', '"signature":\r\n    ""', '"signature"\n:\n""']) {
      const draft = bodyDraft(unsigned);
      withoutEnvelopes("messages", draft, new TextEncoder().encode(compact.replace('"signature":""', spacing)));
      expect(draft.body.messages).toEqual([unsigned.messages[0], { role: "assistant", content: [{ type: "text", text: "ok" }] }]);
    }
    // `"signature"` as a value, or quoted inside a text, is no unsigned block: the body is not read
    for (const text of ['{"x": "signature", "y": ""}', '{"content": "say \\"signature\\": \\"\\""}', '{"signature": "abc"}']) {
      const draft = bodyDraft(unsigned);
      withoutEnvelopes("messages", draft, new TextEncoder().encode(text));
      expect(draft.changed).toBe(false);
    }
  });

  test("thinking (enabled or adaptive) goes with a loop that no longer opens with thinking, with the edit that clears thinking", () => {
    for (const thinking of [{ type: "enabled", budget_tokens: 1024 }, { type: "adaptive" }]) {
      const draft = clean("anthropicTokenCount", {
        model: "claude-x",
        thinking,
        context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }, { type: "clear_tool_uses_20250919" }] },
        messages: [{ role: "user", content: "go" }, { role: "assistant", content: [{ type: "thinking", thinking: "", signature: "agw1.gc.s" }, toolUse] }, toolResult],
      });
      expect(draft.body.thinking).toBeUndefined();
      expect(draft.body.context_management).toEqual({ edits: [{ type: "clear_tool_uses_20250919" }] });
    }
  });

  test("thinking stays when the loop still opens with Claude's thinking, or when no loop is running", () => {
    const thinking = { type: "enabled", budget_tokens: 1024 };
    const signed = { type: "thinking", thinking: "t", signature: "agw1.t.claude" };
    const loop = clean("messages", { thinking, messages: [{ role: "user", content: "go" }, { role: "assistant", content: [signed, { type: "thinking", thinking: "", signature: "agw1.gc.s" }, toolUse] }, toolResult] });
    expect(loop.body.thinking).toEqual(thinking);
    const ended = clean("messages", { thinking, messages: [{ role: "user", content: "go" }, { role: "assistant", content: [{ type: "thinking", thinking: "", signature: "agw1.gc.s" }, toolUse] }, toolResult, { role: "assistant", content: "done" }, { role: "user", content: "next" }] });
    expect(ended.changed).toBe(true);
    expect(ended.body.thinking).toEqual(thinking);
  });
});

describe("OpenAI Responses", () => {
  test("reasoning items holding an envelope go; OpenAI's own and everything else stay", () => {
    const own = { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "gAAAAAown" };
    const input = [
      { role: "user", content: "go" },
      { type: "reasoning", id: "rs_2", summary: [], encrypted_content: "agw1.gc.s" },
      { type: "reasoning", id: "rs_3", summary: [{ type: "summary_text", text: "t" }], encrypted_content: "agw1.t.claude" },
      own,
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "agw1.gc. in a tool's output" },
    ];
    expect(clean("responses", { model: "gpt-5", input }).body.input).toEqual([input[0], own, input[4], input[5]]);
    const untouched = { model: "gpt-5", input: [own, input[5]] };
    expect(clean("responses", untouched).changed).toBe(false);
  });

  test("reasoning items the gateway wrote go by their id, and references to them; OpenAI's ids stay", () => {
    const own = { type: "reasoning", id: "rs_02a6cf253028183700690ee34d4eb88196ad7ebd2b9b7070e2", summary: [] };
    const input = [
      { role: "user", content: "go" },
      { type: "reasoning", id: "rs_agw_0123456789abcdef01234567_0", summary: [{ type: "summary_text", text: "shown" }] },
      { type: "item_reference", id: "rs_agw_0123456789abcdef01234567_2" },
      own,
      { type: "item_reference", id: own.id },
      { type: "message", id: "msg_0a1b2c", role: "assistant", content: [{ type: "output_text", text: "rs_agw_ in a text" }] },
    ];
    // no `agw1.` in these bytes: the ids alone make the body worth reading
    expect(clean("responses", { model: "gpt-5", input }).body.input).toEqual([input[0], own, input[4], input[5]]);
    expect(clean("responses", { model: "gpt-5", input: [own, input[4], input[5]] }).changed).toBe(false);
  });

  test("the other items the gateway wrote stay without their ids; references to them go, typed or not (a call's as it is sent whole too)", () => {
    const content = [{ type: "output_text", text: "Checking.", annotations: [] }];
    const call = { type: "function_call", status: "completed", arguments: "{}", call_id: "toolu_1", name: "f" };
    const custom = { type: "custom_tool_call", status: "completed", call_id: "tooluse_2", name: "apply_patch", input: "*** Begin Patch" };
    const input = [
      { role: "user", content: "go", id: "msg_own1" },
      { type: "message", id: "msg_agw_0123456789abcdef01234567_0", status: "completed", role: "assistant", content },
      { id: "fc_agw_0123456789abcdef01234567_1", ...call },
      { id: "ctc_agw_0123456789abcdef01234567_2", ...custom },
      { type: "function_call_output", call_id: "toolu_1", output: "ok" },
      { type: "item_reference", id: "fc_agw_0123456789abcdef01234567_1" },
      { id: "msg_agw_0123456789abcdef01234567_0" },
      { type: "function_call", id: "fc_0a1b2c", call_id: "call_9", name: "f", arguments: "{}" },
    ];
    expect(clean("responses", { model: "gpt-5", input }).body.input).toEqual([
      input[0],
      { type: "message", status: "completed", role: "assistant", content },
      call,
      custom,
      input[4],
      input[7],
    ]);
  });

  test("a reference to a function or custom tool call the gateway wrote, not sent whole, is refused (400 on input, naming it)", () => {
    const refusal = (input: unknown[]) => {
      try {
        clean("responses", { model: "gpt-5", input });
      } catch (e) {
        return e as HttpError;
      }
      return undefined;
    };
    const output = { type: "function_call_output", call_id: "toolu_1", output: "ok" };
    for (const [reference, kind, type] of [
      [{ type: "item_reference", id: "fc_agw_0123456789abcdef01234567_1" }, "function call", "function_call"],
      [{ id: "ctc_agw_0123456789abcdef01234567_2" }, "custom tool call", "custom_tool_call"],
    ] as const) {
      const err = refusal([{ role: "user", content: "go" }, reference, output]);
      expect(err).toBeInstanceOf(HttpError);
      expect([err!.status, err!.type, err!.param, err!.code]).toEqual([400, "invalid_request_error", "input", "item_not_found"]);
      expect(err!.message).toStartWith(`Item with id '${reference.id}' not found: it is a ${kind} the gateway wrote from another provider's answer`);
      expect(err!.message).toContain(`Send the ${kind} item itself in 'input' instead of the reference, as the client received it in that response's output (type '${type}'`);
    }
    // a message's reference still just goes
    expect(refusal([{ type: "item_reference", id: "msg_agw_0123456789abcdef01234567_0" }, output])).toBeUndefined();
  });

  test("a body that only mentions the mark in a text, or has no input list, is not touched", () => {
    const mentioned = { model: "gpt-5", input: [{ role: "user", content: "what is msg_agw_?" }, { type: "message", id: "msg_0a1b2c", role: "assistant", content: [] }] };
    expect(clean("responses", mentioned).changed).toBe(false);
    expect(clean("responses", { model: "gpt-5", input: "what is fc_agw_?" }).changed).toBe(false);
  });

  test("a chain on a response the gateway wrote is refused (400, previous_response_not_found); one on OpenAI's own is not touched", () => {
    const err = (() => {
      try {
        clean("responses", { model: "gpt-5", previous_response_id: "resp_agw_0123456789abcdef01234567", input: "and?" });
      } catch (e) {
        return e;
      }
    })() as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect([err.status, err.type, err.param, err.code]).toEqual([400, "invalid_request_error", "previous_response_id", "previous_response_not_found"]);
    expect(err.message).toContain("the gateway wrote it from another provider's answer, and the gateway keeps no responses");
    // OpenAI's id, with an item the gateway wrote in the input: the chain stays, the item loses its id
    const draft = clean("responses", { model: "gpt-5", previous_response_id: "resp_03ff6708f0b7052c016a6842c51b38819a85bf9627eaae3516", input: [{ type: "message", id: "msg_agw_0123456789abcdef01234567_0", role: "assistant", content: [] }] });
    expect(draft.body.previous_response_id).toBe("resp_03ff6708f0b7052c016a6842c51b38819a85bf9627eaae3516");
    expect(draft.body.input).toEqual([{ type: "message", role: "assistant", content: [] }]);
  });

  test("other routes are never looked at", () => {
    const body = { messages: [{ role: "assistant", content: [{ type: "thinking", thinking: "", signature: "agw1.gc.s" }] }] };
    expect(clean("completions", body).changed).toBe(false);
  });
});

describe("Gemini generateContent and countTokens", () => {
  const gemini = (route: RouteType, body: Record<string, unknown>, model: string) => {
    const draft = bodyDraft(body);
    withoutEnvelopes(route, draft, new TextEncoder().encode(JSON.stringify(body)), model);
    return draft;
  };
  const call = { functionCall: { name: "f", args: {} } };
  const contents = [
    { role: "user", parts: [{ text: "go" }] },
    {
      role: "model",
      parts: [
        { thought: true, text: "plan", thoughtSignature: "agw1.t.claude-sig" },
        { thought: true, text: "", thoughtSignature: "agw1.r.claude-data" },
        { text: "", thoughtSignature: "agw1.zz.later-kind" },
        { text: "Checking.", thoughtSignature: "agw1.t.x" },
        call,
        { ...call, thoughtSignature: "agw1.gc.own-call" },
      ],
    },
    { role: "model", parts: [{ text: "Done.", thoughtSignature: "agw1.ga.own-text" }, { thought: true, text: "", thoughtSignature: "agw1.t.y" }] },
    { role: "model", parts: [{ thought: true, text: "", thoughtSignature: "agw1.t.z" }] },
  ];

  test("Gemini's envelopes are opened in place; other envelopes go, with their thought parts, emptied texts and contents", () => {
    const draft = gemini("generateContent", { contents }, "gemini-2.5-flash");
    expect(draft.body.contents).toEqual([
      contents[0],
      { role: "model", parts: [{ text: "Checking." }, call, { ...call, thoughtSignature: "own-call" }] },
      { role: "model", parts: [{ text: "Done.", thoughtSignature: "own-text" }] },
    ]);
    // the client's objects are left as they were (another target may read them)
    expect(contents[1]!.parts[0]).toEqual({ thought: true, text: "plan", thoughtSignature: "agw1.t.claude-sig" });
  });

  test("Gemini 3: a model turn that held a foreign envelope and whose first call is left unsigned gets Google's stand-in", () => {
    const body = {
      contents: [
        { role: "model", parts: [{ thought: true, text: "", thoughtSignature: "agw1.t.claude" }, call, call] },
        { role: "model", parts: [{ ...call, thoughtSignature: "agw1.t.claude" }] },
        { role: "model", parts: [{ ...call, thoughtSignature: "agw1.gc.own" }, { text: "x", thoughtSignature: "agw1.t.claude" }] },
        { role: "model", parts: [call, { text: "signed elsewhere", thoughtSignature: "agw1.ga.own" }] },
      ],
    };
    const stand = { ...call, thoughtSignature: "skip_thought_signature_validator" };
    expect(gemini("generateContent", body, "gemini-3-pro-preview").body.contents).toEqual([
      { role: "model", parts: [stand, call] },
      { role: "model", parts: [stand] },
      { role: "model", parts: [{ ...call, thoughtSignature: "own" }, { text: "x" }] },
      // no foreign envelope here: the unsigned call is the client's, as sent
      { role: "model", parts: [call, { text: "signed elsewhere", thoughtSignature: "own" }] },
    ]);
    expect(gemini("generateContent", body, "gemini-2.5-pro").body.contents).toEqual([
      { role: "model", parts: [call, call] },
      { role: "model", parts: [call] },
      { role: "model", parts: [{ ...call, thoughtSignature: "own" }, { text: "x" }] },
      { role: "model", parts: [call, { text: "signed elsewhere", thoughtSignature: "own" }] },
    ]);
  });

  test("countTokens: top-level contents, or those of the request it counts", () => {
    const wrapped = gemini("geminiCountTokens", { generateContentRequest: { model: "models/m", contents } }, "gemini-2.5-flash");
    expect((wrapped.body.generateContentRequest as { model: string; contents: unknown[] }).contents).toHaveLength(3);
    expect((wrapped.body.generateContentRequest as { model: string }).model).toBe("models/m");
    expect(gemini("geminiCountTokens", { contents }, "gemini-2.5-flash").body.contents).toHaveLength(3);
  });

  test("a body without envelopes is not touched, even when it names one", () => {
    const body = { contents: [{ role: "user", parts: [{ text: "what is agw1.gc.?" }] }, { role: "model", parts: [{ ...call, thoughtSignature: "c2ln" }] }] };
    const draft = gemini("generateContent", body, "gemini-3-pro-preview");
    expect(draft.changed).toBe(false);
    expect(draft.body).toBe(body);
  });
});

describe("Claude's tool-loop rule", () => {
  const user = { role: "user" as const };
  const results = { role: "user" as const, toolResults: true };
  const thinks = { role: "assistant" as const, opensWithThinking: true };
  const calls = { role: "assistant" as const };

  test("a loop whose turn opened without thinking lacks it; one that opened with it does not", () => {
    expect(loopLacksThinking([user, calls, results])).toBe(true);
    expect(loopLacksThinking([user, thinks, results, calls, results])).toBe(false);
    expect(loopLacksThinking([user, calls, results, thinks, results])).toBe(true);
  });

  test("no loop: a fresh user turn, or an assistant turn not continued by tool results", () => {
    expect(loopLacksThinking([user, calls, results, calls, user])).toBe(false);
    expect(loopLacksThinking([user, calls])).toBe(false);
    expect(loopLacksThinking([user])).toBe(false);
  });

  test("consecutive messages of one role are one turn, as Claude merges them", () => {
    // tool results followed by a user message in the same turn (one Anthropic message with both)
    expect(loopLacksThinking([user, calls, results, user])).toBe(true);
    expect(loopLacksThinking([user, thinks, calls, results])).toBe(false);
  });
});
