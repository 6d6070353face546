/**
 * Token usage read from answers passed through in the client's own format (Messages on
 * Anthropic, Responses on OpenAI, generateContent on Gemini), so the access log, metrics and
 * token limits see them as they see translated answers. The bytes go on untouched; the tap only
 * looks at the events that carry usage:
 *   Anthropic   message_start and message_delta `usage` (folded: later events update counts)
 *   Responses   response.completed / response.incomplete `response.usage`
 *   Gemini      the latest `usageMetadata` (cumulative)
 * A JSON (non-streamed) answer is read whole at its end (up to 8 MiB).
 */
import { emptyTokens, readTokens, toUsage } from "../providers/anthropic/usage.ts";
import { usageOf } from "../providers/gemini/response.ts";
import type { RouteType, Usage } from "../types.ts";

const MAX_JSON = 8 << 20;

export interface UsageTap {
  push(chunk: Uint8Array): void;
  /** the usage seen, once the body ended */
  end(): Usage | undefined;
  readonly model: string | undefined;
}

type Reader = (obj: Record<string, any>) => void;

export function nativeUsageTap(route: RouteType): UsageTap | undefined {
  const marker = route === "messages" ? '"usage"' : route === "responses" ? '"response.completed"' : route === "generateContent" ? '"usageMetadata"' : undefined;
  if (!marker) return undefined;
  const decoder = new TextDecoder();
  const tokens = emptyTokens();
  let usage: Usage | undefined;
  let model: string | undefined;
  let line = "";
  let json = "";
  let sse: boolean | undefined;
  const read: Reader = (o) => {
    if (route === "messages") {
      const message = o.type === "message_start" ? o.message : o.type === "message" ? o : undefined;
      if (typeof message?.model === "string") model = message.model;
      const raw = message ? message.usage : o.usage;
      if (raw) usage = toUsage(readTokens(tokens, raw));
    } else if (route === "responses") {
      const r = o.response ?? o;
      if (typeof r.model === "string") model = r.model;
      if (r.usage) usage = responsesUsage(r.usage);
    } else {
      if (typeof o.modelVersion === "string") model = o.modelVersion;
      usage = usageOf(o.usageMetadata) ?? usage;
    }
  };
  const parse = (text: string) => {
    try {
      const o = JSON.parse(text) as unknown;
      if (o && typeof o === "object") read(o as Record<string, any>);
    } catch {
      // not this tap's business: the bytes went to the client as they were
    }
  };
  return {
    push(chunk) {
      const text = decoder.decode(chunk, { stream: true });
      sse ??= /^\s*(data:|event:|:)/.test(text);
      if (!sse) {
        if (json.length < MAX_JSON) json += text;
        return;
      }
      const lines = (line + text).split("\n");
      line = lines.pop()!;
      for (const l of lines) if (l.startsWith("data:") && l.includes(marker)) parse(l.slice(5));
    },
    end() {
      if (sse === false) parse(json);
      else if (line.startsWith("data:") && line.includes(marker)) parse(line.slice(5));
      return usage;
    },
    get model() {
      return model;
    },
  };
}

function responsesUsage(u: Record<string, any>): Usage {
  const out: Usage = { inputTokens: u.input_tokens ?? 0, outputTokens: u.output_tokens ?? 0, totalTokens: u.total_tokens ?? (u.input_tokens ?? 0) + (u.output_tokens ?? 0) };
  if (typeof u.input_tokens_details?.cached_tokens === "number") out.cachedInputTokens = u.input_tokens_details.cached_tokens;
  if (typeof u.output_tokens_details?.reasoning_tokens === "number") out.reasoningTokens = u.output_tokens_details.reasoning_tokens;
  return out;
}
