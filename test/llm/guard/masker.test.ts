/**
 * The regex rules on their own: what each builtin masks (and leaves), Rust-style inline flags,
 * and the streaming masker against masking the whole text, at every pair of cut points.
 */
import { describe, expect, test } from "bun:test";
import { builtinRule, maskText, patternRule, StreamMasker, type Rule } from "../../../src/llm/guard/regex.ts";

const ALL = (["ssn", "creditCard", "phoneNumber", "email", "caSin"] as const).map(builtinRule);
const mask = (rules: readonly Rule[], t: string) => maskText(rules, t).text;

describe("builtins", () => {
  test.each([
    ["card 4111 1111 1111 1111.", "card <CREDIT_CARD>."],
    ["card 4111-1111-1111-1111", "card <CREDIT_CARD>"],
    ["card 4111111111111112 (bad Luhn)", "card 4111111111111112 (bad Luhn)"],
    ["amex 3782 822463 10005", "amex <CREDIT_CARD>"],
    ["ssn 123-45-6789, not 123-45-67890", "ssn <SSN>, not 123-45-67890"],
    ["call 555-123-4567 or (555) 123 4567 or +44 20 7946 0958", "call <PHONE_NUMBER> or <PHONE_NUMBER> or <PHONE_NUMBER>"],
    ["mail a.b+c@mail.example.org.", "mail <EMAIL>."],
    ["sin 046 454 286 and 046-454-287", "sin <CA_SIN> and 046-454-287"],
    ["order 12345, total $99.50 on 2024-05-01", "order 12345, total $99.50 on 2024-05-01"],
  ])("%p", (input, out) => expect(mask(ALL, input)).toBe(out));

  test("custom patterns, with agentgateway's leading inline flags", () => {
    expect(mask([patternRule("(?i)secret-\\w+")], "the SECRET-abc and secret-x")).toBe("the <MASKED> and <MASKED>");
    expect(() => patternRule("(unclosed")).toThrow();
  });
});

describe("streaming masker", () => {
  const TEXT = "Card 4111 1111 1111 1111, mail bob.smith@example.co.uk or call (555) 123-4567 / +44 20 7946 0958. SSN 123-45-6789, SIN 046 454 286. Order 12345.";
  const rules = [...ALL, patternRule("Order \\d+")];

  test("three pieces cut anywhere give exactly the whole text masked", () => {
    const whole = mask(rules, TEXT);
    for (let i = 0; i <= TEXT.length; i++) {
      for (let j = i; j <= TEXT.length; j += 3) {
        const m = new StreamMasker(rules);
        const out = m.push(TEXT.slice(0, i)) + m.push(TEXT.slice(i, j)) + m.push(TEXT.slice(j)) + m.flush();
        expect(out).toBe(whole);
      }
    }
  });

  test("one character at a time: only masked text ever goes out", () => {
    const m = new StreamMasker(ALL);
    let out = "";
    for (const ch of "pay 4111 1111 1111 1111 now") {
      out += m.push(ch);
      expect(out).not.toMatch(/4111/);
    }
    expect(out + m.flush()).toBe("pay <CREDIT_CARD> now");
    expect(m.matched).toBe(true);
  });
});
