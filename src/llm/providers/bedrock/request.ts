/**
 * OpenAI chat completion request -> Bedrock Converse request body
 * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).
 *
 *   system / developer messages     -> `system` text blocks
 *   user text, images (data: URLs,
 *     s3:// URIs), files (data: URLs) -> text / image / document blocks
 *   assistant text, `tool_calls`,
 *     `thinking_blocks`              -> text / toolUse / reasoningContent blocks
 *   tool messages                    -> toolResult blocks in the next user turn
 *   tools, tool_choice               -> toolConfig (names sanitised, see tool-names.ts)
 *   max(_completion)_tokens, temperature, top_p, stop -> inferenceConfig
 *   reasoning_effort / thinking      -> additionalModelRequestFields (per model family)
 *   cache_control (Anthropic style)  -> cachePoint blocks, for models that cache prompts
 *   response_format json_schema      -> outputConfig.textFormat
 *   provider guardrail               -> guardrailConfig
 * Consecutive messages of one role are merged (Bedrock wants user and assistant turns to alternate).
 * Dropped: n = 1, frequency/presence penalties, seed, logit_bias, logprobs, user, metadata, store,
 * parallel_tool_calls, prompt_cache_key, service_tier (Converse has no equivalent).
 */
import { HttpError } from "../../../http/errors.ts";
import { DEFAULT_MAX_TOKENS, requestedMaxTokens, requireSingleChoice, stopSequences } from "../../chat-request.ts";
import { parseDataUrl } from "../../content/data-url.ts";
import { lookup } from "../../lookup.ts";
import { mediaTypeFromExtension } from "../../content/media-type.ts";
import { toolArguments } from "../../content/tool-arguments.ts";
import { clampEffort, reasoningEffort, thinkingEffort } from "../../reasoning-effort.ts";
import type { ChatMessage, ChatRequest } from "../../types.ts";
import { hasText } from "../../content/blank-text.ts";
import { claudeSampling, type ClaudeSampling } from "../claude-sampling.ts";
import { fittedToolCallId } from "../tool-call-ids.ts";
import { claudeMaxTokens, claudeThinking } from "../claude-thinking.ts";
import { modelFamily } from "./model-id.ts";
import { bedrockName, toolNamesOf, type ToolNames } from "./tool-names.ts";

export interface BedrockSpec {
  model?: string | null;
  region: string;
  guardrailIdentifier?: string | null;
  guardrailVersion?: string | null;
}

/** Request-scoped state the answer's translation needs: the tool renames, if any. */
export interface BedrockRequestState {
  toolNames: ToolNames | undefined;
}

type Block = Record<string, unknown>;
interface ConverseMessage {
  role: "user" | "assistant";
  content: Block[];
}

const CACHE_POINT: Block = { cachePoint: { type: "default" } };
const IMAGE_FORMATS: Record<string, string> = { png: "png", jpeg: "jpeg", gif: "gif", webp: "webp" };
const DOCUMENT_FORMATS: Record<string, string> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
};

export function converseRequest(req: ChatRequest, spec: BedrockSpec, model: string): { body: string; state: BedrockRequestState | undefined } {
  requireSingleChoice(req, "Bedrock");
  const family = modelFamily(model);
  // unknown (opaque ARN) models keep their cache markers: the user put them there on purpose
  const caches = family === undefined || family === "anthropic" || family === "amazon";
  const names = toolNamesOf(req);

  const system: Block[] = [];
  const messages: ConverseMessage[] = [];
  let usesTools = false;
  const historyToolNames = new Set<string>();
  const rest = new Map<ConverseMessage, Block[]>();
  req.messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(...textBlocks(m, caches, `messages[${i}]`));
        return;
      case "user":
        push(messages, rest, "user", userBlocks(m, caches, `messages[${i}]`));
        return;
      case "assistant": {
        const blocks = assistantBlocks(m, names, caches, `messages[${i}]`);
        for (const b of blocks) {
          if (b.toolUse) {
            usesTools = true;
            historyToolNames.add((b.toolUse as { name: string }).name);
          }
        }
        push(messages, rest, "assistant", blocks);
        return;
      }
      case "tool":
        usesTools = true;
        push(messages, rest, "user", [toolResultBlock(m, `messages[${i}]`)]);
        return;
      default:
        throw new HttpError(400, `messages[${i}].role '${m.role}' is not supported`, { param: `messages[${i}].role` });
    }
  });
  joinRest(rest);

  const out: Record<string, unknown> = { messages };
  if (system.length > 0) out.system = system;

  const extra = reasoningFields(req, family);
  const inference: Record<string, unknown> = {};
  // Claude's cap leaves room for the answer after the thinking budget, as on Anthropic
  inference.maxTokens = isObject(extra?.thinking) ? claudeMaxTokens(req, extra.thinking) : (requestedMaxTokens(req)?.value ?? DEFAULT_MAX_TOKENS);
  // Claude's rules for sampling apply on Bedrock as on Anthropic (claude-sampling.ts)
  const sampling: ClaudeSampling = family === "anthropic" ? claudeSampling(req, model, isObject(extra?.thinking) ? extra.thinking : undefined) : { temperature: num(req.temperature), top_p: num(req.top_p) };
  if (sampling.temperature !== undefined) inference.temperature = sampling.temperature;
  if (sampling.top_p !== undefined) inference.topP = sampling.top_p;
  const stop = stopSequences(req);
  if (stop) inference.stopSequences = stop;
  out.inferenceConfig = inference;

  const toolConfig = toolConfigOf(req, names, caches, usesTools, historyToolNames);
  if (toolConfig) out.toolConfig = toolConfig;

  const additional = { ...extra, ...(isObject(req.additionalModelRequestFields) ? req.additionalModelRequestFields : {}) };
  if (sampling.top_k !== undefined) additional.top_k = sampling.top_k;
  if (Object.keys(additional).length > 0) out.additionalModelRequestFields = additional;

  const format = outputFormat(req.response_format);
  if (format) out.outputConfig = { textFormat: format };

  if (spec.guardrailIdentifier) {
    out.guardrailConfig = { guardrailIdentifier: spec.guardrailIdentifier, guardrailVersion: spec.guardrailVersion || "DRAFT" };
  }
  return { body: JSON.stringify(out), state: names ? { toolNames: names } : undefined };
}

