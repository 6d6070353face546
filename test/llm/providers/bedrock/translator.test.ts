/**
 * The Bedrock translators without the network: the text fast path against the parsing path
 * (escapes, multi-byte text, other key orders), tool indices with interleaved blocks, unknown
 * events, the request mapping's edge cases, and error redaction.
 */
import { describe, expect, test } from "bun:test";
import { EventStreamCodec } from "@smithy/eventstream-codec";
import { fromUtf8, toUtf8 } from "@smithy/util-utf8";
import { redactAwsMessage } from "../../../../src/llm/providers/bedrock/error.ts";
import { baseModelId } from "../../../../src/llm/providers/bedrock/model-id.ts";
import { converseRequest } from "../../../../src/llm/providers/bedrock/request.ts";
import { converseStream } from "../../../../src/llm/providers/bedrock/stream.ts";
import { openaiChunkWriter } from "../../../../src/llm/hub/openai-writer.ts";
import type { ChatRequest } from "../../../../src/llm/types.ts";
import { encodeEvent, ev, type StreamEvent } from "../../../emulators/bedrock.ts";

const codec = new EventStreamCodec(toUtf8, fromUtf8);
const ctx = (includeUsage = false) => ({ model: "m", includeUsage, created: 1_764_000_000, upstreamHeaders: new Headers({ "x-amzn-requestid": "req-1" }) });

/** Runs events through translator and writer; returns the data payloads (parsed, [DONE] kept). */
function run(events: (StreamEvent | Uint8Array)[], includeUsage = false): unknown[] {
  return payloads(translate(events, includeUsage).text);
}

function translate(events: (StreamEvent | Uint8Array)[], includeUsage = false) {
  const c = ctx(includeUsage);
  const writer = openaiChunkWriter(c);
  const t = converseStream(c, writer);
  let text = "";
  for (const e of events) {
    t.push(e instanceof Uint8Array ? e : encodeEvent(e));
    text += writer.take();
  }
  t.end();
  return { text: text + writer.take(), writer };
}

function payloads(out: string): unknown[] {
  return out
    .split("\n\n")
    .filter((x) => x !== "")
    .map((x) => {
      expect(x.startsWith("data: ")).toBe(true);
      const data = x.slice(6);
      return data === "[DONE]" ? data : JSON.parse(data);
    });
}

const contents = (out: unknown[]) => out.map((c) => (c as { choices?: { delta?: { content?: string } }[] }).choices?.[0]?.delta?.content ?? "").join("");

/** A raw event whose JSON the test writes itself (key order, spacing). */
function rawEvent(type: string, json: string): Uint8Array {
  return codec.encode({
    headers: { ":event-type": { type: "string", value: type }, ":content-type": { type: "string", value: "application/json" }, ":message-type": { type: "string", value: "event" } },
    body: new TextEncoder().encode(json),
  });
}

