/**
 * The shared `reasoning_effort` rules (validation, Claude's budgets, clamping to a provider's
 * levels) and the Claude thinking/cap helpers built on them. The HTTP side, provider by provider,
 * is in test/e2e/shared-rules.test.ts.
 */
import { describe, expect, test } from "bun:test";
import { HttpError } from "../../src/http/errors.ts";
import { requestedMaxTokens, stopSequences } from "../../src/llm/chat-request.ts";
import { claudeMaxTokens, claudeThinking } from "../../src/llm/providers/claude-thinking.ts";
import { clampEffort, REASONING_EFFORTS, reasoningEffort, THINKING_BUDGET, thinkingBudget, type ReasoningEffort } from "../../src/llm/reasoning-effort.ts";
import type { ChatRequest } from "../../src/llm/types.ts";

const req = (extra: Record<string, unknown>): ChatRequest => ({ model: "m", messages: [{ role: "user", content: "hi" }], ...extra });

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error("accepted");
}

describe("reasoningEffort", () => {
  test("OpenAI's values are accepted as they are; absent and null are unset", () => {
    for (const e of REASONING_EFFORTS) expect(reasoningEffort(req({ reasoning_effort: e }))).toBe(e);
    expect(reasoningEffort(req({}))).toBeUndefined();
    expect(reasoningEffort(req({ reasoning_effort: null }))).toBeUndefined();
  });

  test.each([["extreme"], ["High"], [""], [2], [true], [{ effort: "high" }]])("%p is a 400 naming the parameter and the accepted values", (value) => {
    const err = refusal(() => reasoningEffort(req({ reasoning_effort: value })));
    expect(err.status).toBe(400);
    expect(err.param).toBe("reasoning_effort");
    expect(err.code).toBe("invalid_value");
    expect(err.message).toBe(
      `Invalid value for 'reasoning_effort': ${typeof value === "string" ? `'${value}'` : JSON.stringify(value)}. Supported values are: 'none', 'minimal', 'low', 'medium', 'high', 'xhigh' and 'max'.`,
    );
  });
});

describe("budgets and levels", () => {
  test("Claude's budgets: none and unset ask for nothing; never below Anthropic's minimum of 1024", () => {
    expect(thinkingBudget(undefined)).toBeUndefined();
    expect(thinkingBudget("none")).toBeUndefined();
    expect(["minimal", "low", "medium", "high", "xhigh", "max"].map((e) => thinkingBudget(e as ReasoningEffort))).toEqual([1024, 1024, 2048, 4096, 8192, 16384]);
    expect(Math.min(...Object.values(THINKING_BUDGET))).toBeGreaterThanOrEqual(1024);
  });

  test("clampEffort keeps an effort inside a provider's range", () => {
    expect(clampEffort("minimal", "low", "high")).toBe("low");
    expect(clampEffort("medium", "low", "high")).toBe("medium");
    expect(clampEffort("xhigh", "low", "high")).toBe("high");
    expect(clampEffort("max", "low", "high")).toBe("high");
    expect(clampEffort("minimal", "minimal", "high")).toBe("minimal");
  });
});

describe("Claude thinking and cap", () => {
  test("the client's own thinking object wins, but a bad effort beside it is still refused", () => {
    const own = { type: "enabled", budget_tokens: 10000 };
    expect(claudeThinking(req({ thinking: own, reasoning_effort: "low" }))).toEqual(own);
    expect(refusal(() => claudeThinking(req({ thinking: own, reasoning_effort: "ultra" }))).param).toBe("reasoning_effort");
  });

  test("the cap: the client's, above the budget; else the default plus the budget", () => {
    const thinking = { type: "enabled", budget_tokens: 2048 };
    expect(claudeMaxTokens(req({}), undefined)).toBe(4096);
    expect(claudeMaxTokens(req({}), thinking)).toBe(4096 + 2048);
    expect(claudeMaxTokens(req({ max_tokens: 3000 }), thinking)).toBe(3000);
    expect(claudeMaxTokens(req({ max_tokens: 100 }), { type: "disabled" })).toBe(100);
    const err = refusal(() => claudeMaxTokens(req({ max_tokens: 9000, max_completion_tokens: 2048 }), thinking));
    expect([err.status, err.param]).toEqual([400, "max_completion_tokens"]);
  });
});

describe("shared request fields", () => {
  test("requestedMaxTokens prefers max_completion_tokens and says which it used", () => {
    expect(requestedMaxTokens(req({ max_tokens: 5, max_completion_tokens: 7 }))).toEqual({ value: 7, param: "max_completion_tokens" });
    expect(requestedMaxTokens(req({ max_tokens: 5, max_completion_tokens: null }))).toEqual({ value: 5, param: "max_tokens" });
    expect(requestedMaxTokens(req({}))).toBeUndefined();
  });

  test("stopSequences: a string is one; non-strings are skipped; nothing left is undefined", () => {
    expect(stopSequences(req({ stop: "END" }))).toEqual(["END"]);
    expect(stopSequences(req({ stop: ["a", 1, "b"] }))).toEqual(["a", "b"]);
    expect(stopSequences(req({ stop: [] }))).toBeUndefined();
    expect(stopSequences(req({ stop: [2] }))).toBeUndefined();
    expect(stopSequences(req({ stop: null }))).toBeUndefined();
  });
});
