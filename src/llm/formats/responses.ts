/**
 * OpenAI Responses clients (`POST /v1/responses`: `responses.create`, Codex) -> the hub request,
 * for providers that do not speak Responses (OpenAI and Azure are passthroughs).
 *
 *   instructions                      a system message, first
 *   input (string)                    one user message
 *   message items                     messages of their role; input_text / output_text -> text,
 *                                     input_image -> image_url, input_file -> file
 *   function_call items               tool_calls of one assistant message (consecutive calls and
 *                                     the assistant text before them merged), call_id as the id
 *   function_call_output items        tool messages
 *   custom_tool_call(_output)         the same, the free-form input as `{"input": ...}` arguments
 *   reasoning items                   thinking_blocks of the next assistant message, when their
 *                                     encrypted_content is the gateway's envelope; a Gemini
 *                                     signature's envelope signs the next function call (or the
 *                                     turn's text) for Gemini; others dropped
 *   tools: function                   function tools; custom -> a function taking `{input: string}`
 *                                     (calls come back as custom_tool_call); other types dropped
 *   tool_choice, parallel_tool_calls  the same meaning
 *   reasoning.effort                  reasoning_effort (translated providers only: derived,
 *                                     not sent to OpenAI-format chat backends)
 *   max_output_tokens                 max_completion_tokens
 *   text.format                       response_format (json_schema, json_object)
 * Refused (400) for these providers: previous_response_id and conversation (the gateway keeps no
 * state: send the whole input, as Codex does with store:false), background. OpenAI and Azure hold
 * their own responses and get them (passthrough), so the refusal waits until a provider is
 * chosen (`nativeOnly`); a chain on a response the gateway wrote is refused before a passthrough
 * too (responses-chain.ts). Dropped: store, include, metadata, prompt_cache_key,
 * safety_identifier, user, service_tier, truncation, text.verbosity.
 */
import { badRequest, type HttpError } from "../../http/errors.ts";
import type { ThinkingBlock } from "../hub/parts.ts";
import { responsesObject, responsesWriter, type ResponsesState } from "../hub/responses-writer.ts";
import { openEnvelope, openGeminiEnvelope } from "../hub/thinking-envelope.ts";
import { signatureField } from "../providers/gemini/signature.ts";
import type { ChatMessage, ChatRequest } from "../types.ts";
import type { ClientFormat, HubRead } from "./types.ts";

type Item = Record<string, unknown>;

export const responsesFormat: ClientFormat = {
  name: "responses",
  nativeRoute: "responses",
  read: (body) => readResponses(body),
  writer: responsesWriter,
  whole: responsesObject,
};

/** Fields the reader derives (adapt.ts takes them out for OpenAI-format providers): made once, not per request. */
const DERIVED = ["reasoning_effort"] as const;

export function readResponses(body: Record<string, unknown>): HubRead {
  if (body.model !== undefined && typeof body.model !== "string") throw badRequest("model", "'model' must be a string");
  const nativeOnly = statefulField(body);
  const messages: ChatMessage[] = [];
  if (typeof body.instructions === "string" && body.instructions !== "") messages.push({ role: "system", content: body.instructions });
  if (typeof body.input === "string") messages.push({ role: "user", content: body.input });
  else if (Array.isArray(body.input)) new InputReader(messages).items(body.input as Item[]);
  else if (body.input !== undefined) throw badRequest("input", "'input' must be a string or an array of items");
  const req: ChatRequest = { model: body.model as string, messages };
  const state: ResponsesState = { customTools: tools(body, req) };
  if (typeof body.max_output_tokens === "number") req.max_completion_tokens = body.max_output_tokens;
  for (const k of ["temperature", "top_p"] as const) if (typeof body[k] === "number") req[k] = body[k];
  if (typeof body.parallel_tool_calls === "boolean") req.parallel_tool_calls = body.parallel_tool_calls;
  const effort = (body.reasoning as { effort?: unknown } | undefined)?.effort;
  if (typeof effort === "string") req.reasoning_effort = effort;
  const format = (body.text as { format?: { type?: unknown; name?: unknown; schema?: unknown; strict?: unknown } } | undefined)?.format;
  if (format?.type === "json_schema") req.response_format = { type: "json_schema", json_schema: { name: typeof format.name === "string" ? format.name : "output", schema: format.schema, strict: format.strict === true } };
  else if (format?.type === "json_object") req.response_format = { type: "json_object" };
  const stream = body.stream === true;
  if (stream) req.stream = true;
  // the effort goes to translated providers in their own shape (a thinking budget, a level); an
  // OpenAI-format chat backend behind a Responses client (vLLM, a compatible API) may not reason
  // or know the field, so it does not get it (adapt.ts), as for the other formats' readers
  const read: HubRead = { request: req, stream, state, derived: DERIVED };
  if (nativeOnly) read.nativeOnly = nativeOnly;
  return read;
}

