/**
 * The small content helpers the translated providers share instead of keeping copies: tool-call
 * arguments, media types from URL extensions, and the one-choice rule.
 */
import { describe, expect, test } from "bun:test";
import { HttpError } from "../../src/http/errors.ts";
import { requireSingleChoice } from "../../src/llm/chat-request.ts";
import { mediaTypeFromExtension } from "../../src/llm/content/media-type.ts";
import { toolArguments } from "../../src/llm/content/tool-arguments.ts";

const P = "messages[1].tool_calls[0].function.arguments";

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error("accepted");
}

describe("toolArguments", () => {
  test("no arguments (absent, null, empty or blank) is an empty object", () => {
    for (const raw of [undefined, null, "", "  \n"]) expect(toolArguments(raw, P)).toEqual({});
  });

  test("a JSON object string is parsed; an object is taken as is", () => {
    expect(toolArguments('{"city":"Paris","days":[1,2]}', P)).toEqual({ city: "Paris", days: [1, 2] });
    const obj = { city: "Paris" };
    expect(toolArguments(obj, P)).toBe(obj);
  });

  test.each([
    ["malformed JSON", "{oops", "is not valid JSON"],
    ["a JSON array", "[1,2]", "must encode a JSON object"],
    ["JSON null", "null", "must encode a JSON object"],
    ["a JSON number", "42", "must encode a JSON object"],
    ["a raw number", 42, "must encode a JSON object"],
    ["a raw array", [1], "must encode a JSON object"],
  ] as [string, unknown, string][])("%s is a 400 naming the field", (_label, raw, message) => {
    const err = refusal(() => toolArguments(raw, P));
    expect([err.status, err.param, err.code]).toEqual([400, P, "invalid_request_body"]);
    expect(err.message).toBe(`'${P}' ${message}`);
  });
});

describe("mediaTypeFromExtension", () => {
  test.each([
    ["s3://bucket/cat.png", "image/png"],
    ["s3://bucket/photos/cat.JPG", "image/jpeg"],
    ["s3://bucket/cat.png?versionId=3", "image/png"],
    ["https://example.com/a/report.pdf#page=2", "application/pdf"],
    ["gs://bucket/clip.mp4", "video/mp4"],
    ["https://example.com/image", undefined],
    ["https://example.com/v1.2/image", undefined],
    ["s3://bucket/archive.tar", undefined],
  ] as [string, string | undefined][])("%s -> %p", (url, type) => {
    expect(mediaTypeFromExtension(url)).toBe(type);
  });
});

describe("requireSingleChoice", () => {
  test("n unset, null or 1 passes; anything else is a 400 naming n", () => {
    for (const n of [undefined, null, 1]) expect(() => requireSingleChoice({ model: "m", messages: [], n }, "Gemini")).not.toThrow();
    for (const n of [0, 2]) {
      const err = refusal(() => requireSingleChoice({ model: "m", messages: [], n }, "Gemini"));
      expect([err.status, err.param, err.code]).toEqual([400, "n", "unsupported_value"]);
      expect(err.message).toBe("Gemini returns one choice per request: 'n' must be 1 (send one request per choice)");
    }
  });
});
