/**
 * Anthropic Messages clients (`POST /v1/messages`: the Anthropic SDKs, Claude Code) -> the hub
 * request, for providers that do not speak Messages (Anthropic itself is a passthrough).
 *
 *   system (string or text blocks)        a system message (cache_control kept on its parts)
 *   role:"system" messages (Claude Code)  system messages in place
 *   user text / image / document blocks   text / image_url (data: URL or http URL) / file parts
 *   tool_result blocks                    tool messages (before the rest of that user turn); images
 *                                         in a result follow as a user message
 *   assistant text / tool_use             content / tool_calls (arguments as JSON text, ids kept)
 *   thinking / redacted_thinking          thinking_blocks, replayed by the Claude translators
 *                                         (Bedrock, Vertex); unsigned ones (from providers that do
 *                                         not sign) are dropped; those carrying a Gemini thought
 *                                         signature (the writer's envelope) become the signature
 *                                         of the next tool_use, or of the text, for Gemini
 *   tools (name, input_schema)            function tools; server tools (typed: web_search...)
 *                                         are kept for Claude and dropped elsewhere (adapt.ts);
 *                                         `defer_loading` tools are dropped
 *   tool_choice                           auto / required / a named function / none, and
 *                                         disable_parallel_tool_use -> parallel_tool_calls false
 *   thinking {enabled, budget_tokens}     `thinking` as is (Claude translators) and the matching
 *   thinking {adaptive} + output_config   `reasoning_effort` (Gemini; OpenAI-format providers do
 *                                         not get it: adapt.ts)
 *   max_tokens, stop_sequences, temperature, top_p, top_k   the OpenAI fields
 *   output_config.format (json_schema)    response_format json_schema
 * Dropped: metadata, service_tier, context_management, container, mcp_servers (no equivalent on
 * the other providers).
 */
import { badRequest } from "../../http/errors.ts";
import { anthropicMessage, anthropicWriter } from "../hub/anthropic-writer.ts";
import type { ThinkingBlock } from "../hub/parts.ts";
import { claudeIssued, openGeminiEnvelope } from "../hub/thinking-envelope.ts";
import { signatureField } from "../providers/gemini/signature.ts";
import { THINKING_BUDGET, type ThinkingEffort } from "../reasoning-effort.ts";
import type { ChatMessage, ChatRequest } from "../types.ts";
import type { ClientFormat, HubRead } from "./types.ts";

type Block = Record<string, unknown>;

export const anthropicFormat: ClientFormat = {
  name: "anthropic",
  nativeRoute: "messages",
  read: (body) => readMessages(body),
  writer: anthropicWriter,
  whole: anthropicMessage,
};

/**
 * Fields adapt.ts takes out for OpenAI-format providers: those the reader derives, and `top_k`,
 * which OpenAI refuses as an unrecognized argument (the Claude translators keep it).
 */
const DERIVED = ["thinking", "reasoning_effort", "top_k"] as const;
const SAMPLING = ["temperature", "top_p", "top_k"] as const;

export function readMessages(body: Record<string, unknown>): HubRead {
  if (body.model !== undefined && typeof body.model !== "string") throw badRequest("model", "model: Input should be a valid string");
  if (!Array.isArray(body.messages)) throw badRequest("messages", "messages: Field required");
  const messages: ChatMessage[] = [];
  pushSystem(messages, body.system);
  // (indexed loops writing into one list: this runs on every Anthropic request)
  for (let i = 0; i < body.messages.length; i++) pushMessage(messages, body.messages[i], i);
  const req: ChatRequest = { model: body.model as string, messages };
  if (typeof body.max_tokens === "number") req.max_tokens = body.max_tokens;
  if (Array.isArray(body.stop_sequences) && body.stop_sequences.length > 0) req.stop = body.stop_sequences;
  for (const k of SAMPLING) if (typeof body[k] === "number") req[k] = body[k];
  tools(body, req);
  thinking(body, req);
  const format = (body.output_config as { format?: { type?: unknown; schema?: unknown } } | undefined)?.format;
  if (format?.type === "json_schema" && format.schema && typeof format.schema === "object") {
    req.response_format = { type: "json_schema", json_schema: { name: "output", schema: format.schema } };
  }
  const stream = body.stream === true;
  if (stream) req.stream = true;
  return { request: req, stream, derived: DERIVED };
}

/** Where a message (and one of its blocks) is in the request, for errors: built only when one is thrown. */
function at(i: number, j?: number): string {
  return j === undefined ? `messages.${i}` : `messages.${i}.content.${j}`;
}

