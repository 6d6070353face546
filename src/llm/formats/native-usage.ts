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
/**
 * The longest event line the tap holds while it waits for the line's end (an image inline in an
 * event is a few MB); a longer one is skipped to its end. The bytes go to the client regardless:
 * this bounds only what the tap keeps, which an upstream's endless line made grow without end.
 */
const MAX_LINE = 32 << 20;

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
  /** the unfinished line so far; `skipping`: it passed MAX_LINE and is dropped up to its end */
  let line = "";
  let skipping = false;
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
      // each read scanned once: the held line is joined with its end only (a re-split of all of it
      // on every read made a long line quadratic)
      let from = 0;
      for (let nl = text.indexOf("\n"); nl !== -1; nl = text.indexOf("\n", from)) {
        const l = skipping ? "" : line + text.slice(from, nl);
        line = "";
        skipping = false;
        if (l.startsWith("data:") && l.includes(marker)) parse(l.slice(5));
        from = nl + 1;
      }
      if (skipping) return;
      line += text.slice(from);
      if (line.length > MAX_LINE) {
        line = "";
        skipping = true;
      }
    },
    end() {
      if (sse === false) parse(json);
      else if (!skipping && line.startsWith("data:") && line.includes(marker)) parse(line.slice(5));
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