describe("stream translator", () => {
  test("text with escapes, quotes, newlines and multi-byte characters survives the fast path", () => {
    const pieces = ['He said "hi"\n', "back\\slash \\u0041 ", "naïve ☕ 👋", "\t\u2028end"];
    const out = run([ev.start(), ...pieces.map((p) => ev.text(0, p)), ev.blockStop(0), ev.stop("end_turn"), ev.metadata({ inputTokens: 1, outputTokens: 1 })]);
    expect(contents(out)).toBe(pieces.join(""));
    expect(out.at(-1)).toBe("[DONE]");
  });

  test("other key orders and spacing take the parsing path with the same result", () => {
    const out = run([
      ev.start(),
      rawEvent("contentBlockDelta", '{"p":"abc","delta":{"text":"one "},"contentBlockIndex":0}'),
      rawEvent("contentBlockDelta", '{ "contentBlockIndex" : 0, "delta" : { "text" : "two " } }'),
      rawEvent("contentBlockDelta", '{"contentBlockIndex":12345,"delta":{"text":"three"},"p":"x"}'),
      ev.stop("end_turn"),
      ev.metadata({ inputTokens: 1, outputTokens: 1 }),
    ]);
    expect(contents(out)).toBe("one two three");
  });

  test("tool indices count tool blocks only, with text and reasoning blocks between them", () => {
    const out = run([
      ev.start(),
      ev.reasoning(0, "thinking"),
      ev.blockStop(0),
      ev.toolStart(1, "t1", "a"),
      ev.toolInput(1, '{"x":1}'),
      ev.blockStop(1),
      ev.text(2, "and"),
      ev.blockStop(2),
      ev.toolStart(3, "t2", "b"),
      ev.toolInput(3, '{"y":'),
      ev.toolInput(3, "2}"),
      ev.blockStop(3),
      ev.stop("tool_use"),
      ev.metadata({ inputTokens: 1, outputTokens: 1 }),
    ]) as { choices: { delta: { tool_calls?: { index: number; id?: string }[] }; finish_reason: string | null }[] }[];
    const calls = out.flatMap((c) => (c.choices ? (c.choices[0]?.delta.tool_calls ?? []) : []));
    expect(calls.map((c) => [c.index, c.id ?? null])).toEqual([
      [0, "t1"],
      [0, null],
      [1, "t2"],
      [1, null],
      [1, null],
    ]);
    expect(out.find((c) => c.choices?.[0]?.finish_reason)?.choices[0]?.finish_reason).toBe("tool_calls");
  });

  test("end_turn with tool calls still finishes as tool_calls; max_tokens with tool calls stays length", () => {
    const finish = (reason: string) =>
      (run([ev.start(), ev.toolStart(0, "t", "a"), ev.toolInput(0, "{}"), ev.blockStop(0), ev.stop(reason), ev.metadata({ inputTokens: 1, outputTokens: 1 })]) as { choices?: { finish_reason: string | null }[] }[]).find(
        (c) => c.choices?.[0]?.finish_reason,
      )!.choices![0]!.finish_reason;
    expect(finish("end_turn")).toBe("tool_calls");
    expect(finish("max_tokens")).toBe("length");
  });

  test("unknown event types and citations are ignored; chunks carry usage:null when usage was asked", () => {
    const out = run([ev.start(), ["someFutureEvent", { x: 1 }], ["contentBlockDelta", { contentBlockIndex: 0, delta: { citation: { title: "doc" } } }], ev.text(0, "ok"), ev.stop("end_turn"), ev.metadata({ inputTokens: 3, outputTokens: 1 })], true) as Record<string, unknown>[];
    expect(contents(out)).toBe("ok");
    expect(out.slice(0, -2).every((c) => c.usage === null)).toBe(true);
    expect(out.at(-2)).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 } });
  });

  test("a stream without messageStart still starts with the assistant role", () => {
    const out = run([ev.text(0, "hi"), ev.stop("end_turn"), ev.metadata({ inputTokens: 1, outputTokens: 1 })]) as { choices: { delta: { role?: string } }[] }[];
    expect(out[0]!.choices[0]!.delta.role).toBe("assistant");
  });

  test("an event that is not JSON ends the stream with an error event", () => {
    const { text, writer } = translate([ev.start(), rawEvent("messageStop", "{not json")]);
    expect(payloads(text).at(-1)).toMatchObject({ error: { code: "upstream_invalid_event", status: 502 } });
    expect(writer.failure).toMatchObject({ kind: "invalid", message: "upstream sent an event that is not JSON" });
  });
});

