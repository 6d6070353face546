/**
 * Shape checks on an OpenAI chat request, done before anything reaches an upstream: wrong types
 * get a 400 naming the parameter, the way OpenAI itself answers. Only the top level and message
 * roles are checked; the rest is the provider's (or translator's) business.
 */
import { badRequest } from "../http/errors.ts";
import type { ChatRequest } from "./types.ts";

const NUMERIC = ["temperature", "top_p", "max_tokens", "max_completion_tokens", "n", "presence_penalty", "frequency_penalty", "seed", "top_logprobs"] as const;
const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/** The body as a chat request (its `model` may still be missing: a pinned model can supply it). */
export function checkChatRequest(body: Record<string, unknown>): ChatRequest {
  if (body.model !== undefined && typeof body.model !== "string") throw badRequest("model", "'model' must be a string");
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw badRequest("messages", messages === undefined ? "missing required parameter 'messages'" : "'messages' must be a non-empty array");
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as { role?: unknown } | null;
    if (m === null || typeof m !== "object" || Array.isArray(m)) throw badRequest(`messages[${i}]`, `'messages[${i}]' must be an object`);
    if (typeof m.role !== "string" || !ROLES.has(m.role)) {
      throw badRequest(`messages[${i}].role`, `'messages[${i}].role' must be one of system, developer, user, assistant, tool`);
    }
  }
  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== "boolean") throw badRequest("stream", "'stream' must be a boolean");
  const so = body.stream_options;
  if (so !== undefined && so !== null && (typeof so !== "object" || Array.isArray(so))) throw badRequest("stream_options", "'stream_options' must be an object");
  if (body.tools !== undefined && body.tools !== null && !Array.isArray(body.tools)) throw badRequest("tools", "'tools' must be an array");
  for (const k of NUMERIC) {
    const v = body[k];
    if (v !== undefined && v !== null && (typeof v !== "number" || !Number.isFinite(v))) throw badRequest(k, `'${k}' must be a number`);
  }
  return body as ChatRequest;
}

/** The output cap sent when the client sets none, to providers that require one (Anthropic, Bedrock): agentgateway's default. */
export const DEFAULT_MAX_TOKENS = 4096;

/** The client's output cap: `max_completion_tokens` (OpenAI's current name), else the older `max_tokens`. */
export function requestedMaxTokens(req: ChatRequest): { value: number; param: "max_completion_tokens" | "max_tokens" } | undefined {
  if (typeof req.max_completion_tokens === "number") return { value: req.max_completion_tokens, param: "max_completion_tokens" };
  if (typeof req.max_tokens === "number") return { value: req.max_tokens, param: "max_tokens" };
  return undefined;
}

/** `stop` as a list of stop sequences (a string is one; non-strings are skipped); undefined when none. */
export function stopSequences(req: ChatRequest): string[] | undefined {
  const stop = typeof req.stop === "string" ? [req.stop] : Array.isArray(req.stop) ? req.stop.filter((s): s is string => typeof s === "string") : [];
  return stop.length > 0 ? stop : undefined;
}

/**
 * The translated providers answer with one choice: `n` other than 1 would change the meaning of
 * the request, so it is refused (OpenAI's own lower bound is 1) rather than silently ignored.
 */
export function requireSingleChoice(req: ChatRequest, provider: string): void {
  if (req.n !== undefined && req.n !== null && req.n !== 1) {
    throw badRequest("n", `${provider} returns one choice per request: 'n' must be 1 (send one request per choice)`, "unsupported_value");
  }
}
