/**
 * OpenAI chat request -> Gemini `GenerateContentRequest`.
 *
 *   system/developer messages     systemInstruction
 *   user / assistant              contents with role user / model (consecutive turns of one role merged)
 *   images, audio, files          inlineData (data: URLs) or fileData (http(s):// and gs:// URLs)
 *   assistant tool_calls          functionCall parts (arguments parsed, thought signatures replayed)
 *   tool messages                 functionResponse parts; the function name is looked up from the
 *                                 tool_call_id in the earlier assistant message
 *   tools / tool_choice           functionDeclarations (schema reduced) / functionCallingConfig
 *   generation parameters         generationConfig (response_format -> responseSchema,
 *                                 reasoning_effort -> thinkingConfig)
 *
 * Dropped on purpose (no Gemini equivalent): logit_bias, logprobs/top_logprobs, parallel_tool_calls,
 * user, metadata, store, service_tier, prediction, modalities/audio, prompt_cache_key. `n > 1` is a 400.
 */
import { badRequest } from "../../../http/errors.ts";
import { requestedMaxTokens, requireSingleChoice, stopSequences } from "../../chat-request.ts";
import { parseDataUrl } from "../../content/data-url.ts";
import { mediaTypeFromExtension } from "../../content/media-type.ts";
import { toolArguments } from "../../content/tool-arguments.ts";
import { clampEffort, reasoningEffort, thinkingEffort, type ReasoningEffort, type ThinkingEffort } from "../../reasoning-effort.ts";
import type { ChatMessage, ChatRequest } from "../../types.ts";
import { reduceParameters, reduceSchema } from "./schema-reduce.ts";
import { SKIP_SIGNATURE_CHECK, signatureOf } from "./signature.ts";
import type { GeminiContent, GeminiPart } from "./wire.ts";

export interface GeminiRequestOptions {
  /**
   * Send OpenAI tool call ids back as `functionCall.id` / `functionResponse.id`. AI Studio
   * accepts them; Vertex rejects ids it did not issue, so it gets names only.
   */
  includeCallIds: boolean;
}

export function toGenerateContent(req: ChatRequest, model: string, opts: GeminiRequestOptions): Record<string, unknown> {
  requireSingleChoice(req, "Gemini");
  const { system, contents } = convertMessages(req.messages, model, opts);
  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: system };
  const declarations = functionDeclarations(req.tools);
  if (declarations) {
    body.tools = [{ functionDeclarations: declarations }];
    const calling = functionCallingConfig(req.tool_choice);
    if (calling) body.toolConfig = { functionCallingConfig: calling };
  }
  const generation = generationConfig(req, model);
  if (generation) body.generationConfig = generation;
  // Gemini-only settings a client (or `policies.ai.defaults`) may add to the OpenAI body
  const safety = req.safety_settings ?? req.safetySettings;
  if (Array.isArray(safety)) body.safetySettings = safety;
  const cached = req.cached_content ?? req.cachedContent;
  if (typeof cached === "string") body.cachedContent = cached;
  return body;
}

// ---------------------------------------------------------------------------------------------
// messages

function convertMessages(messages: ChatMessage[], model: string, opts: GeminiRequestOptions) {
  const system: GeminiPart[] = [];
  const contents: GeminiContent[] = [];
  /** tool_call_id -> function name, from the assistant messages seen so far */
  const callNames = new Map<string, string>();
  const gemini3 = model.includes("gemini-3");
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    switch (m.role) {
      case "system":
      case "developer":
        system.push(...textOnly(m.content, `messages[${i}].content`));
        break;
      case "user":
        append(contents, "user", userParts(m.content, i));
        break;
      case "assistant":
        append(contents, "model", assistantParts(m, i, callNames, opts, gemini3));
        break;
      case "tool":
      case "function":
        append(contents, "user", [functionResponsePart(m, i, callNames, opts)]);
        break;
    }
  }
  // Gemini requires at least one turn; a system-only conversation gets an empty-looking one
  if (contents.length === 0) contents.push({ role: "user", parts: [{ text: " " }] });
  return { system, contents };
}

