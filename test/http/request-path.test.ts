/** The request-path normaliser and the upstream URL builder, fed hostile inputs directly. */
import { describe, expect, test } from "bun:test";
import { HttpError } from "../../src/http/errors.ts";
import { normalizePath, pathSegment, requestTarget } from "../../src/http/request-path.ts";
import { upstreamOrigin, upstreamUrl } from "../../src/http/upstream-url.ts";

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("normalizePath", () => {
  test.each([
    ["/v1/chat/completions", "/v1/chat/completions"],
    ["/", "/"],
    ["//evil.example/x", "/evil.example/x"],
    ["///evil/x", "/evil/x"],
    ["/v1//chat///completions", "/v1/chat/completions"],
    ["/v1/./chat/../models", "/v1/models"],
    ["/../../x", "/x"],
    ["/v1/models/", "/v1/models/"],
    ["/v1//", "/v1/"],
    ["/.well-known/x", "/.well-known/x"],
    ["/a..b/...", "/a..b/..."],
    ["/model/us.anthropic.claude%3A0/converse", "/model/us.anthropic.claude%3A0/converse"],
    ["/a;b/c", "/a;b/c"],
  ])("%p -> %p", (raw, want) => {
    expect(normalizePath(raw)).toBe(want);
  });

  test("a clean path is returned as the same string (no allocation on the hot path)", () => {
    const p = "/v1/chat/completions";
    expect(normalizePath(p)).toBe(p);
  });

  test.each([
    ["/%2F%2Fevil/x", "encoded slashes"],
    ["/a%2fb", "encoded slashes"],
    ["/a%5cb", "encoded slashes"],
    ["/a%5Cb", "encoded slashes"],
    ["/a%00b", "control characters"],
    ["/a%0Ab", "control characters"],
    ["/a%7fb", "control characters"],
    ["/a\u0000b", "control characters"],
    ["/a\tb", "control characters"],
    ["/a\\b", "backslashes"],
    ["/a b", "spaces"],
    ["/a%zzb", "malformed"],
    ["/a%2", "malformed"],
    ["/%2e%2e/x", "dot segments"],
    ["/.%2E/x", "dot segments"],
    ["/..;/x", "dot segments"],
    ["/v1/.;x=1/y", "dot segments"],
  ])("%p is refused (%s)", (raw, why) => {
    const err = refusal(() => normalizePath(raw));
    expect(err.status).toBe(400);
    expect(err.code).toBe("invalid_path");
    expect(err.message).toContain(why);
  });
});

describe("requestTarget", () => {
  test.each([
    ["http://localhost:3000/v1/chat/completions", "/v1/chat/completions", ""],
    ["http://localhost:3000//evil/x?a=1", "/evil/x", "a=1"],
    ["http://[::1]:3000/v1/models?x=1#frag", "/v1/models", "x=1"],
    ["http://localhost/p#frag?not-a-query", "/p", ""],
    ["http://localhost", "/", ""],
    // Bun gives a path-only url when the Host header is not a valid host
    ["/v1/chat/completions", "/v1/chat/completions", ""],
    ["//evil/x?q", "/evil/x", "q"],
  ])("%p", (url, path, query) => {
    expect(requestTarget(url)).toEqual({ path, query });
  });
});

describe("upstreamUrl", () => {
  const origin = upstreamOrigin("https://api.example.com:443")!;

  test("origin + path + query", () => {
    expect(upstreamUrl(origin, "/v1/chat/completions").href).toBe("https://api.example.com/v1/chat/completions");
    expect(upstreamUrl(origin, "/v1/files", "purpose=x").href).toBe("https://api.example.com/v1/files?purpose=x");
    expect(upstreamUrl(origin, "/openai/x?api-version=1", "a=b").href).toBe("https://api.example.com/openai/x?api-version=1&a=b");
  });

  test.each(["//evil.example/x", "evil.example/x", "@evil.example/x", "/\\evil/x", "\\\\evil/x", "/x#frag", ""])("%p is never resolved against the origin", (path) => {
    const err = refusal(() => upstreamUrl(origin, path));
    expect(err.status).toBe(500);
    expect(err.code).toBe("invalid_upstream_path");
  });

  test("a query cannot move the host", () => {
    expect(upstreamUrl(origin, "/x", "@evil.example/y").host).toBe("api.example.com");
    expect(upstreamUrl(origin, "/x", "//evil.example/y").host).toBe("api.example.com");
  });

  test("origins are validated once", () => {
    expect(upstreamOrigin("http://127.0.0.1:8080")).toEqual({ base: "http://127.0.0.1:8080", origin: "http://127.0.0.1:8080" });
    expect(upstreamOrigin("https://host:443/")).toEqual({ base: "https://host:443", origin: "https://host" });
    for (const bad of ["https://user:pw@host", "https://host/path", "https://host?x", "ftp://host", "host:80", ""]) expect(upstreamOrigin(bad)).toBeUndefined();
  });
});

describe("pathSegment", () => {
  test.each([
    ["anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1%3A0"],
    ["arn:aws:bedrock:us-east-1:123:inference-profile/us.x", "arn%3Aaws%3Abedrock%3Aus-east-1%3A123%3Ainference-profile%2Fus.x"],
    ["../../x", "..%2F..%2Fx"],
    ["a?b#c", "a%3Fb%23c"],
    ["%2e%2e", "%252e%252e"],
    ["...", "..."],
  ])("%p -> %p", (value, want) => {
    expect(pathSegment(value, "model")).toBe(want);
  });

  test.each(["", ".", "..", "a\nb"])("%p is refused", (value) => {
    expect(refusal(() => pathSegment(value, "model")).status).toBe(400);
  });
});
