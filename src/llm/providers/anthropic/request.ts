/**
 * OpenAI chat request -> Anthropic Messages request.
 *
 * Only fields Anthropic understands are sent (it rejects unknown ones); OpenAI parameters it
 * cannot honour are dropped (listed in DROPPED, documented in the README), and a request whose
 * meaning would change (`n > 1`, audio input, unparseable tool arguments) is a 400 naming the
 * parameter. Thinking blocks the gateway returned earlier (`thinking_blocks` on an assistant
 * message) are replayed verbatim, signatures included, so multi-turn tool use with thinking works.
 */
import { badRequest } from "../../../http/errors.ts";
import { requireSingleChoice, stopSequences } from "../../chat-request.ts";
import { parseDataUrl } from "../../content/data-url.ts";
import { toolArguments } from "../../content/tool-arguments.ts";
import type { ChatMessage, ChatRequest } from "../../types.ts";
import { hasText } from "../../content/blank-text.ts";
import { claudeSampling } from "../claude-sampling.ts";
import { fittedToolCallId } from "../tool-call-ids.ts";
import { claudeMaxTokens, claudeThinking } from "../claude-thinking.ts";

/** OpenAI parameters with no Anthropic equivalent: accepted and dropped. */
export const DROPPED = [
  "frequency_penalty",
  "presence_penalty",
  "seed",
  "logprobs",
  "top_logprobs",
  "logit_bias",
  "store",
  "metadata",
  "service_tier",
  "prediction",
  "modalities",
  "audio",
  "web_search_options",
  "prompt_cache_key",
  "verbosity",
  "stream_options",
  "response_format (json_object)",
  "tools[].function.strict",
] as const;

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: "user" | "assistant";
  content: string | Block[];
}

export function toAnthropicRequest(req: ChatRequest, model: string): Record<string, unknown> {
  requireSingleChoice(req, "Anthropic");
  const { system, messages } = convertMessages(req.messages);
  trimPrefill(messages);
  const out: Record<string, unknown> = { model, messages };
  if (system.length > 0) out.system = system;

  const tools = convertTools(req.tools);
  if (tools) {
    out.tools = tools;
    const choice = convertToolChoice(req.tool_choice, req.parallel_tool_calls);
    if (choice) out.tool_choice = choice;
  }

  const stop = stopSequences(req);
  if (stop) out.stop_sequences = stop;
  // OpenAI's end-user id (`safety_identifier` replaces the deprecated `user`)
  const endUser = typeof req.safety_identifier === "string" && req.safety_identifier !== "" ? req.safety_identifier : req.user;
  if (typeof endUser === "string" && endUser !== "") out.metadata = { user_id: endUser };

  const thinking = claudeThinking(req);
  out.max_tokens = claudeMaxTokens(req, thinking);
  if (thinking) out.thinking = thinking;
  Object.assign(out, claudeSampling(req, model, thinking));

  const format = req.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | null | undefined;
  if (format?.type === "json_schema") {
    const schema = format.json_schema?.schema;
    if (!schema || typeof schema !== "object") throw badRequest("response_format.json_schema.schema", "response_format json_schema needs a 'schema' object");
    out.output_config = { format: { type: "json_schema", schema } };
  }
  if (req.stream === true) out.stream = true;
  return out;
}

// ---------------------------------------------------------------------------------------------
// messages

function convertMessages(input: ChatMessage[]): { system: Block[]; messages: AnthropicMessage[] } {
  const system: Block[] = [];
  const messages: AnthropicMessage[] = [];
  /**
   * Appends to the last turn when it has the same role (Anthropic wants alternating turns), in
   * place: copying the turn on every merge made long runs of one role quadratic.
   */
  const add = (role: "user" | "assistant", content: string | Block[]) => {
    if (typeof content !== "string" && content.length === 0) return;
    const last = messages[messages.length - 1];
    if (last && last.role === role) {
      const blocks = typeof last.content === "string" ? (last.content = asBlocks(last.content)) : last.content;
      for (const b of asBlocks(content)) blocks.push(b);
    } else messages.push({ role, content });
  };

  input.forEach((m, i) => {
    const where = `messages[${i}]`;
    switch (m.role) {
      case "system":
      case "developer":
        system.push(...withMessageCache(textBlocks(m.content, where), m));
        return;
      case "user":
        add("user", userContent(m, where));
        return;
      case "assistant":
        add("assistant", assistantContent(m, where));
        return;
      case "tool":
        add("user", withMessageCache([toolResult(m, where)], m));
        return;
      default:
        throw badRequest(`${where}.role`, `'${m.role}' messages are not supported for Anthropic: use tools and tool messages`);
    }
  });
  return { system, messages };
}