/** Adds a turn, merged into the previous one when the role repeats (parallel tool results). */
function append(contents: GeminiContent[], role: "user" | "model", parts: GeminiPart[]): void {
  if (parts.length === 0) return;
  const last = contents[contents.length - 1];
  if (last && last.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

function textOnly(content: unknown, param: string): GeminiPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  const parts: GeminiPart[] = [];
  for (const p of content as { type?: string; text?: unknown }[]) {
    if (p?.type !== "text" || typeof p.text !== "string") throw badRequest(param, `'${param}' may only contain text parts`);
    if (p.text !== "") parts.push({ text: p.text });
  }
  return parts;
}

function userParts(content: unknown, i: number): GeminiPart[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  if (!Array.isArray(content)) return [];
  const parts: GeminiPart[] = [];
  content.forEach((raw, j) => {
    const p = raw as Record<string, any>;
    const param = `messages[${i}].content[${j}]`;
    switch (p?.type) {
      case "text":
        if (typeof p.text === "string" && p.text !== "") parts.push({ text: p.text });
        break;
      case "image_url": {
        const url = typeof p.image_url === "string" ? p.image_url : p.image_url?.url;
        if (typeof url !== "string" || url === "") throw badRequest(param, `'${param}.image_url.url' must be a URL`);
        parts.push(mediaPart(url, `${param}.image_url.url`));
        break;
      }
      case "input_audio": {
        const { data, format } = p.input_audio ?? {};
        if (typeof data !== "string" || typeof format !== "string") throw badRequest(param, `'${param}.input_audio' needs 'data' and 'format'`);
        parts.push({ inlineData: { mimeType: `audio/${format}`, data } });
        break;
      }
      case "file": {
        const data = p.file?.file_data;
        if (typeof data !== "string") throw badRequest(param, `'${param}': Gemini needs the file inline as 'file.file_data' (file ids are OpenAI's)`);
        parts.push(mediaPart(data, `${param}.file.file_data`));
        break;
      }
      default:
        throw badRequest(param, `content part type '${String(p?.type)}' is not supported for Gemini`);
    }
  });
  return parts;
}

/** A data: URL inline, any other URL by reference (Gemini fetches http(s) and gs:// itself). */
function mediaPart(url: string, param: string): GeminiPart {
  const data = parseDataUrl(url, param);
  if (data) return { inlineData: { mimeType: data.mediaType, data: data.data } };
  return { fileData: { mimeType: mimeFromExtension(url), fileUri: url } };
}

function mimeFromExtension(url: string): string {
  // an image_url without a telling extension is most likely a JPEG (Gemini requires a type)
  return mediaTypeFromExtension(url) ?? "image/jpeg";
}

function assistantParts(m: ChatMessage, i: number, callNames: Map<string, string>, opts: GeminiRequestOptions, gemini3: boolean): GeminiPart[] {
  const parts: GeminiPart[] = [];
  if (typeof m.content === "string") {
    if (m.content !== "") parts.push({ text: m.content });
  } else if (Array.isArray(m.content)) {
    for (const p of m.content as { type?: string; text?: unknown; refusal?: unknown }[]) {
      if (p?.type === "text" && typeof p.text === "string" && p.text !== "") parts.push({ text: p.text });
      else if (p?.type === "refusal" && typeof p.refusal === "string" && p.refusal !== "") parts.push({ text: p.refusal });
    }
  }
  const textSignature = signatureOf(m);
  if (textSignature && parts.length > 0) parts[parts.length - 1]!.thoughtSignature = textSignature;

  const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
  let signed = false;
  const callParts: GeminiPart[] = [];
  calls.forEach((raw, j) => {
    const call = raw as { id?: unknown; type?: unknown; function?: { name?: unknown; arguments?: unknown } };
    const param = `messages[${i}].tool_calls[${j}]`;
    const name = call?.function?.name;
    if (typeof name !== "string" || name === "") throw badRequest(param, `'${param}.function.name' must be a string`);
    const functionCall: NonNullable<GeminiPart["functionCall"]> = { name, args: toolArguments(call.function?.arguments, `${param}.function.arguments`) };
    if (typeof call.id === "string") {
      callNames.set(call.id, name);
      if (opts.includeCallIds) functionCall.id = call.id;
    }
    const part: GeminiPart = { functionCall };
    const signature = signatureOf(call);
    if (signature) {
      part.thoughtSignature = signature;
      signed = true;
    }
    callParts.push(part);
  });
  if (gemini3 && callParts.length > 0 && !signed) callParts[0]!.thoughtSignature = SKIP_SIGNATURE_CHECK;
  parts.push(...callParts);
  return parts;
}

function functionResponsePart(m: ChatMessage, i: number, callNames: Map<string, string>, opts: GeminiRequestOptions): GeminiPart {
  const id = typeof m.tool_call_id === "string" ? m.tool_call_id : undefined;
  const name = (id !== undefined ? callNames.get(id) : undefined) ?? (typeof m.name === "string" ? m.name : undefined);
  if (!name) {
    throw badRequest(
      `messages[${i}].tool_call_id`,
      `'messages[${i}].tool_call_id' (${id ?? "missing"}) does not match a tool call of an earlier assistant message; Gemini needs the function name`,
    );
  }
  const text = contentText(m.content);
  const functionResponse: NonNullable<GeminiPart["functionResponse"]> = { name, response: responseObject(text) };
  if (opts.includeCallIds && id !== undefined) functionResponse.id = id;
  return { functionResponse };
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return (content as { type?: string; text?: unknown }[])
    .map((p) => (p?.type === "text" && typeof p.text === "string" ? p.text : ""))
    .join("");
}

/** Gemini wants an object: a JSON object result as is, anything else under `output` (its documented key). */
function responseObject(text: string): Record<string, unknown> {
  const t = text.trimStart();
  if (t.startsWith("{")) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed;
    } catch {
      // not JSON after all: sent as text
    }
  }
  return { output: text };
}

