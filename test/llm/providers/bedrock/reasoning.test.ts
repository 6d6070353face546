/**
 * Reasoning through Bedrock: text as `reasoning_content`, the signed block as `thinking_blocks`
 * (what a client sends back), redacted reasoning kept opaque, and the round trip: the next
 * turn's Converse body carries the signed block verbatim, first in the assistant turn.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type OpenAI from "openai";
import { collect } from "./collect.ts";
import * as scripts from "./scripts.ts";
import { startBedrockEmulator, type BedrockEmulator } from "../../../emulators/bedrock.ts";
import { providerSuite } from "../../../helpers/gateway.ts";

const t = providerSuite("bedrock", startBedrockEmulator, scripts.PINNED);

const THOUGHT = "Let me count the r's in \"strawberry\": s-t-r-a-w-b-e-r-r-y, that is 3.";

test("streaming: reasoning_content deltas, then the signed block once, then the answer", async () => {
  t.emu.script(() => ({ events: scripts.reasoning }));
  const out = await collect(
    await t.gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "How many r's in strawberry?" }], reasoning_effort: "low", stream: true }),
  );
  expect(out.reasoning).toBe(THOUGHT);
  expect(out.thinkingBlocks).toEqual([{ type: "thinking", thinking: THOUGHT, signature: scripts.SIGNATURE }]);
  expect(out.content).toBe("There are **3** r's in \"strawberry\".");
  expect(out.finish).toBe("stop");
  expect(t.emu.lastJson().additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 1024 } });
});

test("non-streaming: reasoning_content and thinking_blocks on the message", async () => {
  t.emu.script(() => ({ events: scripts.reasoning }));
  const res = await t.gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "How many r's in strawberry?" }] });
  const msg = res.choices[0]!.message as OpenAI.Chat.Completions.ChatCompletionMessage & { reasoning_content?: string; thinking_blocks?: unknown[] };
  expect(msg.reasoning_content).toBe(THOUGHT);
  expect(msg.thinking_blocks).toEqual([{ type: "thinking", thinking: THOUGHT, signature: scripts.SIGNATURE }]);
  expect(msg.content).toBe("There are **3** r's in \"strawberry\".");
});

test("redacted reasoning stays opaque and goes back verbatim with the tool turn", async () => {
  t.emu.script(() => ({ events: scripts.redactedReasoning }));
  const tools: OpenAI.Chat.Completions.ChatCompletionTool[] = [{ type: "function", function: { name: "propose", parameters: { type: "object", properties: {} } } }];
  const out = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "Group the team" }], tools, stream: true }));
  expect(out.reasoning).toBe("");
  expect(out.thinkingBlocks).toEqual([{ type: "redacted_thinking", data: scripts.REDACTED }]);
  expect(out.toolCalls).toEqual([{ index: 0, id: "call_61f8fcbe", name: "propose", arguments: '{"groups":[]}' }]);

  t.emu.script(() => ({ events: scripts.text }));
  await t.gw.client.chat.completions.create({
    model: "m",
    tools,
    messages: [
      { role: "user", content: "Group the team" },
      { role: "assistant", content: null, tool_calls: [{ id: "call_61f8fcbe", type: "function", function: { name: "propose", arguments: '{"groups":[]}' } }], thinking_blocks: out.thinkingBlocks } as never,
      { role: "tool", tool_call_id: "call_61f8fcbe", content: "ok" },
    ],
  });
  expect(t.emu.lastJson().messages[1].content).toEqual([
    { reasoningContent: { redactedContent: scripts.REDACTED } },
    { toolUse: { toolUseId: "call_61f8fcbe", name: "propose", input: { groups: [] } } },
  ]);
});

test("the SDK's stream helper ends with a message whose thinking_blocks can be sent back as is", async () => {
  t.emu.script(() => ({ events: scripts.reasoning }));
  const final = await t.gw.client.chat.completions.stream({ model: "m", messages: [{ role: "user", content: "How many r's?" }] }).finalChatCompletion();
  const message = final.choices[0]!.message as unknown as Record<string, unknown>;
  expect(message.thinking_blocks).toEqual([{ type: "thinking", thinking: THOUGHT, signature: scripts.SIGNATURE }]);

  t.emu.script(() => ({ events: scripts.text }));
  await t.gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "How many r's?" }, message as never, { role: "user", content: "And in raspberry?" }] });
  expect(t.emu.lastJson().messages[1]).toEqual({
    role: "assistant",
    content: [{ reasoningContent: { reasoningText: { text: THOUGHT, signature: scripts.SIGNATURE } } }, { text: "There are **3** r's in \"strawberry\"." }],
  });
});
