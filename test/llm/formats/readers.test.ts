/**
 * The three readers on their own: every client field that has a hub equivalent lands there, the
 * rest is dropped or refused as each reader's header says.
 */
import { describe, expect, test } from "bun:test";
import { readMessages } from "../../../src/llm/formats/anthropic.ts";
import { readGenerateContent } from "../../../src/llm/formats/gemini.ts";
import { readResponses } from "../../../src/llm/formats/responses.ts";
import { HttpError } from "../../../src/http/errors.ts";

const from = (path: string, query = "") => ({ path, query, headers: new Headers() });

describe("Anthropic Messages", () => {
  test("Claude Code's shape: system blocks, a system message mid-conversation, tool results with errors and images, adaptive thinking", () => {
    const { request, derived } = readMessages({
      model: "claude-opus-5-5",
      max_tokens: 32000,
      system: [{ type: "text", text: "A" }, { type: "text", text: "B", cache_control: { type: "ephemeral" } }],
      thinking: { type: "adaptive", display: "omitted" },
      output_config: { effort: "high" },
      tool_choice: { type: "any", disable_parallel_tool_use: true },
      tools: [{ name: "Bash", input_schema: { type: "object" } }],
      metadata: { user_id: "u" },
      context_management: { edits: [] },
      messages: [
        { role: "user", content: "go" },
        { role: "system", content: "# Environment" },
        { role: "assistant", content: [{ type: "thinking", thinking: "", signature: "" }, { type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "t1", is_error: true, content: [{ type: "text", text: "boom" }, { type: "image", source: { type: "base64", media_type: "image/png", data: "AA" } }] },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } },
          ],
        },
      ],
    });
    expect(request.messages).toEqual([
      { role: "system", content: [{ type: "text", text: "A" }, { type: "text", text: "B", cache_control: { type: "ephemeral" } }] },
      { role: "user", content: [{ type: "text", text: "go" }] },
      { role: "system", content: "# Environment" },
      { role: "assistant", content: null, tool_calls: [{ id: "t1", type: "function", function: { name: "Bash", arguments: '{"command":"ls"}' } }] },
      { role: "tool", tool_call_id: "t1", content: "Error: boom" },
      { role: "user", content: [{ type: "image_url", image_url: { url: "data:image/png;base64,AA" } }, { type: "text", text: "notes" }] },
    ]);
    expect(request).toMatchObject({ max_tokens: 32000, tool_choice: "required", parallel_tool_calls: false, thinking: { type: "adaptive", display: "omitted" }, reasoning_effort: "high" });
    expect(request.metadata).toBeUndefined();
    expect(request.context_management).toBeUndefined();
    expect(derived).toEqual(["thinking", "reasoning_effort", "top_k"]);
  });

  test("what cannot be read is a 400 naming where it is, down to the block (and the block of a tool result)", () => {
    const refusal = (messages: unknown[]) => {
      try {
        readMessages({ model: "m", messages });
      } catch (err) {
        expect(err).toBeInstanceOf(HttpError);
        const e = err as HttpError;
        return [e.status, e.param, e.message];
      }
      throw new Error("read without an error");
    };
    const ok = { role: "user", content: "hi" };
    const url = (type: string) => ({ type: "image", source: { type } });
    expect(refusal([ok, 7])).toEqual([400, "messages.1", "messages.1: Input should be an object"]);
    expect(refusal([{ role: "user", content: 3 }])).toEqual([400, "messages.0.content", "messages.0.content: Input should be a string or a list of content blocks"]);
    expect(refusal([ok, { role: "robot", content: "x" }])).toEqual([400, "messages.1.role", "messages.1.role: Input should be 'user' or 'assistant'"]);
    expect(refusal([{ role: "user", content: [{ type: "text", text: "a" }, { type: "tool_result", content: "r" }] }])).toEqual([400, "messages.0.content.1.tool_use_id", "messages.0.content.1.tool_use_id: Field required"]);
    const noSource = "only base64 and url sources can be translated for this provider";
    expect(refusal([ok, ok, { role: "user", content: [url("file")] }])).toEqual([400, "messages.2.content.0.source", `messages.2.content.0.source: ${noSource}`]);
    expect(refusal([{ role: "user", content: [{ type: "text", text: "a" }, { type: "tool_result", tool_use_id: "t", content: [url("file")] }] }])).toEqual([400, "messages.0.content.1.source", `messages.0.content.1.source: ${noSource}`]);
  });

  test("a thinking budget maps to the smallest effort covering it", () => {
    const effort = (budget: number) => readMessages({ model: "m", messages: [], thinking: { type: "enabled", budget_tokens: budget } }).request.reasoning_effort;
    expect([1024, 2048, 3000, 8192, 20000].map(effort)).toEqual(["low", "medium", "high", "xhigh", "max"]);
  });

  test("thinking blocks: the gateway's envelopes of Claude's values opened, other envelopes left out", () => {
    const { request } = readMessages({
      model: "m",
      messages: [
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "plan", signature: "agw1.t.claude-sig" },
            { type: "redacted_thinking", data: "agw1.r.claude-data" },
            { type: "redacted_thinking", data: "agw1.zz.unknown" },
            { type: "thinking", thinking: "own", signature: "EqQB" },
            { type: "text", text: "ok" },
          ],
        },
      ],
    });
    expect(request.messages[0]!.thinking_blocks).toEqual([
      { type: "thinking", thinking: "plan", signature: "claude-sig" },
      { type: "redacted_thinking", data: "claude-data" },
      { type: "thinking", thinking: "own", signature: "EqQB" },
    ]);
  });
});