/**
 * Appends blocks as a turn of `role`, merged into the previous turn when it has the same role.
 * Tool results go first in a user turn (Claude requires them right after the tool calls): the
 * turn's other blocks wait in `rest` until `joinRest` puts them after the results. Two lists
 * appended to keep long runs of tool and user messages linear (an insert before the first other
 * block, found by a scan, made them quadratic).
 */
function push(messages: ConverseMessage[], rest: Map<ConverseMessage, Block[]>, role: "user" | "assistant", blocks: Block[]): void {
  if (blocks.length === 0) return; // Bedrock rejects empty turns (e.g. an assistant message with content "")
  let turn = messages.at(-1);
  if (turn?.role !== role) messages.push((turn = { role, content: [] }));
  let to = turn.content;
  if (role === "user" && !blocks[0]!.toolResult) {
    to = rest.get(turn) ?? [];
    rest.set(turn, to);
  }
  for (const b of blocks) to.push(b);
}

/** Each user turn's blocks after its tool results (see `push`). */
function joinRest(rest: Map<ConverseMessage, Block[]>): void {
  for (const [turn, blocks] of rest) for (const b of blocks) turn.content.push(b);
}

// ---------------------------------------------------------------------------------------------
// content

interface Part {
  type?: unknown;
  text?: unknown;
  image_url?: { url?: unknown } | string;
  file?: { file_data?: unknown; filename?: unknown; file_id?: unknown };
  cache_control?: unknown;
}

/** Text-only content (system, developer), with cache points where the client marked them. */
function textBlocks(m: ChatMessage, caches: boolean, where: string): Block[] {
  const blocks: Block[] = [];
  if (typeof m.content === "string") {
    if (hasText(m.content)) blocks.push({ text: m.content });
  } else if (Array.isArray(m.content)) {
    (m.content as Part[]).forEach((p, j) => {
      if (p?.type !== "text" || typeof p.text !== "string") throw new HttpError(400, `${where}.content[${j}]: only text parts are allowed here`, { param: `${where}.content` });
      if (hasText(p.text)) blocks.push({ text: p.text });
      if (caches && p.cache_control && blocks.length > 0) blocks.push(CACHE_POINT);
    });
  }
  if (caches && m.cache_control && blocks.length > 0 && !blocks.at(-1)!.cachePoint) blocks.push(CACHE_POINT);
  return blocks;
}

function userBlocks(m: ChatMessage, caches: boolean, where: string): Block[] {
  if (typeof m.content === "string" || m.content == null) return textBlocks(m, caches, where);
  if (!Array.isArray(m.content)) throw new HttpError(400, `${where}.content must be a string or an array of parts`, { param: `${where}.content` });
  const blocks: Block[] = [];
  (m.content as Part[]).forEach((p, j) => {
    const at = `${where}.content[${j}]`;
    switch (p?.type) {
      case "text":
        if (typeof p.text !== "string") throw new HttpError(400, `${at}.text must be a string`, { param: at });
        if (hasText(p.text)) blocks.push({ text: p.text });
        break;
      case "image_url":
        blocks.push(imageBlock(typeof p.image_url === "string" ? p.image_url : p.image_url?.url, at));
        break;
      case "file":
        blocks.push(documentBlock(p.file, at, j));
        break;
      default:
        throw new HttpError(400, `${at}: content part type '${String(p?.type)}' is not supported by Bedrock`, { param: at });
    }
    if (caches && p.cache_control && blocks.length > 0) blocks.push(CACHE_POINT);
  });
  if (caches && m.cache_control && blocks.length > 0 && !blocks.at(-1)!.cachePoint) blocks.push(CACHE_POINT);
  return blocks;
}