/**
 * A conversation that ends on an assistant message asks Claude to go on from it (a prefill), and
 * Claude refuses one that ends in whitespace (400 "final assistant content cannot end with trailing
 * whitespace"): its last text is trimmed at the end.
 */
function trimPrefill(messages: AnthropicMessage[]): void {
  const last = messages[messages.length - 1];
  if (last?.role !== "assistant") return;
  if (typeof last.content === "string") {
    last.content = last.content.trimEnd();
    return;
  }
  const block = last.content[last.content.length - 1];
  if (block?.type === "text" && typeof block.text === "string") last.content[last.content.length - 1] = { ...block, text: block.text.trimEnd() };
}

function asBlocks(content: string | Block[]): Block[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/** A message-level `cache_control` marks its last block (where Anthropic expects the marker). */
function withMessageCache(blocks: Block[], m: ChatMessage): Block[] {
  const cache = m.cache_control;
  const last = blocks[blocks.length - 1];
  if (cache && last && last.cache_control === undefined) blocks[blocks.length - 1] = { ...last, cache_control: cache };
  return blocks;
}

function userContent(m: ChatMessage, where: string): string | Block[] {
  if (typeof m.content === "string" && !hasText(m.content)) return [];
  if (typeof m.content === "string" && m.cache_control === undefined) return m.content;
  if (typeof m.content === "string") return withMessageCache(textBlocks(m.content, where), m);
  if (!Array.isArray(m.content)) throw badRequest(`${where}.content`, `'${where}.content' must be a string or an array of content parts`);
  const blocks: Block[] = [];
  m.content.forEach((part, j) => {
    const block = userPart(part, `${where}.content[${j}]`);
    if (block) blocks.push(block);
  });
  return withMessageCache(blocks, m);
}

function userPart(part: unknown, where: string): Block | undefined {
  if (!part || typeof part !== "object") throw badRequest(where, `'${where}' must be a content part object`);
  const p = part as Record<string, unknown>;
  const cache = p.cache_control === undefined ? {} : { cache_control: p.cache_control };
  switch (p.type) {
    case "text":
      if (typeof p.text !== "string") throw badRequest(`${where}.text`, `'${where}.text' must be a string`);
      return hasText(p.text) ? { type: "text", text: p.text, ...cache } : undefined;
    case "image_url": {
      const raw = p.image_url as { url?: unknown } | string | undefined;
      const url = typeof raw === "string" ? raw : raw?.url;
      if (typeof url !== "string") throw badRequest(`${where}.image_url.url`, `'${where}.image_url.url' must be a string`);
      return { type: "image", source: imageSource(url, `${where}.image_url.url`), ...cache };
    }
    case "file": {
      const file = p.file as { file_data?: unknown; file_id?: unknown } | undefined;
      const data = typeof file?.file_data === "string" ? parseDataUrl(file.file_data, `${where}.file.file_data`) : undefined;
      if (!data) throw badRequest(`${where}.file`, "file parts need 'file_data' as a data URL (file ids are OpenAI's own)");
      if (data.mediaType !== "application/pdf") throw badRequest(`${where}.file`, `Anthropic reads PDF documents only, not ${data.mediaType}`);
      return { type: "document", source: { type: "base64", media_type: data.mediaType, data: data.data }, ...cache };
    }
    case "input_audio":
      throw badRequest(where, "audio input is not supported by Anthropic");
    default:
      // an Anthropic-native block (document, search_result...) sent on purpose: passed on as is
      return p;
  }
}

function imageSource(url: string, where: string): Block {
  const data = parseDataUrl(url, where);
  if (data) return { type: "base64", media_type: data.mediaType, data: data.data };
  if (/^https?:\/\//i.test(url)) return { type: "url", url };
  throw badRequest(where, "image URLs must be http(s) or base64 data URLs");
}

/** Text of a system/assistant/tool message: a string or text parts, as text blocks (blank ones skipped). */
function textBlocks(content: unknown, where: string): Block[] {
  if (content === undefined || content === null) return [];
  if (typeof content === "string") return hasText(content) ? [{ type: "text", text: content }] : [];
  if (!Array.isArray(content)) throw badRequest(`${where}.content`, `'${where}.content' must be a string or an array of text parts`);
  const blocks: Block[] = [];
  content.forEach((part, j) => {
    const p = part as Record<string, unknown> | null;
    const text = p?.type === "text" ? p.text : p?.type === "refusal" ? p.refusal : undefined;
    if (typeof text !== "string") throw badRequest(`${where}.content[${j}]`, `'${where}.content[${j}]' must be a text part`);
    if (hasText(text)) blocks.push(p!.cache_control === undefined ? { type: "text", text } : { type: "text", text, cache_control: p!.cache_control });
  });
  return blocks;
}

function assistantContent(m: ChatMessage, where: string): Block[] {
  const blocks: Block[] = [];
  // signed thinking first, exactly as Anthropic produced it (LiteLLM #9020)
  if (Array.isArray(m.thinking_blocks)) {
    for (const b of m.thinking_blocks) {
      const t = (b as Block | null)?.type;
      if (t === "thinking" || t === "redacted_thinking") blocks.push(b as Block);
    }
  }
  blocks.push(...textBlocks(m.content, where));
  const calls: unknown = m.tool_calls ?? [];
  if (!Array.isArray(calls)) throw badRequest(`${where}.tool_calls`, `'${where}.tool_calls' must be an array`);
  calls.forEach((call, j) => blocks.push(toolUse(call, `${where}.tool_calls[${j}]`)));
  return withMessageCache(blocks, m);
}

function toolUse(call: unknown, where: string): Block {
  const c = call as { id?: unknown; function?: { name?: unknown; arguments?: unknown } } | null;
  const name = c?.function?.name;
  if (typeof c?.id !== "string" || typeof name !== "string") throw badRequest(where, `'${where}' needs an 'id' and a 'function.name'`);
  return { type: "tool_use", id: fittedToolCallId(c.id), name, input: toolArguments(c.function?.arguments, `${where}.function.arguments`) };
}

function toolResult(m: ChatMessage, where: string): Block {
  if (typeof m.tool_call_id !== "string") throw badRequest(`${where}.tool_call_id`, `'${where}.tool_call_id' is required on tool messages`);
  const content = typeof m.content === "string" ? m.content : textBlocks(m.content, where);
  return { type: "tool_result", tool_use_id: fittedToolCallId(m.tool_call_id), content };
}

// ---------------------------------------------------------------------------------------------
// tools and options

function convertTools(tools: unknown): Block[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.map((tool, i) => {
    const t = tool as { type?: unknown; function?: Record<string, unknown>; cache_control?: unknown };
    if (t?.type !== "function") return t as Block; // an Anthropic server tool (web_search_...), as is
    const fn = t.function;
    if (!fn || typeof fn.name !== "string") throw badRequest(`tools[${i}].function.name`, `'tools[${i}].function.name' is required`);
    const out: Block = { name: fn.name };
    if (typeof fn.description === "string") out.description = fn.description;
    out.input_schema = fn.parameters && typeof fn.parameters === "object" ? fn.parameters : { type: "object", properties: {} };
    if (t.cache_control !== undefined) out.cache_control = t.cache_control;
    return out;
  });
}

function convertToolChoice(choice: unknown, parallel: unknown): Block | undefined {
  let out: Block | undefined;
  if (choice === "none") return { type: "none" };
  if (choice === "required") out = { type: "any" };
  else if (choice === "auto") out = { type: "auto" };
  else if (choice && typeof choice === "object") {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name !== "string") throw badRequest("tool_choice", "a named tool_choice needs 'function.name'");
    out = { type: "tool", name };
  }
  // parallel_tool_calls alone means "auto, one call at a time", never "any" (Bifrost PR #7348)
  if (parallel === false) out = { ...(out ?? { type: "auto" }), disable_parallel_tool_use: true };
  return out;
}
