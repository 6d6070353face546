/**
 * The one data-URL parser every provider uses: what it accepts, how it normalises the media type,
 * and the 400 (naming the parameter) for data URLs no provider could use.
 */
import { describe, expect, test } from "bun:test";
import { HttpError } from "../../src/http/errors.ts";
import { isDataUrl, parseDataUrl } from "../../src/llm/content/data-url.ts";

const P = "messages[0].content[1].image_url.url";

function refusal(url: string): HttpError {
  try {
    parseDataUrl(url, P);
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error(`${url} was accepted`);
}

describe("accepted", () => {
  test("a plain base64 data URL", () => {
    expect(parseDataUrl("data:image/png;base64,iVBORw0KGgo=", P)).toEqual({ mediaType: "image/png", data: "iVBORw0KGgo=" });
  });

  test("parameters before ;base64 are dropped", () => {
    expect(parseDataUrl("data:text/plain;charset=utf-8;base64,aGk=", P)).toEqual({ mediaType: "text/plain", data: "aGk=" });
    expect(parseDataUrl("data:application/pdf;name=Q3 report.pdf;base64,JVBERi0=", P)).toEqual({ mediaType: "application/pdf", data: "JVBERi0=" });
  });

  test("scheme, media type and ;base64 in any case; the media type comes out lower-cased", () => {
    expect(parseDataUrl("DATA:Image/PNG;BASE64,iVBORw0KGgo=", P)).toEqual({ mediaType: "image/png", data: "iVBORw0KGgo=" });
  });

  test("image/jpg, which no provider accepts, becomes image/jpeg", () => {
    expect(parseDataUrl("data:image/jpg;base64,/9j/4AAQ", P)).toEqual({ mediaType: "image/jpeg", data: "/9j/4AAQ" });
  });

  test("the data is passed on untouched (commas after the first one included)", () => {
    expect(parseDataUrl("data:text/csv;base64,YSxi,Yw==", P)!.data).toBe("YSxi,Yw==");
  });

  test("long vendor media types", () => {
    const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    expect(parseDataUrl(`data:${docx};base64,UEsDBA==`, P)!.mediaType).toBe(docx);
  });
});

describe("not a data URL: undefined, the caller decides", () => {
  test.each(["https://example.com/cat.png", "s3://bucket/cat.png", "gs://bucket/cat.png", "", "dat", "file-abc123"])("%p", (url) => {
    expect(isDataUrl(url)).toBe(false);
    expect(parseDataUrl(url, P)).toBeUndefined();
  });
});

describe("refused with a 400 naming the parameter", () => {
  test.each([
    ["missing ;base64 (percent-encoded data)", "data:text/plain,hello%20world", "must be base64-encoded"],
    ["a parameter but no ;base64", "data:text/plain;charset=utf-8,hello", "must be base64-encoded"],
    [";base64 not last", "data:image/png;base64;x=y,iVBORw0KGgo=", "must be base64-encoded"],
    ["no comma at all", "data:image/png;base64", "not a valid data URL"],
    ["no media type", "data:;base64,iVBORw0KGgo=", "needs a media type"],
    ["a media type without a subtype", "data:image;base64,iVBORw0KGgo=", "needs a media type"],
    ["empty data", "data:image/png;base64,", "holds no data"],
  ])("%s", (_label, url, message) => {
    const err = refusal(url);
    expect(err.status).toBe(400);
    expect(err.param).toBe(P);
    expect(err.code).toBe("invalid_request_body");
    expect(err.message).toContain(message);
    expect(err.message).toContain(P);
  });
});