// ---------------------------------------------------------------------------------------------
// tools

function functionDeclarations(tools: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(tools) || tools.length === 0) return undefined;
  return tools.map((raw, i) => {
    const t = raw as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } };
    if (t?.type !== "function" || typeof t.function?.name !== "string") {
      throw badRequest(`tools[${i}]`, `'tools[${i}]': Gemini supports function tools only`);
    }
    const decl: Record<string, unknown> = { name: t.function.name };
    if (typeof t.function.description === "string") decl.description = t.function.description;
    const parameters = reduceParameters(t.function.parameters);
    if (parameters) decl.parameters = parameters;
    return decl;
  });
}

function functionCallingConfig(choice: unknown): Record<string, unknown> | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none") return { mode: "NONE" };
  if (choice === "auto") return { mode: "AUTO" };
  if (choice === "required") return { mode: "ANY" };
  const c = choice as { type?: unknown; function?: { name?: unknown }; allowed_tools?: { mode?: unknown; tools?: unknown } };
  if (c?.type === "function" && typeof c.function?.name === "string") {
    return { mode: "ANY", allowedFunctionNames: [c.function.name] };
  }
  if (c?.type === "allowed_tools" && Array.isArray(c.allowed_tools?.tools)) {
    const names = (c.allowed_tools.tools as { function?: { name?: unknown } }[])
      .map((t) => t?.function?.name)
      .filter((n): n is string => typeof n === "string");
    return { mode: c.allowed_tools.mode === "required" ? "ANY" : "AUTO", allowedFunctionNames: names };
  }
  throw badRequest("tool_choice", "'tool_choice' must be none, auto, required or a function");
}

// ---------------------------------------------------------------------------------------------
// generation parameters

function generationConfig(req: ChatRequest, model: string): Record<string, unknown> | undefined {
  const g: Record<string, unknown> = {};
  const set = (to: string, v: unknown) => {
    if (typeof v === "number") g[to] = v;
  };
  set("temperature", req.temperature);
  set("topP", req.top_p);
  set("topK", req.top_k);
  set("maxOutputTokens", requestedMaxTokens(req)?.value);
  if (takesPenalties(model)) {
    set("presencePenalty", req.presence_penalty);
    set("frequencyPenalty", req.frequency_penalty);
  }
  set("seed", req.seed);
  const stop = stopSequences(req);
  if (stop) g.stopSequences = stop;

  const format = req.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined | null;
  if (format?.type === "json_object") g.responseMimeType = "application/json";
  else if (format?.type === "json_schema") {
    g.responseMimeType = "application/json";
    if (format.json_schema?.schema !== undefined) g.responseSchema = reduceSchema(format.json_schema.schema);
  }

  const thinking = thinkingConfig(reasoningEffort(req), model);
  if (thinking) g.thinkingConfig = thinking;
  return Object.keys(g).length > 0 ? g : undefined;
}

/**
 * Gemini 2.5 and later refuse penalties with 400 "Penalty is not enabled for models/gemini-2.5-flash"
 * (Google's forum: only gemini-2.0-flash takes them), a penalty of 0 included once it is set; many
 * OpenAI clients send `presence_penalty` and `frequency_penalty`. Left out for those models.
 */
function takesPenalties(model: string): boolean {
  return !/gemini-(2\.[5-9]|[3-9])/.test(model);
}

/**
 * Gemini 2.5 thinking budgets per effort (valid for Flash and Pro alike). Deliberately not
 * Claude's table: Gemini's scale is larger (Flash thinks up to 24576 tokens, Google's own
 * OpenAI-compatible endpoint maps high to that).
 */
const BUDGET: Readonly<Record<ThinkingEffort, number>> = { minimal: 1024, low: 1024, medium: 8192, high: 24576, xhigh: 24576, max: 24576 };

/**
 * `reasoning_effort` (validated by the shared rule) -> thinking: Gemini 3 takes a level (minimal
 * to high, so xhigh and max ask for high), 2.5 a token budget; thought summaries are asked for so they
 * come back as `reasoning_content`. `none` turns thinking off where Gemini can (a zero budget on
 * 2.5 Flash and Flash-Lite, as Google's own OpenAI endpoint does); elsewhere it leaves the model's
 * default, since 2.5 Pro rejects a zero budget and Gemini 3 has no level that does not think.
 */
function thinkingConfig(effort: ReasoningEffort | undefined, model: string): Record<string, unknown> | undefined {
  if (effort === "none") return model.includes("gemini-2.5") && !model.includes("pro") ? { thinkingBudget: 0 } : undefined;
  const e = thinkingEffort(effort);
  if (e === undefined) return undefined;
  if (model.includes("gemini-3")) return { thinkingLevel: clampEffort(e, "minimal", "high"), includeThoughts: true };
  return { thinkingBudget: BUDGET[e], includeThoughts: true };
}
