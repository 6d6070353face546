/**
 * OpenAI chat-completion chunks -> hub parts. OpenAI-format answers normally pass through
 * untouched (src/llm/stream/pipeline.ts); this reading is for when a response guard must see the
 * answer's text before the client does. Only the first choice is read. (The client-format work
 * brings a faster reader of the same chunks; this one gives way to it when both are in.)
 *
 *   first chunk             start(id, model)
 *   delta.content           text
 *   delta.reasoning_content reasoning (also `reasoning`, as vLLM and OpenRouter send it)
 *   delta.tool_calls[i]     toolCall on its first fragment (id and name), then toolArgs
 *   finish_reason           finish (`function_call` is `tool_calls`)
 *   usage                   usage
 *   {"error": ...}          fail, with the error's status, type and code
 *   [DONE]                  end
 */
import { literal, trustedLiteral, type FinishReason, type HubWriter, type ByteTranslator } from "../hub/parts.ts";
import { framed } from "../stream/framed.ts";
import { sseFrames } from "../stream/sse.ts";
import type { SseEvent } from "../types.ts";
import { usageFromOpenAI } from "../usage.ts";

interface Delta {
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: { index?: unknown; id?: unknown; function?: { name?: unknown; arguments?: unknown } }[];
}

interface Chunk {
  id?: unknown;
  model?: unknown;
  choices?: { index?: unknown; delta?: Delta; finish_reason?: unknown }[];
  usage?: unknown;
  error?: { message?: unknown; type?: unknown; code?: unknown; status?: unknown };
}

const FINISH: Record<string, FinishReason> = { stop: "stop", length: "length", tool_calls: "tool_calls", function_call: "tool_calls", content_filter: "content_filter" };

export function openaiStreamTranslator(out: HubWriter): ByteTranslator {
  let started = false;
  let finished = false;
  const tools = new Set<number>();
  const fail = (message: string, status?: number, code?: string) => {
    finished = true;
    out.fail({ kind: "provider", message, ...(status ? { status } : {}), ...(code ? { providerCode: code } : {}) });
  };
  const frame = (e: SseEvent) => {
    if (e.data === "[DONE]") {
      finished = true;
      return out.end();
    }
    const fast = started ? contentOnly(e.data) : undefined;
    if (fast !== undefined) {
      if (fast.length > 2) out.text(trustedLiteral(fast));
      return;
    }
    let chunk: Chunk;
    try {
      chunk = JSON.parse(e.data) as Chunk;
    } catch {
      finished = true;
      return out.fail({ kind: "invalid", message: "upstream sent an event that is not JSON" });
    }
    if (chunk.error) {
      const err = chunk.error;
      return fail(typeof err.message === "string" ? err.message : "upstream error", typeof err.status === "number" ? err.status : undefined, typeof err.code === "string" ? err.code : undefined);
    }
    if (!started) {
      started = true;
      out.start({ id: typeof chunk.id === "string" ? chunk.id : undefined, model: typeof chunk.model === "string" ? chunk.model : undefined });
    }
    const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
    if (choice?.delta) delta(choice.delta, out, tools);
    if (typeof choice?.finish_reason === "string") out.finish(FINISH[choice.finish_reason] ?? "stop");
    const usage = usageFromOpenAI(chunk.usage);
    if (usage) out.usage(usage);
  };
  return framed(sseFrames(), {
    frame,
    end: () => {
      if (!finished) out.fail({ kind: "incomplete", message: "upstream stream ended without [DONE]" });
      finished = true;
    },
    get finished() {
      return finished;
    },
  }, out);
}

const CONTENT = '"choices":[{"index":0,"delta":{"content":"';
const AFTER = '},"logprobs":null,"finish_reason":null}]';
const USAGE_NULL = ',"usage":null}';

/**
 * The content literal of a chunk that carries nothing else (OpenAI's own serialisation of a
 * text delta), cut out without a parse; undefined for any other chunk.
 */
function contentOnly(data: string): string | undefined {
  const at = data.indexOf(CONTENT);
  if (at === -1) return undefined;
  const start = at + CONTENT.length - 1;
  let i = start + 1;
  for (;;) {
    const q = data.indexOf('"', i);
    if (q === -1) return undefined;
    let slashes = 0;
    while (data.charCodeAt(q - 1 - slashes) === 92) slashes++;
    if (slashes % 2 === 0) {
      i = q;
      break;
    }
    i = q + 1;
  }
  if (!data.startsWith(AFTER, i + 1)) return undefined;
  const tail = data.length - (i + 1 + AFTER.length);
  return tail === 1 || (tail === USAGE_NULL.length && data.endsWith(USAGE_NULL)) ? data.slice(start, i + 1) : undefined;
}

function delta(d: Delta, out: HubWriter, tools: Set<number>): void {
  const reasoning = typeof d.reasoning_content === "string" ? d.reasoning_content : typeof d.reasoning === "string" ? d.reasoning : "";
  if (reasoning !== "") out.reasoning(literal(reasoning));
  if (typeof d.content === "string" && d.content !== "") out.text(literal(d.content));
  for (const tc of d.tool_calls ?? []) {
    const index = typeof tc.index === "number" ? tc.index : 0;
    const args = typeof tc.function?.arguments === "string" ? tc.function.arguments : "";
    if (!tools.has(index)) {
      tools.add(index);
      const id = typeof tc.id === "string" ? tc.id : `call_${index}`;
      out.toolCall({ index, id, name: typeof tc.function?.name === "string" ? tc.function.name : "" });
    }
    if (args !== "") out.toolArgs(index, literal(args));
  }
}