describe("request translation", () => {
  const req = (r: Partial<ChatRequest>): ChatRequest => ({ model: "m", messages: [{ role: "user", content: "hi" }], ...r });
  const body = (r: Partial<ChatRequest>, model = "anthropic.claude-3-5-haiku-20241022-v1:0") => JSON.parse(converseRequest(req(r), { region: "us-east-1" }, model).body);

  test("blank text (whitespace only) is left out of system, user, assistant and tool messages: Bedrock refuses blank text blocks", () => {
    const b = body({
      messages: [
        { role: "system", content: "  " },
        { role: "user", content: [{ type: "text", text: "\n" }, { type: "text", text: "list files" }] },
        { role: "assistant", content: " ", tool_calls: [{ id: "t1", type: "function", function: { name: "ls", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "t1", content: " \n" },
        { role: "user", content: "\t" },
      ],
    });
    expect(b.system).toBeUndefined();
    const texts = (b.messages as { content: { text?: string }[] }[]).flatMap((m) => m.content).filter((c) => "text" in c).map((c) => c.text);
    expect(texts).toEqual(["list files"]);
    expect(JSON.stringify(b.messages)).toContain('"toolResult":{"toolUseId":"t1","content":[{"json":{}}]}');
  });

  test("cache markers are dropped for models without prompt caching (Bedrock would refuse them)", () => {
    const marked = { messages: [{ role: "user", content: [{ type: "text", text: "hi", cache_control: { type: "ephemeral" } }] }] };
    expect(body(marked, "meta.llama3-70b-instruct-v1:0").messages[0].content).toEqual([{ text: "hi" }]);
    expect(body(marked, "us.amazon.nova-pro-v1:0").messages[0].content).toEqual([{ text: "hi" }, { cachePoint: { type: "default" } }]);
  });

  test("reasoning per model family", () => {
    expect(body({ reasoning_effort: "high" }, "us.amazon.nova-2-lite-v1:0").additionalModelRequestFields).toEqual({ reasoningConfig: { type: "enabled", maxReasoningEffort: "high" } });
    expect(body({ reasoning_effort: "low" }, "openai.gpt-oss-120b-1:0").additionalModelRequestFields).toEqual({ reasoning_effort: "low" });
    const claude = body({ thinking: { type: "enabled", budget_tokens: 8000 } });
    expect(claude.additionalModelRequestFields).toEqual({ thinking: { type: "enabled", budget_tokens: 8000 } });
    expect(claude.inferenceConfig.maxTokens).toBe(8000 + 4096); // room for the answer after the budget
  });

  test("reasoning_effort beyond Nova's and gpt-oss's low..high is clamped; none asks for nothing; unknown is a 400 for any model", () => {
    const nova = "us.amazon.nova-2-lite-v1:0";
    const oss = "openai.gpt-oss-120b-1:0";
    expect(body({ reasoning_effort: "xhigh" }, nova).additionalModelRequestFields).toEqual({ reasoningConfig: { type: "enabled", maxReasoningEffort: "high" } });
    expect(body({ reasoning_effort: "minimal" }, nova).additionalModelRequestFields).toEqual({ reasoningConfig: { type: "enabled", maxReasoningEffort: "low" } });
    expect(body({ reasoning_effort: "xhigh" }, oss).additionalModelRequestFields).toEqual({ reasoning_effort: "high" });
    expect(body({ reasoning_effort: "minimal" }, oss).additionalModelRequestFields).toEqual({ reasoning_effort: "low" });
    expect(body({ reasoning_effort: "max" }, nova).additionalModelRequestFields).toEqual({ reasoningConfig: { type: "enabled", maxReasoningEffort: "high" } });
    expect(body({ reasoning_effort: "max" }, oss).additionalModelRequestFields).toEqual({ reasoning_effort: "high" });
    for (const model of [nova, oss, "anthropic.claude-3-5-haiku-20241022-v1:0"]) expect(body({ reasoning_effort: "none" }, model).additionalModelRequestFields).toBeUndefined();
    // a model without reasoning still refuses an effort that no provider accepts
    for (const model of ["meta.llama3-70b-instruct-v1:0", nova, oss]) {
      expect(() => body({ reasoning_effort: "ultra" }, model)).toThrow(expect.objectContaining({ status: 400, param: "reasoning_effort" }));
    }
  });

  test("empty assistant turns are dropped, consecutive user turns merged, tool results first", () => {
    const b = body({
      messages: [
        { role: "user", content: "a" },
        { role: "assistant", content: "" },
        { role: "user", content: "b" },
        { role: "assistant", content: null, tool_calls: [{ id: "t1", type: "function", function: { name: "f", arguments: "" } }] },
        { role: "tool", tool_call_id: "t1", content: "" },
      ],
    });
    expect(b.messages).toEqual([
      { role: "user", content: [{ text: "a" }, { text: "b" }] },
      { role: "assistant", content: [{ toolUse: { toolUseId: "t1", name: "f", input: {} } }] },
      { role: "user", content: [{ toolResult: { toolUseId: "t1", content: [{ json: {} }] } }] },
    ]);
    // tools were not sent this turn: the history's tools are declared so Bedrock accepts it
    expect(b.toolConfig).toEqual({ tools: [{ toolSpec: { name: "f", inputSchema: { json: { type: "object", properties: {} } } } }] });
  });

  test("documents from data URLs; malformed tool arguments are a 400", () => {
    const pdf = "JVBERi0xLjQK";
    const b = body({ messages: [{ role: "user", content: [{ type: "file", file: { filename: "Q3 report.v2.pdf", file_data: `data:application/pdf;base64,${pdf}` } }] }] });
    expect(b.messages[0].content).toEqual([{ document: { format: "pdf", name: "Q3 report v2", source: { bytes: pdf } } }]);
    expect(() => body({ messages: [{ role: "assistant", content: null, tool_calls: [{ id: "t", type: "function", function: { name: "f", arguments: "{oops" } }] }] })).toThrow("not valid JSON");
  });

  test("guardrail without a version uses DRAFT", () => {
    const b = JSON.parse(converseRequest(req({}), { region: "us-east-1", guardrailIdentifier: "gr-1" }, "anthropic.claude-v2").body);
    expect(b.guardrailConfig).toEqual({ guardrailIdentifier: "gr-1", guardrailVersion: "DRAFT" });
  });
});

describe("model ids", () => {
  test("the foundation model behind profiles and ARNs", () => {
    expect(baseModelId("us.anthropic.claude-3-7-sonnet-20250219-v1:0")).toBe("anthropic.claude-3-7-sonnet-20250219-v1:0");
    expect(baseModelId("global.anthropic.claude-sonnet-4-5-20250929-v1:0")).toBe("anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(baseModelId("arn:aws:bedrock:us-east-1::foundation-model/cohere.embed-english-v3")).toBe("cohere.embed-english-v3");
    expect(baseModelId("arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-pro-v1:0")).toBe("amazon.nova-pro-v1:0");
    expect(baseModelId("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123")).toBeUndefined();
  });
});

test("AWS signature errors lose their canonical request, token and signature", () => {
  const msg =
    "The request signature we calculated does not match the signature you provided.\n\nThe Canonical String for this request should have been\n'POST\n/model/x/converse\n\nhost:h\nx-amz-security-token:IQoJsecret\n'";
  expect(redactAwsMessage(msg)).toBe("The request signature we calculated does not match the signature you provided.");
  expect(redactAwsMessage("Authorization=AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/bedrock/aws4_request, Signature=abcdef0123456789")).toBe(
    "Authorization=AWS4-HMAC-SHA256 Credential=[redacted], Signature=[redacted]",
  );
});