describe("OpenAI Responses", () => {
  test("items: images and files, calls merged into the assistant turn, outputs as tool messages, text.format", () => {
    const { request, state } = readResponses({
      model: "m",
      instructions: "sys",
      max_output_tokens: 100,
      text: { format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true } },
      tools: [{ type: "web_search" }, { type: "custom", name: "apply_patch" }],
      tool_choice: { type: "custom", name: "apply_patch" },
      input: [
        { role: "user", content: [{ type: "input_text", text: "see" }, { type: "input_image", image_url: "data:image/png;base64,AA", detail: "low" }, { type: "input_file", file_data: "data:application/pdf;base64,JV", filename: "a.pdf" }] },
        { type: "reasoning", id: "rs_1", summary: [], encrypted_content: "openai-own-blob" },
        { type: "message", role: "assistant", content: [{ type: "output_text", text: "ok" }] },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        { type: "function_call", call_id: "c2", name: "g", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: [{ type: "input_text", text: "r1" }] },
        { type: "function_call_output", call_id: "c2", output: "r2" },
      ],
    });
    expect(request.messages).toEqual([
      { role: "system", content: "sys" },
      { role: "user", content: [{ type: "text", text: "see" }, { type: "image_url", image_url: { url: "data:image/png;base64,AA", detail: "low" } }, { type: "file", file: { file_data: "data:application/pdf;base64,JV", filename: "a.pdf" } }] },
      { role: "assistant", content: "ok", tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }, { id: "c2", type: "function", function: { name: "g", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "c1", content: "r1" },
      { role: "tool", tool_call_id: "c2", content: "r2" },
    ]);
    expect(request).toMatchObject({ max_completion_tokens: 100, response_format: { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } }, tool_choice: { type: "function", function: { name: "apply_patch" } } });
    expect((request.tools as { function: { name: string } }[]).map((t) => t.function.name)).toEqual(["apply_patch"]);
    expect(state).toEqual({ customTools: ["apply_patch"] });
  });

  test("state the gateway does not keep is refused once a provider is chosen (OpenAI and Azure keep their own)", () => {
    for (const [field, body] of [
      ["previous_response_id", { previous_response_id: "resp_1" }],
      ["conversation", { conversation: "conv_1" }],
      ["background", { background: true }],
    ] as const) {
      const { nativeOnly } = readResponses({ model: "m", input: "x", ...body });
      expect(nativeOnly).toBeInstanceOf(HttpError);
      expect([nativeOnly!.status, nativeOnly!.param, nativeOnly!.code]).toEqual([400, field, "unsupported_parameter"]);
    }
    expect(readResponses({ model: "m", input: "x", previous_response_id: null }).nativeOnly).toBeUndefined();
  });
});

describe("Gemini generateContent", () => {
  test("model and stream from the path; media, schemas, thinking level, candidates", () => {
    const { request, stream, nativeOnly } = readGenerateContent(
      {
        systemInstruction: { role: "user", parts: [{ text: "sys" }] },
        contents: [{ role: "user", parts: [{ text: "look" }, { inlineData: { mimeType: "image/jpeg", data: "AA" } }, { fileData: { mimeType: "application/pdf", fileUri: "gs://b/f.pdf" } }] }],
        generationConfig: { maxOutputTokens: 50, candidateCount: 1, stopSequences: ["x"], responseMimeType: "application/json", responseSchema: { type: "OBJECT", properties: { a: { type: "STRING" } } }, thinkingConfig: { thinkingLevel: "LOW" } },
        toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["f"] } },
        safetySettings: [],
      },
      from("/v1/models/gemini-3-pro:streamGenerateContent", "alt=sse"),
    );
    expect(stream).toBe(true);
    expect(nativeOnly).toBeUndefined();
    expect(request.model).toBe("gemini-3-pro");
    expect(request.messages).toEqual([
      { role: "system", content: "sys" },
      { role: "user", content: [{ type: "text", text: "look" }, { type: "image_url", image_url: { url: "data:image/jpeg;base64,AA" } }, { type: "file", file: { file_data: "gs://b/f.pdf" } }] },
    ]);
    expect(request).toMatchObject({ max_tokens: 50, n: 1, stop: ["x"], reasoning_effort: "low", tool_choice: { type: "function", function: { name: "f" } } });
    expect(request.response_format).toEqual({ type: "json_schema", json_schema: { name: "output", schema: { type: "object", properties: { a: { type: "string" } } } } });
  });

  test("a stream without alt=sse can only pass through", () => {
    expect(readGenerateContent({ contents: [] }, from("/v1beta/models/m:streamGenerateContent")).nativeOnly?.message).toContain("alt=sse");
  });
});