/** The 400 for a field that needs the provider's stored responses, which a translated provider has none of. */
function statefulField(body: Record<string, unknown>): HttpError | undefined {
  for (const k of ["previous_response_id", "conversation"]) {
    if (body[k] !== undefined && body[k] !== null) return badRequest(k, `'${k}' needs stored responses, which this provider does not keep: send the whole conversation as 'input'`, "unsupported_parameter");
  }
  if (body.background === true) return badRequest("background", "background responses are not supported for this provider", "unsupported_parameter");
  return undefined;
}

/** Items in order into chat messages: assistant text, calls and reasoning merge into one turn. */
class InputReader {
  private assistant: ChatMessage | undefined;
  private thinking: ThinkingBlock[] = [];
  /** a Gemini signature for the next function call */
  private callSignature: string | undefined;

  constructor(private readonly out: ChatMessage[]) {}

  items(items: Item[]): void {
    items.forEach((item, i) => this.item(item, `input[${i}]`));
  }

  /** The assistant turn being built (a new one after any other message). */
  private turn(): ChatMessage {
    if (!this.assistant) {
      this.assistant = { role: "assistant", content: null };
      this.out.push(this.assistant);
    }
    if (this.thinking.length > 0) {
      const blocks = this.assistant.thinking_blocks as ThinkingBlock[] | undefined;
      if (blocks) for (const b of this.thinking) blocks.push(b);
      else this.assistant.thinking_blocks = this.thinking;
      this.thinking = [];
    }
    return this.assistant;
  }

  private push(m: ChatMessage): void {
    this.assistant = undefined;
    this.callSignature = undefined;
    this.out.push(m);
  }

  private item(item: Item, where: string): void {
    if (!item || typeof item !== "object") throw badRequest(where, `'${where}' must be an object`);
    const type = item.type ?? (item.role !== undefined ? "message" : undefined);
    switch (type) {
      case "message":
        return this.message(item, where);
      case "function_call":
      case "custom_tool_call": {
        const args = type === "function_call" ? (typeof item.arguments === "string" ? item.arguments : "{}") : JSON.stringify({ input: item.input ?? "" });
        if (typeof item.call_id !== "string" || typeof item.name !== "string") throw badRequest(where, `'${where}' needs 'call_id' and 'name'`);
        const turn = this.turn();
        const call: Item = { id: item.call_id, type: "function", function: { name: item.name, arguments: args } };
        if (this.callSignature !== undefined) call.extra_content = signatureField(this.callSignature);
        this.callSignature = undefined;
        // appended in place: a copy per call made long runs of calls quadratic
        if (turn.tool_calls) turn.tool_calls.push(call);
        else turn.tool_calls = [call];
        return;
      }
      case "function_call_output":
      case "custom_tool_call_output":
        if (typeof item.call_id !== "string") throw badRequest(`${where}.call_id`, `'${where}.call_id' is required`);
        return this.push({ role: "tool", tool_call_id: item.call_id, content: outputText(item.output) });
      case "reasoning": {
        const gemini = openGeminiEnvelope(item.encrypted_content);
        if (gemini?.kind === "call") this.callSignature = gemini.signature;
        else if (gemini) this.turn().extra_content = signatureField(gemini.signature);
        if (gemini) return;
        const summary = Array.isArray(item.summary) ? (item.summary as Item[]).map((s) => (typeof s?.text === "string" ? s.text : "")).join("") : "";
        const block = openEnvelope(item.encrypted_content, summary);
        if (block) this.thinking.push(block);
        return;
      }
      default:
        return; // item references, hosted tool calls: nothing another provider can take
    }
  }

