/**
 * The hub request of a non-OpenAI client, fitted to one provider before its translation: what
 * the provider would refuse is taken out, what it can use is put where it reads it.
 *
 *   OpenAI-format providers   the gateway's extension fields go (cache_control, thinking_blocks,
 *                             thinking, server tools) with the fields the reader derived
 *                             (HubRead.derived: an effort OpenAI refuses on models that do not
 *                             reason); streams ask for usage (stream_options.include_usage),
 *                             which the client's writer reports; fields the server or the
 *                             model refuses go or are renamed (dialect.ts)
 *   Claude translators        everything stays (Anthropic, Claude on Vertex): server tools
 *   (Anthropic, Vertex)       included, cache_control and signed thinking replayed; the
 *                             client's anthropic-beta header goes on as it is (headers.ts)
 *   Bedrock                   server tools go (Converse takes function tools only); for Claude
 *                             models the client's anthropic-beta flags that Bedrock knows go in
 *                             additionalModelRequestFields.anthropic_beta
 *   others (Gemini)           server tools go; cache_control and thinking blocks are ignored by
 *                             the translator
 */
import type { ProviderTarget } from "../../config/model.ts";
import { modelFamily } from "../providers/bedrock/model-id.ts";
import { isClaude } from "../providers/vertex/index.ts";
import { bodyDraft } from "../../policies/chain.ts";
import type { ChatMessage, ChatRequest, OpenAIDialect } from "../types.ts";
import { openaiToolCallId, withFittedToolCallIds } from "../providers/tool-call-ids.ts";
import { fitDialect, fitForReasoningModel, isOpenAIReasoningModel, takesStreamOptions } from "./dialect.ts";
import type { HubRead } from "./types.ts";

/** anthropic-beta flags Bedrock's Claude models accept (others are refused there). */
const BEDROCK_BETAS = /^(interleaved-thinking-|context-1m-|token-efficient-tools-|computer-use-|fine-grained-tool-streaming-)/;

export function adaptRequest(read: HubRead, req: ChatRequest, target: ProviderTarget, model: string, headers: Headers): ChatRequest {
  const provider = target.provider;
  if (!provider.chat) return forOpenAIFormat(read, req, model, provider.openaiDialect);
  if (speaksMessages(target, model)) return req;
  const out = withFunctionToolsOnly(req);
  if (provider.telemetryName === "aws.bedrock" && modelFamily(model) === "anthropic") {
    const betas = (headers.get("anthropic-beta") ?? "").split(",").map((b) => b.trim()).filter((b) => BEDROCK_BETAS.test(b));
    if (betas.length > 0) out.additionalModelRequestFields = { ...(out.additionalModelRequestFields as object | undefined), anthropic_beta: betas };
  }
  return out;
}

/** The target's translation is Anthropic Messages (Anthropic itself, Claude on Vertex's rawPredict). */
export function speaksMessages(target: ProviderTarget, model: string): boolean {
  const name = target.provider.telemetryName;
  return name === "anthropic" || (name === "gcp.vertex_ai" && isClaude(model));
}

function withFunctionToolsOnly(req: ChatRequest): ChatRequest {
  if (!Array.isArray(req.tools)) return { ...req };
  const tools = (req.tools as { type?: unknown }[]).filter((t) => t?.type === "function");
  const out: ChatRequest = { ...req, tools };
  if (tools.length === 0) {
    delete out.tools;
    delete out.tool_choice;
  }
  return out;
}

function forOpenAIFormat(read: HubRead, req: ChatRequest, model: string, dialect: OpenAIDialect | undefined): ChatRequest {
  const out = withFunctionToolsOnly(req);
  const reasoning = isOpenAIReasoningModel(model);
  // (a reasoning model takes the derived effort: fitForReasoningModel below)
  for (const k of read.derived ?? []) if (!(reasoning && k === "reasoning_effort")) delete out[k];
  delete out.thinking;
  if (Array.isArray(out.tools)) out.tools = (out.tools as Record<string, unknown>[]).map(({ cache_control: _c, ...t }) => t);
  // tool call ids from other providers, fitted to OpenAI's 40 characters (a dialect's own rule is applied below)
  out.messages = withFittedToolCallIds(req.messages.map(plainMessage), openaiToolCallId);
  if (out.stream === true && takesStreamOptions(dialect)) out.stream_options = { include_usage: true };
  if (!reasoning && !dialect) return out;
  const draft = bodyDraft(out);
  if (reasoning) fitForReasoningModel(draft);
  if (dialect) fitDialect(draft, dialect);
  return draft.body as ChatRequest;
}

/** A message without the gateway's extension fields (Anthropic's cache markers, signed thinking). */
function plainMessage(m: ChatMessage): ChatMessage {
  const { cache_control: _c, thinking_blocks: _t, ...rest } = m;
  if (Array.isArray(rest.content)) rest.content = (rest.content as Record<string, unknown>[]).map(({ cache_control: _p, ...part }) => part);
  return rest;
}