function pushSystem(out: ChatMessage[], system: unknown): void {
  if (typeof system === "string") {
    if (system !== "") out.push({ role: "system", content: system });
    return;
  }
  if (!Array.isArray(system)) return;
  const parts = system.filter((b: Block) => b?.type === "text" && typeof b.text === "string" && b.text !== "").map(textPart);
  if (parts.length > 0) out.push({ role: "system", content: parts });
}

function textPart(b: Block): Block {
  return b.cache_control === undefined ? { type: "text", text: b.text } : { type: "text", text: b.text, cache_control: b.cache_control };
}

function pushMessage(out: ChatMessage[], raw: unknown, i: number): void {
  const m = raw as { role?: unknown; content?: unknown } | null;
  if (!m || typeof m !== "object") throw badRequest(at(i), `${at(i)}: Input should be an object`);
  const content = m.content;
  if (typeof content !== "string" && !Array.isArray(content)) throw badRequest(`${at(i)}.content`, `${at(i)}.content: Input should be a string or a list of content blocks`);
  switch (m.role) {
    case "user":
      // a plain string is one text part (none when empty), as the block form would give
      if (typeof content === "string") {
        if (content !== "") out.push({ role: "user", content: [{ type: "text", text: content }] });
      } else userTurn(out, content as Block[], i);
      return;
    case "assistant":
      out.push(assistantTurn(typeof content === "string" ? [{ type: "text", text: content }] : (content as Block[])));
      return;
    case "system":
      return pushSystem(out, content);
    default:
      throw badRequest(`${at(i)}.role`, `${at(i)}.role: Input should be 'user' or 'assistant'`);
  }
}

/** Tool results first (as tool messages), then the rest of the turn as one user message. */
function userTurn(out: ChatMessage[], blocks: Block[], i: number): void {
  const parts: Block[] = [];
  let resultMedia: Block[] | undefined;
  for (let j = 0; j < blocks.length; j++) {
    const b = blocks[j]!;
    if (b?.type === "tool_result") {
      const { message: tool, media } = toolResult(b, i, j);
      out.push(tool);
      if (media.length > 0) (resultMedia ??= []).push(...media);
      continue;
    }
    const part = userPart(b, i, j);
    if (part) parts.push(part);
  }
  const rest = resultMedia ? [...resultMedia, ...parts] : parts;
  if (rest.length > 0) out.push({ role: "user", content: rest });
}

function userPart(b: Block, i: number, j: number): Block | undefined {
  if (!b || typeof b !== "object") return undefined; // a null or scalar block carries nothing to read
  let part: Block;
  switch (b?.type) {
    case "text":
      if (typeof b.text !== "string" || b.text === "") return undefined;
      part = { type: "text", text: b.text };
      break;
    case "image":
      part = { type: "image_url", image_url: { url: sourceUrl(b.source, i, j) } };
      break;
    case "document": {
      const src = b.source as Block | undefined;
      if (src?.type === "text" && typeof src.data === "string") {
        part = { type: "text", text: src.data };
        break;
      }
      const file: Block = { file_data: sourceUrl(src, i, j) };
      if (typeof b.title === "string") file.filename = b.title;
      part = { type: "file", file };
      break;
    }
    default:
      return undefined; // search results, container uploads...: nothing another provider reads
  }
  if (b.cache_control !== undefined) part.cache_control = b.cache_control;
  return part;
}

/** An Anthropic `source` as a URL: base64 -> a data: URL, url -> the URL. */
function sourceUrl(source: unknown, i: number, j: number): string {
  const s = source as { type?: unknown; media_type?: unknown; data?: unknown; url?: unknown } | undefined;
  if (s?.type === "base64" && typeof s.data === "string") return `data:${typeof s.media_type === "string" ? s.media_type : "application/octet-stream"};base64,${s.data}`;
  if (s?.type === "url" && typeof s.url === "string") return s.url;
  throw badRequest(`${at(i, j)}.source`, `${at(i, j)}.source: only base64 and url sources can be translated for this provider`);
}

function toolResult(b: Block, i: number, j: number): { message: ChatMessage; media: Block[] } {
  if (typeof b.tool_use_id !== "string") throw badRequest(`${at(i, j)}.tool_use_id`, `${at(i, j)}.tool_use_id: Field required`);
  const media: Block[] = [];
  let text = "";
  if (typeof b.content === "string") text = b.content;
  else if (Array.isArray(b.content)) {
    for (const c of b.content as Block[]) {
      if (c?.type === "text" && typeof c.text === "string") text += (text ? "\n" : "") + c.text;
      else if (c?.type === "image" || c?.type === "document") {
        const part = userPart(c, i, j);
        if (part) media.push(part);
      }
    }
  }
  if (b.is_error === true && text !== "") text = `Error: ${text}`;
  const message: ChatMessage = { role: "tool", tool_call_id: b.tool_use_id, content: text };
  if (b.cache_control !== undefined) message.cache_control = b.cache_control;
  return { message, media };
}

