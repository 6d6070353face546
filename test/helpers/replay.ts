/**
 * Replays recorded provider bytes through a translator and the OpenAI writer, cut into reads at
 * chosen positions, and reads the resulting OpenAI chunks back the way an SDK accumulates them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { openaiChunkWriter } from "../../src/llm/hub/openai-writer.ts";
import type { ByteTranslator, HubWriter } from "../../src/llm/hub/parts.ts";
import { translatedStream } from "../../src/llm/stream/relays.ts";
import type { StreamContext } from "../../src/llm/types.ts";

export const RECORDED = join(import.meta.dir, "..", "fixtures", "recorded");

export function recorded(path: string): Uint8Array {
  return new Uint8Array(readFileSync(join(RECORDED, path)));
}

export function recordedText(path: string): string {
  return readFileSync(join(RECORDED, path), "utf8");
}

export type MakeTranslator = (ctx: StreamContext, out: HubWriter) => ByteTranslator;

export function streamContext(headers: Record<string, string> = {}, includeUsage = true): StreamContext {
  return { model: "gateway-model", includeUsage, created: 1_764_000_000, upstreamHeaders: new Headers(headers) };
}

/** The bytes cut at `cuts` (ascending positions). */
export function cutAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const reads: Uint8Array[] = [];
  let from = 0;
  for (const c of cuts) {
    reads.push(bytes.subarray(from, c));
    from = c;
  }
  reads.push(bytes.subarray(from));
  return reads;
}

/** The bytes in reads of `size` bytes. */
export function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const reads: Uint8Array[] = [];
  for (let i = 0; i < bytes.byteLength; i += size) reads.push(bytes.subarray(i, i + size));
  return reads;
}

/** Translator and writer alone (synchronous): the client text for these reads. */
export function translate(make: MakeTranslator, reads: Uint8Array[], ctx = streamContext()): string {
  const writer = openaiChunkWriter(ctx);
  const t = make(ctx, writer);
  let out = "";
  for (const r of reads) {
    t.push(r);
    out += writer.take();
  }
  t.end();
  return out + writer.take();
}

/** The whole pipeline (as served): the client text, or the HttpError of a failure before content. */
export async function pipeline(make: MakeTranslator, reads: Uint8Array[], ctx = streamContext()): Promise<string> {
  const writer = openaiChunkWriter(ctx);
  const upstream = new ReadableStream<Uint8Array>({
    start(c) {
      for (const r of reads) c.enqueue(r);
      c.close();
    },
  });
  const body = await translatedStream({ upstream, translator: make(ctx, writer), writer, onEnd() {}, startedAt: performance.now(), answerAt: "content" });
  return new Response(body).text();
}

/** Random parts of an answer (generated ids) replaced, so two replays compare equal. */
export function normalised(text: string): string {
  return text.replace(/"chatcmpl-[0-9a-f-]{36}"/g, '"chatcmpl-X"').replace(/"call_[0-9a-f]{24}"/g, '"call_X"');
}

export interface ToolCall {
  index: number;
  id: string;
  name: string;
  arguments: string;
  extra?: unknown;
}

/** The answer as an SDK accumulates the chunks (and what it also checks on the way). */
export interface Answer {
  ids: Set<string>;
  models: Set<string>;
  roles: string[];
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  thinkingBlocks: unknown[];
  extra: unknown;
  finish: string | null;
  usage: unknown;
  error: { message: string; type: string; param: string | null; code: string; status: number } | undefined;
  done: boolean;
  /** every chunk before the finish chunk had finish_reason null; nothing followed [DONE] or an error */
  wellFormed: boolean;
}

interface Delta {
  role?: string;
  content?: string;
  reasoning_content?: string;
  tool_calls?: { index: number; id?: string; type?: string; function?: { name?: string; arguments?: string }; extra_content?: unknown }[];
  thinking_blocks?: unknown[];
  extra_content?: unknown;
}

export function answer(text: string): Answer {
  const a: Answer = { ids: new Set(), models: new Set(), roles: [], content: "", reasoning: "", toolCalls: [], thinkingBlocks: [], extra: undefined, finish: null, usage: undefined, error: undefined, done: false, wellFormed: true };
  if (!text.endsWith("\n\n")) a.wellFormed = false;
  for (const event of text.split("\n\n").filter((e) => e !== "")) {
    if (!event.startsWith("data: ") || a.done || a.error) a.wellFormed = false;
    const data = event.slice(6);
    if (data === "[DONE]") {
      a.done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { id?: string; model?: string; error?: Answer["error"]; choices?: { delta: Delta; finish_reason: string | null }[]; usage?: unknown };
    if (chunk.error) {
      a.error = chunk.error;
      continue;
    }
    a.ids.add(chunk.id!);
    a.models.add(chunk.model!);
    if (chunk.usage) a.usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    if (a.finish !== null) a.wellFormed = false;
    a.finish = choice.finish_reason;
    add(a, choice.delta);
  }
  return a;
}

function add(a: Answer, d: Delta): void {
  if (d.role) a.roles.push(d.role);
  a.content += d.content ?? "";
  a.reasoning += d.reasoning_content ?? "";
  if (d.thinking_blocks) a.thinkingBlocks.push(...d.thinking_blocks);
  if (d.extra_content) a.extra = d.extra_content;
  for (const c of d.tool_calls ?? []) {
    let call = a.toolCalls[c.index];
    if (!call) {
      if (c.id === undefined || c.type !== "function" || c.function?.name === undefined) a.wellFormed = false;
      call = a.toolCalls[c.index] = { index: c.index, id: c.id ?? "", name: c.function?.name ?? "", arguments: "" };
    }
    call.arguments += c.function?.arguments ?? "";
    if (c.extra_content) call.extra = c.extra_content;
  }
}
