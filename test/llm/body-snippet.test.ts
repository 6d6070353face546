/**
 * The one summary of a non-JSON error body, used by the core and by the Anthropic and Gemini
 * error translators (which each had their own copy, without the page-title rule).
 */
import { describe, expect, test } from "bun:test";
import { anthropicError } from "../../src/llm/providers/anthropic/error.ts";
import { geminiError } from "../../src/llm/providers/gemini/error.ts";
import { bodySnippet } from "../../src/llm/upstream-error.ts";

const PAGE = "<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503</h1></center><hr>nginx</body></html>";

describe("bodySnippet", () => {
  test("an HTML page says its title; other text loses tags and extra whitespace, at most 200 characters", () => {
    expect(bodySnippet(PAGE)).toBe("503 Service Temporarily Unavailable");
    expect(bodySnippet("<html><body><h1>502 Bad Gateway</h1></body></html>")).toBe("502 Bad Gateway");
    expect(bodySnippet("  upstream\n\n connect error  ")).toBe("upstream connect error");
    expect(bodySnippet("x".repeat(500))).toHaveLength(200);
    expect(bodySnippet("")).toBe("");
  });

  test("Anthropic and Gemini describe a proxy's error page the same way", () => {
    expect(anthropicError(503, PAGE).message).toBe("upstream returned HTTP 503: 503 Service Temporarily Unavailable");
    expect(geminiError(503, PAGE, new Headers()).message).toBe("Gemini returned HTTP 503: 503 Service Temporarily Unavailable");
    expect(anthropicError(502, "").message).toBe("upstream returned HTTP 502");
  });
});