function imageBlock(url: unknown, where: string): Block {
  if (typeof url !== "string") throw new HttpError(400, `${where}.image_url.url must be a string`, { param: where });
  if (url.startsWith("s3://")) {
    const format = imageFormat(mediaTypeFromExtension(url));
    if (!format) throw new HttpError(400, `${where}: cannot tell the image format of ${url} (png, jpeg, gif, webp)`, { param: where });
    return { image: { format, source: { s3Location: { uri: url } } } };
  }
  const parsed = parseDataUrl(url, `${where}.image_url.url`);
  if (!parsed) {
    throw new HttpError(400, `${where}: Bedrock needs the image bytes: send a base64 data: URL (or an s3:// URI), not a web URL`, { param: where, code: "unsupported_image_url" });
  }
  const format = imageFormat(parsed.mediaType);
  if (!format) throw new HttpError(400, `${where}: image type ${parsed.mediaType} is not supported (png, jpeg, gif, webp)`, { param: where });
  return { image: { format, source: { bytes: parsed.data } } };
}

/** Converse's image format for a media type; undefined for types Bedrock does not take. */
function imageFormat(mediaType: string | undefined): string | undefined {
  return mediaType?.startsWith("image/") ? lookup(IMAGE_FORMATS, mediaType.slice("image/".length)) : undefined;
}

function documentBlock(file: Part["file"], where: string, index: number): Block {
  const parsed = typeof file?.file_data === "string" ? parseDataUrl(file.file_data, `${where}.file.file_data`) : undefined;
  if (!parsed) throw new HttpError(400, `${where}: files must be sent inline as file.file_data (a base64 data: URL)`, { param: where });
  const format = DOCUMENT_FORMATS[parsed.mediaType];
  if (!format) throw new HttpError(400, `${where}: document type ${parsed.mediaType} is not supported by Bedrock`, { param: where });
  // Bedrock document names: letters, digits, spaces, hyphens, parentheses, brackets; no repeats of whitespace
  const base = typeof file?.filename === "string" ? file.filename.replace(/\.[^.]*$/, "") : "";
  const name = base.replace(/[^a-zA-Z0-9\s\-()[\]]/g, " ").replace(/\s+/g, " ").trim() || `document ${index + 1}`;
  return { document: { format, name, source: { bytes: parsed.data } } };
}

interface ToolCall {
  id?: unknown;
  type?: unknown;
  function?: { name?: unknown; arguments?: unknown };
}

interface ThinkingBlock {
  type?: unknown;
  thinking?: unknown;
  signature?: unknown;
  data?: unknown;
}

function assistantBlocks(m: ChatMessage, names: ToolNames | undefined, caches: boolean, where: string): Block[] {
  const blocks: Block[] = [];
  // signed reasoning goes back verbatim and first, or Claude rejects the next tool turn
  if (Array.isArray(m.thinking_blocks)) {
    for (const t of m.thinking_blocks as ThinkingBlock[]) {
      if (t?.type === "thinking" && typeof t.thinking === "string") {
        const text: Record<string, string> = { text: t.thinking };
        if (typeof t.signature === "string") text.signature = t.signature;
        blocks.push({ reasoningContent: { reasoningText: text } });
      } else if (t?.type === "redacted_thinking" && typeof t.data === "string") {
        blocks.push({ reasoningContent: { redactedContent: t.data } });
      }
    }
  }
  if (typeof m.content === "string") {
    if (hasText(m.content)) blocks.push({ text: m.content });
  } else if (Array.isArray(m.content)) {
    (m.content as Part[]).forEach((p, j) => {
      if (p?.type === "text" && typeof p.text === "string" && hasText(p.text)) blocks.push({ text: p.text });
      else if (p?.type !== "text" && p?.type !== "refusal") throw new HttpError(400, `${where}.content[${j}]: assistant content must be text`, { param: `${where}.content` });
      if (caches && p.cache_control && blocks.length > 0) blocks.push(CACHE_POINT);
    });
  }
  if (Array.isArray(m.tool_calls)) {
    (m.tool_calls as ToolCall[]).forEach((c, j) => {
      const at = `${where}.tool_calls[${j}]`;
      const name = c?.function?.name;
      if (typeof c?.id !== "string" || typeof name !== "string") throw new HttpError(400, `${at} needs an id and a function name`, { param: at });
      blocks.push({ toolUse: { toolUseId: fittedToolCallId(c.id), name: bedrockName(names, name), input: toolArguments(c.function?.arguments, `${at}.function.arguments`) } });
    });
  }
  if (caches && m.cache_control && blocks.length > 0 && !blocks.at(-1)!.cachePoint) blocks.push(CACHE_POINT);
  return blocks;
}

