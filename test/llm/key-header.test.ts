/**
 * The one helper that moves `Authorization: Bearer <key>` to a provider's key header, as the
 * Anthropic, Azure and AI Studio adapters use it (their HTTP tests cover the wiring).
 */
import { describe, expect, test } from "bun:test";
import { finalizeAnthropicHeaders } from "../../src/llm/providers/anthropic/headers.ts";
import { azureAdapter } from "../../src/llm/providers/azure/index.ts";
import { geminiAdapter } from "../../src/llm/providers/gemini/index.ts";
import { bearerToken, isJwt, moveBearerToKeyHeader } from "../../src/llm/providers/key-header.ts";

/** A real-shaped (unsigned) JWT: header and payload are base64url JSON. */
const b64url = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const JWT = `${b64url({ alg: "RS256", typ: "JWT" })}.${b64url({ aud: "https://cognitiveservices.azure.com", exp: 1 })}.c2lnbmF0dXJl`;

const never = () => false;

describe("bearerToken", () => {
  test.each([
    ["Bearer sk-123", "sk-123"],
    ["bearer sk-123", "sk-123"],
    ["BEARER   sk-123  ", "sk-123"],
    ["Basic dXNlcjpwYXNz", undefined],
    ["sk-123", undefined],
    ["Bearer    ", undefined],
    [null, undefined],
  ] as [string | null, string | undefined][])("%p -> %p", (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe("isJwt", () => {
  test("a JWT is recognised; API keys and Google OAuth access tokens are not JWTs", () => {
    expect(isJwt(JWT)).toBe(true);
    expect(isJwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")).toBe(true); // unsigned: empty signature
    for (const key of ["sk-ant-api03-abc", "0123456789abcdef0123456789abcdef", "AIzaSyD-example", "ya29.a0AfH6SM", "eyJonly.two", `${JWT}.extra`, `Bearer ${JWT}`]) {
      expect(isJwt(key)).toBe(false);
    }
  });
});

describe("moveBearerToKeyHeader", () => {
  test("a bearer key moves to the header, replacing what was there", () => {
    const h = new Headers({ authorization: "Bearer k-1", "api-key": "stale" });
    moveBearerToKeyHeader(h, "api-key", never);
    expect(h.get("authorization")).toBeNull();
    expect(h.get("api-key")).toBe("k-1");
  });

  test("a token the provider keeps as a bearer stays", () => {
    const h = new Headers({ authorization: `Bearer ${JWT}` });
    moveBearerToKeyHeader(h, "api-key", isJwt);
    expect(h.get("authorization")).toBe(`Bearer ${JWT}`);
    expect(h.get("api-key")).toBeNull();
  });

  test("other schemes and no authorization at all are left alone", () => {
    const basic = new Headers({ authorization: "Basic dXNlcjpwYXNz" });
    moveBearerToKeyHeader(basic, "x-api-key", never);
    expect([...basic.entries()]).toEqual([["authorization", "Basic dXNlcjpwYXNz"]]);
    const none = new Headers({ "x-api-key": "client-set" });
    moveBearerToKeyHeader(none, "x-api-key", never);
    expect([...none.entries()]).toEqual([["x-api-key", "client-set"]]);
  });
});

describe("each provider's rule", () => {
  const after = (finalize: (h: Headers) => void, token: string) => {
    const h = new Headers({ authorization: `Bearer ${token}` });
    finalize(h);
    return { authorization: h.get("authorization"), key: h.get("x-api-key") ?? h.get("api-key") ?? h.get("x-goog-api-key") };
  };
  const anthropic = (h: Headers) => finalizeAnthropicHeaders(h);
  const azure = (h: Headers) => azureAdapter.finalizeHeaders!(h, {});
  const gemini = (h: Headers) => geminiAdapter.finalizeHeaders!(h, {});

  test("API keys move: x-api-key, api-key, x-goog-api-key", () => {
    expect(after(anthropic, "sk-ant-api03-k")).toEqual({ authorization: null, key: "sk-ant-api03-k" });
    expect(after(azure, "0123abcd")).toEqual({ authorization: null, key: "0123abcd" });
    expect(after(gemini, "AIzaSyD-k")).toEqual({ authorization: null, key: "AIzaSyD-k" });
  });

  test("real bearer tokens stay: Anthropic OAuth, Entra JWTs, Google OAuth and JWTs", () => {
    expect(after(anthropic, "sk-ant-oat01-t")).toEqual({ authorization: "Bearer sk-ant-oat01-t", key: null });
    expect(after(azure, JWT)).toEqual({ authorization: `Bearer ${JWT}`, key: null });
    expect(after(gemini, "ya29.a0AfH6SM")).toEqual({ authorization: "Bearer ya29.a0AfH6SM", key: null });
    expect(after(gemini, JWT)).toEqual({ authorization: `Bearer ${JWT}`, key: null });
  });
});
