/**
 * Tool call ids Claude and Bedrock take (`^[a-zA-Z0-9_-]+$`, Bedrock at most 64 characters), for a
 * conversation begun on a provider whose ids do not fit (Kimi's `functions.Bash:0`) and continued
 * on Claude: the call and its result keep the same fitted id, distinct ids stay distinct, ids that
 * fit are left as they are. Anthropic answers 400 "messages.N.content.M.tool_use.id: String should
 * match pattern '^[a-zA-Z0-9_-]+$'" otherwise. The same for OpenAI's limit (40 characters) and
 * Mistral's (nine letters and digits).
 */
import { describe, expect, test } from "bun:test";
import { toAnthropicRequest } from "../../../src/llm/providers/anthropic/request.ts";
import { converseRequest } from "../../../src/llm/providers/bedrock/request.ts";
import { fittedToolCallId, mistralToolCallId, openaiToolCallId } from "../../../src/llm/providers/tool-call-ids.ts";
import type { ChatRequest } from "../../../src/llm/types.ts";

const PATTERN = /^[a-zA-Z0-9_-]{1,64}$/;
const IDS = ["functions.Bash:0", "functions.Bash:1", "functions.Bash_1", "mcp/server.tool#3", "x".repeat(80), ""];

test("ids that do not fit: fitted, stable, distinct; ids that fit: unchanged", () => {
  const fitted = IDS.map(fittedToolCallId);
  for (const f of fitted) expect(f).toMatch(PATTERN);
  expect(new Set(fitted).size).toBe(IDS.length);
  expect(IDS.map(fittedToolCallId)).toEqual(fitted);
  for (const ok of ["call_abc123", "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "tooluse_Zx-9"]) expect(fittedToolCallId(ok)).toBe(ok);
});

test("OpenAI's 40 characters and Mistral's nine letters and digits: fitted, stable, distinct", () => {
  const long = ["fc_0f0e50a1476a6c35006912c58dc9f8819192c25864eb16f07f", "fc_0f0e50a1476a6c35006912c58dc9f8819192c25864eb16f07e"];
  const openai = long.map(openaiToolCallId);
  for (const id of openai) expect(id.length).toBeLessThanOrEqual(40);
  expect(openai[0]).not.toBe(openai[1]);
  expect(long.map(openaiToolCallId)).toEqual(openai);
  expect(openaiToolCallId("call_abc")).toBe("call_abc");

  const others = ["call_9f3a2b7c1d4e5f6a7b8c9d0e", "toolu_01T1x1fJ34qAmk2tNTrN7Up6", "functions.Bash:0"];
  const mistral = others.map(mistralToolCallId);
  for (const id of mistral) expect(id).toMatch(/^[a-zA-Z0-9]{9}$/);
  expect(new Set(mistral).size).toBe(3);
  expect(mistralToolCallId("D681PevKs")).toBe("D681PevKs");
});

/** a Kimi turn with two calls and their results, then the user again */
const conversation: ChatRequest = {
  model: "m",
  max_tokens: 1000,
  messages: [
    { role: "user", content: "list and count" },
    {
      role: "assistant",
      content: null,
      tool_calls: [
        { id: "functions.Bash:0", type: "function", function: { name: "Bash", arguments: '{"command":"ls"}' } },
        { id: "functions.Bash:1", type: "function", function: { name: "Bash", arguments: '{"command":"wc -l *"}' } },
      ],
    },
    { role: "tool", tool_call_id: "functions.Bash:0", content: "a.txt" },
    { role: "tool", tool_call_id: "functions.Bash:1", content: "3 a.txt" },
  ],
};

describe("in the requests sent", () => {
  test("Anthropic (and Vertex): each tool_result names its tool_use's fitted id", () => {
    const body = toAnthropicRequest(structuredClone(conversation), "claude-sonnet-4-5") as { messages: { content: { type: string; id?: string; tool_use_id?: string }[] }[] };
    const uses = body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b) => b.type === "tool_use").map((b) => b.id!);
    const results = body.messages.flatMap((m) => (Array.isArray(m.content) ? m.content : [])).filter((b) => b.type === "tool_result").map((b) => b.tool_use_id!);
    expect(uses).toHaveLength(2);
    for (const id of uses) expect(id).toMatch(PATTERN);
    expect(results).toEqual(uses);
    expect(uses[0]).not.toBe(uses[1]);
  });

  test("Bedrock: each toolResult names its toolUse's fitted id", () => {
    const body = JSON.parse(converseRequest(structuredClone(conversation), { region: "us-east-1" }, "anthropic.claude-sonnet-4-5-20250929-v1:0").body) as { messages: { content: Record<string, { toolUseId?: string }>[] }[] };
    const blocks = body.messages.flatMap((m) => m.content);
    const uses = blocks.filter((b) => b.toolUse).map((b) => b.toolUse!.toolUseId!);
    const results = blocks.filter((b) => b.toolResult).map((b) => b.toolResult!.toolUseId!);
    for (const id of uses) expect(id).toMatch(PATTERN);
    expect(results).toEqual(uses);
    expect(new Set(uses).size).toBe(2);
  });
});