function assistantTurn(blocks: Block[]): ChatMessage {
  const texts: string[] = [];
  const calls: Block[] = [];
  const thinkingBlocks: ThinkingBlock[] = [];
  /** Gemini signatures: of the next tool_use, and of the answer text */
  let callSignature: string | undefined;
  let answerSignature: string | undefined;
  for (const b of blocks) {
    if (b?.type === "text" && typeof b.text === "string") texts.push(b.text);
    else if (b?.type === "tool_use" && typeof b.id === "string" && typeof b.name === "string") {
      const call: Block = { id: b.id, type: "function", function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } };
      if (callSignature !== undefined) call.extra_content = signatureField(callSignature);
      callSignature = undefined;
      calls.push(call);
    } else if (b?.type === "thinking" && typeof b.thinking === "string" && typeof b.signature === "string" && b.signature !== "") {
      const gemini = openGeminiEnvelope(b.signature);
      if (gemini?.kind === "call") callSignature = gemini.signature;
      else if (gemini) answerSignature = gemini.signature;
      else pushIssued(thinkingBlocks, { type: "thinking", thinking: b.thinking, signature: b.signature });
    } else if (b?.type === "redacted_thinking" && typeof b.data === "string") {
      pushIssued(thinkingBlocks, { type: "redacted_thinking", data: b.data });
    }
  }
  const m: ChatMessage = { role: "assistant", content: texts.length > 0 ? texts.join("") : null };
  if (calls.length > 0) m.tool_calls = calls;
  if (thinkingBlocks.length > 0) m.thinking_blocks = thinkingBlocks;
  if (answerSignature !== undefined) m.extra_content = signatureField(answerSignature);
  return m;
}

/** A block Claude can verify: opened when the gateway enveloped it, left out for any other envelope. */
function pushIssued(blocks: ThinkingBlock[], block: ThinkingBlock): void {
  const issued = claudeIssued(block);
  if (issued) blocks.push(issued);
}

function tools(body: Record<string, unknown>, req: ChatRequest): void {
  if (!Array.isArray(body.tools) || body.tools.length === 0) return;
  const out: Block[] = [];
  for (const t of body.tools as Block[]) {
    if (!t || typeof t !== "object" || t.defer_loading === true) continue;
    if (t.type !== undefined && t.type !== "custom") {
      out.push(t); // a server tool: for Claude only (adapt.ts)
      continue;
    }
    const fn: Block = { name: t.name, parameters: t.input_schema ?? { type: "object", properties: {} } };
    if (typeof t.description === "string") fn.description = t.description;
    out.push(t.cache_control === undefined ? { type: "function", function: fn } : { type: "function", function: fn, cache_control: t.cache_control });
  }
  if (out.length === 0) return;
  req.tools = out;
  const choice = body.tool_choice as { type?: unknown; name?: unknown; disable_parallel_tool_use?: unknown } | undefined;
  if (choice?.type === "any") req.tool_choice = "required";
  else if (choice?.type === "none") req.tool_choice = "none";
  else if (choice?.type === "tool" && typeof choice.name === "string") req.tool_choice = { type: "function", function: { name: choice.name } };
  else if (choice?.type === "auto") req.tool_choice = "auto";
  if (choice?.disable_parallel_tool_use === true) req.parallel_tool_calls = false;
}

/** Claude's thinking settings as `thinking` (kept for Claude) and the nearest `reasoning_effort`. */
function thinking(body: Record<string, unknown>, req: ChatRequest): void {
  const t = body.thinking as { type?: unknown; budget_tokens?: unknown } | undefined;
  const effort = (body.output_config as { effort?: unknown } | undefined)?.effort;
  if (t?.type === "enabled" && typeof t.budget_tokens === "number") {
    req.thinking = t;
    req.reasoning_effort = effortForBudget(t.budget_tokens);
  } else if (t?.type === "adaptive") {
    req.thinking = t;
    req.reasoning_effort = typeof effort === "string" && ["low", "medium", "high", "max"].includes(effort) ? effort : "medium";
  }
}

/** The smallest effort whose Claude budget covers `budget` (max above the table). */
export function effortForBudget(budget: number): ThinkingEffort {
  for (const e of ["low", "medium", "high", "xhigh"] as const) if (budget <= THINKING_BUDGET[e]) return e;
  return "max";
}