function toolResultBlock(m: ChatMessage, where: string): Block {
  if (typeof m.tool_call_id !== "string") throw new HttpError(400, `${where}.tool_call_id is required for tool messages`, { param: `${where}.tool_call_id` });
  const content: Block[] = [];
  if (typeof m.content === "string") {
    if (hasText(m.content)) content.push({ text: m.content });
  } else if (Array.isArray(m.content)) {
    for (const p of m.content as Part[]) if (p?.type === "text" && typeof p.text === "string" && hasText(p.text)) content.push({ text: p.text });
  }
  // an empty result still has to say something: Bedrock rejects blank text blocks
  if (content.length === 0) content.push({ json: {} });
  return { toolResult: { toolUseId: fittedToolCallId(m.tool_call_id), content } };
}

// ---------------------------------------------------------------------------------------------
// tools

interface Tool {
  type?: unknown;
  function?: { name?: unknown; description?: unknown; parameters?: unknown };
  cache_control?: unknown;
}

const OPEN_SCHEMA = { type: "object", properties: {} };

function toolConfigOf(req: ChatRequest, names: ToolNames | undefined, caches: boolean, usesTools: boolean, historyNames: Set<string>): Block | undefined {
  const choice = req.tool_choice;
  const tools: Block[] = [];
  if (Array.isArray(req.tools)) {
    (req.tools as Tool[]).forEach((t, i) => {
      if (t?.type !== "function" || typeof t.function?.name !== "string") {
        throw new HttpError(400, `tools[${i}]: only function tools are supported by Bedrock`, { param: `tools[${i}]` });
      }
      const spec: Record<string, unknown> = { name: bedrockName(names, t.function.name), inputSchema: { json: t.function.parameters ?? OPEN_SCHEMA } };
      if (typeof t.function.description === "string" && t.function.description !== "") spec.description = t.function.description;
      tools.push({ toolSpec: spec });
      if (caches && t.cache_control) tools.push(CACHE_POINT);
    });
  }
  if (tools.length === 0 && usesTools) {
    // Bedrock refuses toolUse/toolResult history without a toolConfig: declare the tools the
    // history used (clients often stop sending `tools` on the turn after the last call)
    for (const name of historyNames) tools.push({ toolSpec: { name, inputSchema: { json: OPEN_SCHEMA } } });
  }
  if (tools.length === 0) return undefined;
  if (choice === "none") {
    // Converse cannot forbid tool use: without tool history the tools are simply not sent
    return usesTools ? { tools } : undefined;
  }
  const config: Block = { tools };
  if (choice === "auto") config.toolChoice = { auto: {} };
  else if (choice === "required") config.toolChoice = { any: {} };
  else if (isObject(choice)) {
    const name = (choice as { function?: { name?: unknown } }).function?.name;
    if (typeof name !== "string") throw new HttpError(400, "tool_choice.function.name must be a string", { param: "tool_choice" });
    config.toolChoice = { tool: { name: bedrockName(names, name) } };
  }
  return config;
}

// ---------------------------------------------------------------------------------------------
// reasoning and output format

/**
 * Model-specific reasoning switches for `additionalModelRequestFields`. The effort is validated
 * for every model (shared rule); Claude gets the shared thinking budget; Nova and gpt-oss take
 * low to high, so `minimal`, `xhigh` and `max` are clamped to that range.
 */
function reasoningFields(req: ChatRequest, family: string | undefined): Record<string, unknown> | undefined {
  if (family === "anthropic" || family === undefined) {
    const thinking = claudeThinking(req);
    return thinking ? { thinking } : undefined;
  }
  const effort = thinkingEffort(reasoningEffort(req));
  if (effort === undefined) return undefined;
  if (family === "amazon") return { reasoningConfig: { type: "enabled", maxReasoningEffort: clampEffort(effort, "low", "high") } };
  if (family === "openai") return { reasoning_effort: clampEffort(effort, "low", "high") };
  return undefined;
}

function outputFormat(format: unknown): Block | undefined {
  if (!isObject(format) || format.type !== "json_schema") return undefined;
  const js = format.json_schema as { name?: unknown; schema?: unknown; description?: unknown } | undefined;
  if (!isObject(js) || !isObject(js.schema)) throw new HttpError(400, "response_format.json_schema.schema must be an object", { param: "response_format" });
  const schema: Record<string, unknown> = { schema: JSON.stringify(js.schema), name: typeof js.name === "string" ? js.name : "response" };
  if (typeof js.description === "string") schema.description = js.description;
  return { type: "json_schema", structure: { jsonSchema: schema } };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function num(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}
