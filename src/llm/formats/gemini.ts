/**
 * Gemini-native clients (`/v1beta/models/{m}:generateContent`, `:streamGenerateContent?alt=sse`,
 * the `/v1/...` and Vertex paths alike: google-genai, Gemini CLI) -> the hub request, for
 * providers that do not speak Gemini (Gemini and Vertex are passthroughs).
 *
 *   the model and the action            from the path (streaming: streamGenerateContent)
 *   systemInstruction                   a system message
 *   contents user / model               user / assistant messages; text, inlineData (data: URL),
 *                                       fileData (its URI) as text / image_url / file parts
 *   functionCall parts                  tool_calls (the call's id, or `call_<turn>_<n>` made up);
 *                                       their thoughtSignature is not read: Gemini's own, or
 *                                       the gateway's `agw1.n.` ("no signature"), no other
 *                                       provider could take
 *   functionResponse parts              tool messages, matched to their call by id, else by name
 *   thought parts with the gateway's    thinking_blocks (their text is the turn's thought text);
 *   signature envelope                  the envelope in base64 (either alphabet, as the SDKs
 *                                       send it back) or as text (histories from before:
 *                                       hub/thought-signature.ts); other thoughts and
 *                                       signatures are Gemini's own: dropped
 *   tools.functionDeclarations          function tools (`parameters` OpenAPI types lower-cased,
 *                                       `parametersJsonSchema` as is); other tools dropped
 *   toolConfig.functionCallingConfig    tool_choice (AUTO, ANY (one allowed name: that tool), NONE)
 *   generationConfig                    temperature, top_p, top_k, max_tokens, stop, seed,
 *                                       penalties, candidateCount -> n, JSON output ->
 *                                       response_format, thinkingConfig -> reasoning_effort
 * Dropped: safetySettings, cachedContent, labels (Gemini's own).
 */
import { badRequest, HttpError } from "../../http/errors.ts";
import { geminiResponse, geminiWriter } from "../hub/gemini-writer.ts";
import type { ThinkingBlock } from "../hub/parts.ts";
import { openEnvelope } from "../hub/thinking-envelope.ts";
import { envelopeInThoughtSignature } from "../hub/thought-signature.ts";
import { modelFromPath } from "../requested-model.ts";
import type { ChatMessage, ChatRequest } from "../types.ts";
import { effortForBudget } from "./anthropic.ts";
import type { ClientFormat, HubRead, ReadContext } from "./types.ts";

type Obj = Record<string, unknown>;

export const geminiFormat: ClientFormat = {
  name: "gemini",
  nativeRoute: "generateContent",
  read: readGenerateContent,
  writer: geminiWriter,
  whole: geminiResponse,
};

/** Fields the reader derives (adapt.ts takes them out for OpenAI-format providers): made once, not per request. */
const DERIVED = ["reasoning_effort", "top_k"] as const;

/** Whether a Gemini path asks for a stream. */
export function isStreamAction(path: string): boolean {
  return path.endsWith(":streamGenerateContent");
}

export function readGenerateContent(body: Obj, from: ReadContext): HubRead {
  const model = modelFromPath(from.path);
  if (model === undefined) throw badRequest("model", "the path names no model (/v1beta/models/{model}:generateContent)");
  if (!Array.isArray(body.contents)) throw badRequest("contents", "* GenerateContentRequest.contents: contents is not specified");
  const messages: ChatMessage[] = [];
  const system = body.systemInstruction as { parts?: unknown } | string | undefined;
  const systemText = typeof system === "string" ? system : partsOf(system).map((p) => (typeof p.text === "string" ? p.text : "")).join("");
  if (systemText !== "") messages.push({ role: "system", content: systemText });
  new ContentsReader(messages).contents(body.contents as Obj[]);
  const req: ChatRequest = { model, messages };
  tools(body, req);
  generation(body.generationConfig as Obj | undefined, req);
  const stream = isStreamAction(from.path);
  if (stream) req.stream = true;
  const read: HubRead = { request: req, stream, derived: DERIVED };
  // without alt=sse Gemini streams one JSON array, not events; only Gemini itself answers that (agentgateway's rule)
  if (stream && new URLSearchParams(from.query).get("alt") !== "sse") {
    read.stream = false;
    read.nativeOnly = new HttpError(400, "streamGenerateContent needs ?alt=sse for this provider (server-sent events)", { code: "unsupported_request" });
  }
  return read;
}