  private message(item: Item, where: string): void {
    const role = item.role;
    if (role === "assistant") {
      const text = contentParts(item.content, where).map((p) => (p.type === "text" ? (p.text as string) : "")).join("");
      const turn = this.turn();
      if (text !== "") turn.content = typeof turn.content === "string" ? turn.content + text : text;
      return;
    }
    if (role !== "user" && role !== "system" && role !== "developer") throw badRequest(`${where}.role`, `'${where}.role' must be user, assistant, system or developer`);
    const parts = contentParts(item.content, where);
    const onlyText = parts.every((p) => p.type === "text");
    this.push({ role, content: onlyText ? parts.map((p) => p.text as string).join("\n") : parts });
  }
}

function contentParts(content: unknown, where: string): Item[] {
  if (typeof content === "string") return [{ type: "text", text: content }];
  if (!Array.isArray(content)) throw badRequest(`${where}.content`, `'${where}.content' must be a string or an array of parts`);
  const out: Item[] = [];
  for (const p of content as Item[]) {
    switch (p?.type) {
      case "input_text":
      case "output_text":
        if (typeof p.text === "string") out.push({ type: "text", text: p.text });
        break;
      case "refusal":
        if (typeof p.refusal === "string") out.push({ type: "text", text: p.refusal });
        break;
      case "input_image":
        if (typeof p.image_url === "string") out.push({ type: "image_url", image_url: p.detail ? { url: p.image_url, detail: p.detail } : { url: p.image_url } });
        else throw badRequest(`${where}.content`, "input_image needs an image_url (file ids are OpenAI's own)");
        break;
      case "input_file":
        if (typeof p.file_data !== "string") throw badRequest(`${where}.content`, "input_file needs file_data (file ids and URLs are OpenAI's own)");
        out.push({ type: "file", file: { file_data: p.file_data, ...(typeof p.filename === "string" ? { filename: p.filename } : {}) } });
        break;
    }
  }
  return out;
}

/** A tool output (a string, or input_text parts) as the tool message's text. */
function outputText(output: unknown): string {
  if (typeof output === "string") return output;
  if (Array.isArray(output)) return (output as Item[]).map((p) => (typeof p?.text === "string" ? p.text : "")).join("");
  return output === undefined ? "" : JSON.stringify(output);
}

/** Function and custom tools as function tools; returns the custom tools' names. */
function tools(body: Record<string, unknown>, req: ChatRequest): string[] {
  const custom: string[] = [];
  const out: Item[] = [];
  for (const t of Array.isArray(body.tools) ? (body.tools as Item[]) : []) {
    if (t?.type === "function" && typeof t.name === "string") {
      const fn: Item = { name: t.name, parameters: t.parameters ?? { type: "object", properties: {} } };
      if (typeof t.description === "string") fn.description = t.description;
      out.push({ type: "function", function: fn });
    } else if (t?.type === "custom" && typeof t.name === "string") {
      custom.push(t.name);
      const description = `${typeof t.description === "string" ? t.description : ""}\nPut the whole free-form input in the 'input' string.`.trim();
      out.push({ type: "function", function: { name: t.name, description, parameters: { type: "object", properties: { input: { type: "string" } }, required: ["input"] } } });
    }
  }
  if (out.length > 0) req.tools = out;
  const choice = body.tool_choice as string | { type?: unknown; name?: unknown } | undefined;
  if (choice === "auto" || choice === "none" || choice === "required") req.tool_choice = choice;
  else if (choice && typeof choice === "object" && (choice.type === "function" || choice.type === "custom") && typeof choice.name === "string") {
    req.tool_choice = { type: "function", function: { name: choice.name } };
  }
  return custom;
}
