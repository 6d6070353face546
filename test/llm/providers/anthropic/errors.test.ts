/** Anthropic HTTP errors as the OpenAI SDK sees them: OpenAI shape, status kept, SDK exception class. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { httpError, startAnthropicEmulator, type AnthropicEmulator, type Reply } from "../../../emulators/anthropic.ts";
import { providerSuite } from "../../../helpers/gateway.ts";
import * as s from "./scripts.ts";

const t = providerSuite("anthropic", startAnthropicEmulator, s.PINNED);

async function failWith(reply: Reply, stream: boolean) {
  t.emu.enqueue(reply);
  const err = await t.gw.client.chat.completions
    .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello!" }], stream } as never)
    .then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

const cases: [number, string, string, new (...a: never[]) => unknown][] = [
  [400, "invalid_request_error", "messages: text content blocks must be non-empty", OpenAI.BadRequestError],
  [401, "authentication_error", "invalid x-api-key", OpenAI.AuthenticationError],
  [403, "permission_error", "Your API key does not have permission to use the specified resource.", OpenAI.PermissionDeniedError],
  [404, "not_found_error", "model: claude-sonnet-9", OpenAI.NotFoundError],
  [413, "request_too_large", "Request exceeds the maximum allowed number of bytes.", OpenAI.APIError],
  [429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit", OpenAI.RateLimitError],
  [500, "api_error", "Internal server error", OpenAI.InternalServerError],
  [529, "overloaded_error", "Overloaded", OpenAI.InternalServerError],
];

test.each(cases)("HTTP %d %s -> OpenAI error with the same status", async (status, type, message, cls) => {
  for (const stream of [false, true]) {
    const err = await failWith(httpError(status, type, message), stream);
    expect(err).toBeInstanceOf(cls);
    expect(err.status).toBe(status);
    expect(err.error).toMatchObject({ message, code: type });
    expect(typeof (err.error as { type?: unknown }).type).toBe("string");
  }
});

test("429 keeps retry-after and Anthropic's rate-limit headers", async () => {
  const err = await failWith(
    httpError(429, "rate_limit_error", "rate limited", { "retry-after": "17", "anthropic-ratelimit-requests-remaining": "0" }),
    false,
  );
  expect(err.headers?.get("retry-after")).toBe("17");
  expect(err.headers?.get("anthropic-ratelimit-requests-remaining")).toBe("0");
  expect((err.error as { type: string }).type).toBe("rate_limit_error");
});

test("a non-JSON error page from a proxy in front of Anthropic still gets the OpenAI shape", async () => {
  const err = await failWith({ kind: "http", status: 502, text: "<html><body><h1>502 Bad Gateway</h1></body></html>", headers: { "content-type": "text/html" } }, false);
  expect(err.status).toBe(502);
  expect(err.message).toContain("502 Bad Gateway");
});

test("the backend key never appears in an error", async () => {
  const err = await failWith(httpError(401, "authentication_error", "invalid x-api-key"), false);
  expect(JSON.stringify(err.error)).not.toContain("sk-ant-api03-test-key");
  expect(t.gw.rawLog()).not.toContain("sk-ant-api03-test-key");
});
