/**
 * Sampling as Claude takes it, on every route to Claude: with thinking on, no temperature other
 * than 1, no top_k, no top_p under 0.95 (Anthropic's extended thinking documentation); on Claude
 * Opus 4.1 and later models, temperature or top_p, not both (Claude answers 400 "`temperature`
 * and `top_p` cannot both be specified for this model"); and no thinking with a tool choice that
 * forces a call (Claude refuses the two together). Checked on the request bodies the Anthropic
 * (and Vertex) and Bedrock translations send.
 */
import { describe, expect, test } from "bun:test";
import { toAnthropicRequest } from "../../../src/llm/providers/anthropic/request.ts";
import { converseRequest } from "../../../src/llm/providers/bedrock/request.ts";
import type { ChatRequest } from "../../../src/llm/types.ts";

const req = (extra: Partial<ChatRequest>): ChatRequest => ({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 4096, ...extra });
const anthropic = (extra: Partial<ChatRequest>, model: string) => {
  const b = toAnthropicRequest(req(extra), model);
  return { temperature: b.temperature, top_p: b.top_p, top_k: b.top_k };
};
const bedrock = (extra: Partial<ChatRequest>, model: string) => {
  const b = JSON.parse(converseRequest(req(extra), { region: "us-east-1" }, model).body);
  return { temperature: b.inferenceConfig.temperature, top_p: b.inferenceConfig.topP, top_k: b.additionalModelRequestFields?.top_k };
};

describe("temperature and top_p together", () => {
  const both = { temperature: 0, top_p: 1 }; // as Gemini CLI sends them
  test.each([
    ["claude-sonnet-4-5-20250929", { temperature: 0, top_p: undefined }],
    ["claude-opus-4-1-20250805", { temperature: 0, top_p: undefined }],
    ["claude-haiku-4-5", { temperature: 0, top_p: undefined }],
    ["claude-sonnet-4-6", { temperature: 0, top_p: undefined }],
    ["claude-sonnet-4-5@20250929", { temperature: 0, top_p: undefined }],
    ["claude-sonnet-4-20250514", { temperature: 0, top_p: 1 }],
    ["claude-opus-4-20250514", { temperature: 0, top_p: 1 }],
    ["claude-3-7-sonnet-20250219", { temperature: 0, top_p: 1 }],
  ])("Anthropic, %s", (model, want) => {
    expect(anthropic(both, model)).toEqual({ ...want, top_k: undefined });
  });

  test.each([
    ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", undefined],
    ["anthropic.claude-opus-4-1-20250805-v1:0", undefined],
    ["anthropic.claude-3-5-haiku-20241022-v1:0", 1],
    ["meta.llama3-3-70b-instruct-v1:0", 1],
  ])("Bedrock, %s", (model, topP) => {
    expect(bedrock(both, model)).toEqual({ temperature: 0, top_p: topP, top_k: undefined });
  });

  test("one of them alone goes as it is", () => {
    expect(anthropic({ top_p: 0.8 }, "claude-sonnet-4-5")).toEqual({ temperature: undefined, top_p: 0.8, top_k: undefined });
    expect(anthropic({ temperature: 0.3, top_k: 40 }, "claude-sonnet-4-5")).toEqual({ temperature: 0.3, top_p: undefined, top_k: 40 });
  });
});

describe("with thinking on", () => {
  test("an effort with a temperature, top_p and top_k: only what thinking allows", () => {
    const thinking = { reasoning_effort: "medium", temperature: 0.7, top_p: 0.9, top_k: 40 };
    expect(anthropic(thinking, "claude-sonnet-4-20250514")).toEqual({ temperature: undefined, top_p: undefined, top_k: undefined });
    expect(bedrock(thinking, "anthropic.claude-sonnet-4-20250514-v1:0")).toEqual({ temperature: undefined, top_p: undefined, top_k: undefined });
  });

  test("temperature 1 and a top_p of 0.95 or more stay", () => {
    expect(anthropic({ reasoning_effort: "low", temperature: 1, top_p: 0.96 }, "claude-sonnet-4-20250514")).toEqual({ temperature: 1, top_p: 0.96, top_k: undefined });
  });

  test("thinking disabled by the client: sampling as without it", () => {
    expect(anthropic({ thinking: { type: "disabled" }, temperature: 0.2, top_k: 5 }, "claude-sonnet-4-20250514")).toEqual({ temperature: 0.2, top_p: undefined, top_k: 5 });
  });
});

describe("thinking and a tool choice that forces a call", () => {
  const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
  test("tool_choice required or a named function: no thinking (Claude refuses both together), on Anthropic and Bedrock", () => {
    for (const tool_choice of ["required", { type: "function", function: { name: "get_weather" } }] as const) {
      const a = toAnthropicRequest(req({ reasoning_effort: "high", tools, tool_choice }), "claude-sonnet-4-5");
      expect(a.thinking).toBeUndefined();
      expect((a.tool_choice as { type: string }).type).toBe(tool_choice === "required" ? "any" : "tool");
      const b = JSON.parse(converseRequest(req({ reasoning_effort: "high", tools, tool_choice }), { region: "us-east-1" }, "anthropic.claude-sonnet-4-5-20250929-v1:0").body);
      expect(b.additionalModelRequestFields?.thinking).toBeUndefined();
    }
  });

  test("tool_choice auto keeps thinking", () => {
    expect(toAnthropicRequest(req({ reasoning_effort: "high", tools, tool_choice: "auto", max_tokens: 64000 }), "claude-sonnet-4-5").thinking).toEqual({ type: "enabled", budget_tokens: expect.any(Number) });
  });
});

