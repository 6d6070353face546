/**
 * Bedrock failures as the OpenAI SDK sees them: HTTP errors keep their status in the OpenAI
 * shape (the SDK raises the matching class), in-stream exceptions become error events, a corrupt
 * or truncated event stream ends with an error event, and no credential ever shows.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { concat, encodeEvent, ev, startBedrockEmulator, type BedrockEmulator } from "../../../emulators/bedrock.ts";
import { gatewayFor, providerSuite } from "../../../helpers/gateway.ts";
import { collect } from "./collect.ts";
import * as scripts from "./scripts.ts";

const t = providerSuite("bedrock", startBedrockEmulator, scripts.PINNED);

const ask = [{ role: "user" as const, content: "Hello" }];

async function failure(stream: boolean): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream } as never).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

describe("HTTP errors", () => {
  const cases: [number, string, string, new (...a: never[]) => unknown][] = [
    [400, "ValidationException", "The model returned the following errors: messages: text content blocks must be non-empty", OpenAI.BadRequestError],
    [403, "AccessDeniedException", "You don't have access to the model with the specified model ID.", OpenAI.PermissionDeniedError],
    [404, "ResourceNotFoundException", "Model not found: us.anthropic.claude-9", OpenAI.NotFoundError],
    [408, "ModelTimeoutException", "Model has timed out in processing the request.", OpenAI.APIError],
    [424, "ModelErrorException", "The system encountered an unexpected error during processing.", OpenAI.APIError],
    [429, "ThrottlingException", "Too many requests, please wait before trying again.", OpenAI.RateLimitError],
    [429, "ModelNotReadyException", "Model is not ready to serve inference requests.", OpenAI.RateLimitError],
    [500, "InternalServerException", "The server encountered an internal error.", OpenAI.InternalServerError],
    [503, "ServiceUnavailableException", "Bedrock is unable to process your request.", OpenAI.InternalServerError],
  ];
  test.each(cases)("HTTP %d %s -> OpenAI error, same status, the kind as code", async (status, kind, message, cls) => {
    t.emu.script(() => ({ status, errorType: kind, message }));
    for (const stream of [false, true]) {
      const err = await failure(stream);
      expect(err).toBeInstanceOf(cls);
      expect(err.status).toBe(status);
      expect(err.error).toMatchObject({ message, code: kind });
    }
  });

  test("429 keeps retry-after", async () => {
    t.emu.script(() => ({ status: 429, errorType: "ThrottlingException", message: "Rate exceeded", headers: { "retry-after": "3" } }));
    const err = await failure(false);
    expect(err.headers?.get("retry-after")).toBe("3");
    expect((err.error as { type: string }).type).toBe("rate_limit_error");
  });
});

describe("signatures", () => {
  test("a signature AWS rejects is a 403 whose message never reveals the token or signature", async () => {
    // an emulator of its own: the credentials it checks change
    const own = startBedrockEmulator();
    const g = await gatewayFor("bedrock", own, { ...scripts.PINNED, auth: { aws: { ...own.credentials, secretAccessKey: "not-the-right-secret", sessionToken: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN" } } });
    try {
      own.credentials = { ...own.credentials, sessionToken: "IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN" };
      const err = await g.client.chat.completions.create({ model: "m", messages: ask }).catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(err.status).toBe(403);
      expect(err.error.code).toBe("InvalidSignatureException");
      expect(err.message).toContain("signature we calculated does not match");
      const seen = JSON.stringify({ message: err.message, error: err.error, headers: [...(err.headers ?? [])] }) + g.rawLog();
      expect(seen).not.toContain("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN");
      expect(seen).not.toContain("Canonical String");
      expect(seen).not.toContain("not-the-right-secret");
      // the emulator really did receive the (wrongly signed) token: the check is not vacuous
      expect(own.requests.at(-1)!.headers.get("x-amz-security-token")).toBe("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN");
    } finally {
      await g.stop();
      await own.stop();
    }
  });

  test("a session token is sent and signed, and AWS's verifier accepts it", async () => {
    const creds = { ...t.emu.credentials, sessionToken: "FwoGZXIvYXdzEXAMPLE//token+with/slashes==" };
    const own = startBedrockEmulator();
    const g = await gatewayFor("bedrock", own, { ...scripts.PINNED, auth: { aws: creds } });
    try {
      own.credentials = creds;
      const res = await g.client.chat.completions.create({ model: "m", messages: ask });
      expect(res.choices[0]!.message.content).toBe("Hello from Bedrock.");
      expect(own.requests.at(-1)!.headers.get("authorization")).toContain("x-amz-security-token");
    } finally {
      await g.stop();
      await own.stop();
    }
  });
});

describe("in-stream failures", () => {
  test("throttlingException mid-stream -> the text so far, then an error event with status 429", async () => {
    t.emu.script(() => ({ events: scripts.throttledMidStream }));
    const stream = await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream: true });
    let text = "";
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
    })().catch((e) => e);
    expect(text).toBe("Partial");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.error).toMatchObject({ code: "throttlingException", type: "rate_limit_error", status: 429, message: "Too many tokens, please wait before trying again." });
  });

  test("an exception before anything was streamed -> a real HTTP 429 the SDK retries on", async () => {
    t.emu.script(() => ({ events: [{ exception: "throttlingException", message: "Too many requests, please wait before trying again." }] }));
    const err = await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream: true }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.error).toMatchObject({ code: "throttlingException", type: "rate_limit_error" });
  });

  test("modelStreamErrorException after content -> error event with status 424", async () => {
    const [start, exception] = scripts.modelStreamError;
    t.emu.script(() => ({ events: [start!, ev.text(0, "Partial"), exception!] }));
    const err = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream: true })).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.error).toMatchObject({ code: "modelStreamErrorException", status: 424, type: "api_error" });
  });

  test("modelStreamErrorException right after messageStart (no content yet) -> a real HTTP 424", async () => {
    t.emu.script(() => ({ events: scripts.modelStreamError }));
    const err = await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream: true }).then(collect).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.status).toBe(424);
    expect(err.error).toMatchObject({ code: "modelStreamErrorException", type: "api_error", message: "Model stream error" });
  });

  test("a corrupted byte ends the stream with an error event, never garbage text", async () => {
    const frames = scripts.text.map(encodeEvent);
    const damagedAt = frames[0]!.byteLength + frames[1]!.byteLength + 30; // inside the second text delta
    t.emu.script(() => ({
      events: scripts.text,
      mangle: (bytes) => {
        const copy = bytes.slice();
        copy[damagedAt] = copy[damagedAt]! ^ 0x20;
        return copy;
      },
    }));
    const chunks: string[] = [];
    const stream = await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream: true });
    const err = await (async () => {
      for await (const c of stream) chunks.push(c.choices[0]?.delta.content ?? "");
    })().catch((e) => e);
    expect(chunks.join("")).toBe("The capital");
    expect(err).toBeInstanceOf(OpenAI.APIError);
    // the decoder's report of a corrupt frame is an invalid stream, coded as every provider's is
    expect(err.error).toMatchObject({ code: "upstream_invalid_event", status: 502, type: "api_error" });
    expect(err.message).toContain("checksum");
  });

  test("a stream cut mid-frame ends with an error event", async () => {
    t.emu.script(() => ({ events: scripts.text, mangle: (bytes) => bytes.slice(0, bytes.byteLength - 20) }));
    const err = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream: true })).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.message).toContain("cut off");
  });

  test("a stream that ends cleanly but before messageStop ends with an error event", async () => {
    const events = [ev.start(), ev.text(0, "Half an answ")];
    t.emu.script(() => ({ events, mangle: (bytes) => concat([bytes]) }));
    const err = await collect(await t.gw.client.chat.completions.create({ model: "m", messages: ask, stream: true })).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(err.error).toMatchObject({ code: "upstream_stream_incomplete" });
  });
});