class ContentsReader {
  private turn = 0;
  /** calls not answered yet: id by name, oldest first */
  private readonly open = new Map<string, string[]>();

  constructor(private readonly out: ChatMessage[]) {}

  contents(contents: Obj[]): void {
    contents.forEach((c, i) => {
      const parts = partsOf(c);
      if (c?.role === "model") this.model(parts);
      else this.user(parts, `contents[${i}]`);
      this.turn++;
    });
  }

  private model(parts: Obj[]): void {
    let text = "";
    let thought = "";
    const calls: unknown[] = [];
    const blocks: ThinkingBlock[] = [];
    for (const p of parts) {
      if (p.thought === true) {
        if (typeof p.text === "string") thought += p.text;
        const block = openEnvelope(envelopeInThoughtSignature(p.thoughtSignature), thought);
        if (block) {
          blocks.push(block);
          thought = "";
        }
      } else if (p.functionCall && typeof p.functionCall === "object") {
        const fc = p.functionCall as { name?: unknown; args?: unknown; id?: unknown };
        if (typeof fc.name !== "string") continue;
        const id = typeof fc.id === "string" && fc.id !== "" ? fc.id : `call_${this.turn}_${calls.length}`;
        const open = this.open.get(fc.name);
        if (open) open.push(id);
        else this.open.set(fc.name, [id]);
        calls.push({ id, type: "function", function: { name: fc.name, arguments: JSON.stringify(fc.args ?? {}) } });
      } else if (typeof p.text === "string") text += p.text;
    }
    const m: ChatMessage = { role: "assistant", content: text !== "" ? text : null };
    if (calls.length > 0) m.tool_calls = calls;
    if (blocks.length > 0) m.thinking_blocks = blocks;
    if (text !== "" || calls.length > 0 || blocks.length > 0) this.out.push(m);
  }

  private user(parts: Obj[], where: string): void {
    const content: Obj[] = [];
    for (const p of parts) {
      if (p.functionResponse && typeof p.functionResponse === "object") {
        const fr = p.functionResponse as { name?: unknown; response?: unknown; id?: unknown };
        const id = this.callId(fr.id, fr.name);
        if (!id) throw badRequest(where, `${where}: a functionResponse answers no earlier functionCall (name ${String(fr.name)})`);
        this.out.push({ role: "tool", tool_call_id: id, content: responseText(fr.response) });
      } else if (typeof p.text === "string" && p.thought !== true) {
        if (p.text !== "") content.push({ type: "text", text: p.text });
      } else if (p.inlineData && typeof p.inlineData === "object") {
        const d = p.inlineData as { mimeType?: unknown; data?: unknown };
        content.push(mediaPart(`data:${String(d.mimeType)};base64,${String(d.data)}`, String(d.mimeType)));
      } else if (p.fileData && typeof p.fileData === "object") {
        const d = p.fileData as { mimeType?: unknown; fileUri?: unknown };
        content.push(mediaPart(String(d.fileUri), String(d.mimeType ?? "")));
      }
    }
    if (content.length === 0) return;
    this.out.push({ role: "user", content: content.every((c) => c.type === "text") ? content.map((c) => c.text as string).join("\n") : content });
  }

  /** The id of the call a response answers: its own id, else the oldest open call of that name. */
  private callId(id: unknown, name: unknown): string | undefined {
    const ids = typeof name === "string" ? this.open.get(name) : undefined;
    if (typeof id === "string" && id !== "") {
      const at = ids ? ids.indexOf(id) : -1;
      if (at !== -1) ids!.splice(at, 1);
      return id;
    }
    return ids?.shift();
  }
}

/** The parts of a content (or of the system instruction) that are objects: others carry nothing to read. */
function partsOf(content: unknown): Obj[] {
  const parts = (content as { parts?: unknown } | null | undefined)?.parts;
  return Array.isArray(parts) ? (parts as unknown[]).filter((p): p is Obj => p !== null && typeof p === "object") : [];
}

function mediaPart(url: string, mimeType: string): Obj {
  return mimeType.startsWith("image/") ? { type: "image_url", image_url: { url } } : { type: "file", file: { file_data: url } };
}

/** A function response's content: `output` / `content` when it is text, else the JSON. */
function responseText(response: unknown): string {
  const r = response as { output?: unknown; content?: unknown } | undefined;
  if (typeof r?.output === "string") return r.output;
  if (typeof r?.content === "string") return r.content;
  return JSON.stringify(response ?? {});
}

/** OpenAPI-style schemas (`type: "OBJECT"`) as JSON schema (lower-case types), recursively. */
export function jsonSchemaOf(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchemaOf);
  if (!schema || typeof schema !== "object") return schema;
  const out: Obj = {};
  for (const [k, v] of Object.entries(schema as Obj)) out[k] = k === "type" && typeof v === "string" ? v.toLowerCase() : jsonSchemaOf(v);
  return out;
}

function tools(body: Obj, req: ChatRequest): void {
  const out: Obj[] = [];
  for (const t of Array.isArray(body.tools) ? (body.tools as Obj[]) : []) {
    for (const d of Array.isArray(t?.functionDeclarations) ? (t.functionDeclarations as Obj[]) : []) {
      if (typeof d?.name !== "string") continue;
      const parameters = d.parametersJsonSchema ?? (d.parameters ? jsonSchemaOf(d.parameters) : { type: "object", properties: {} });
      out.push({ type: "function", function: { name: d.name, ...(typeof d.description === "string" ? { description: d.description } : {}), parameters } });
    }
  }
  if (out.length > 0) req.tools = out;
  const config = (body.toolConfig as { functionCallingConfig?: { mode?: unknown; allowedFunctionNames?: unknown } } | undefined)?.functionCallingConfig;
  const names = Array.isArray(config?.allowedFunctionNames) ? (config.allowedFunctionNames as string[]) : [];
  if (config?.mode === "NONE") req.tool_choice = "none";
  else if (config?.mode === "ANY") req.tool_choice = names.length === 1 ? { type: "function", function: { name: names[0] } } : "required";
  else if (config?.mode === "AUTO") req.tool_choice = "auto";
}

const LEVEL_EFFORT: Record<string, string> = { MINIMAL: "minimal", LOW: "low", MEDIUM: "medium", HIGH: "high" };

function generation(g: Obj | undefined, req: ChatRequest): void {
  if (!g) return;
  const copy: [string, string][] = [
    ["temperature", "temperature"],
    ["topP", "top_p"],
    ["topK", "top_k"],
    ["maxOutputTokens", "max_tokens"],
    ["seed", "seed"],
    ["presencePenalty", "presence_penalty"],
    ["frequencyPenalty", "frequency_penalty"],
    ["candidateCount", "n"],
  ];
  for (const [from, to] of copy) if (typeof g[from] === "number") req[to] = g[from];
  if (Array.isArray(g.stopSequences) && g.stopSequences.length > 0) req.stop = g.stopSequences;
  const schema = g.responseJsonSchema ?? (g.responseSchema ? jsonSchemaOf(g.responseSchema) : undefined);
  if (schema) req.response_format = { type: "json_schema", json_schema: { name: "output", schema } };
  else if (g.responseMimeType === "application/json") req.response_format = { type: "json_object" };
  const t = g.thinkingConfig as { thinkingBudget?: unknown; thinkingLevel?: unknown } | undefined;
  if (typeof t?.thinkingLevel === "string" && LEVEL_EFFORT[t.thinkingLevel.toUpperCase()]) req.reasoning_effort = LEVEL_EFFORT[t.thinkingLevel.toUpperCase()];
  else if (typeof t?.thinkingBudget === "number") req.reasoning_effort = t.thinkingBudget === 0 ? "none" : t.thinkingBudget < 0 ? "medium" : effortForBudget(t.thinkingBudget);
}
