/**
 * OpenAI chat-completion chunks -> hub parts, for clients of another format (Anthropic Messages,
 * Responses, Gemini) on OpenAI-format upstreams (OpenAI, Azure, vLLM, Ollama, Groq...). OpenAI
 * clients on these upstreams come here only when the answer must be read (streamed response
 * guards, an answer of another shape than asked for); otherwise it passes through untouched.
 *
 *   first chunk           -> start (id, model)
 *   delta.content         -> text
 *   delta.reasoning_content / delta.reasoning (vLLM, DeepSeek, OpenRouter) -> reasoning
 *   delta.content as parts (Mistral: thinking and text parts) -> reasoning, text
 *   delta.tool_calls      -> a tool call on the first delta of an index (with its id and name),
 *                            argument fragments after; a new id starts a new call also where the
 *                            server gives no index or the same one to parallel calls; calls are
 *                            numbered 0, 1, ... as they open, whatever the server's indices;
 *                            `extra_content.google.thought_signature` (Google's compatible
 *                            endpoint) is the call's signature
 *   finish_reason         -> finish (`function_call` -> tool_calls; unknown -> stop)
 *   usage                 -> usage (the gateway asks for it with stream_options.include_usage;
 *                            Groq's x_groq.usage too)
 *   {"error": ...}        -> a provider failure with its status
 *   [DONE]                -> end; a stream that ends after a finish reason without [DONE] ends too
 *
 * Hot path: the content delta chunk in OpenAI's own serialisation is not parsed; its content
 * literal is cut out of the event (about a third of JSON.parse's time).
 */
import { literal, trustedLiteral, type ByteTranslator, type FinishReason, type HubWriter } from "../../hub/parts.ts";
import { lookup } from "../../lookup.ts";
import { framed, type FrameMachine } from "../../stream/framed.ts";
import { sseFrames } from "../../stream/sse.ts";
import type { SseEvent, StreamContext } from "../../types.ts";
import { usageFromOpenAI } from "../../usage.ts";
import { signatureOf } from "../gemini/signature.ts";
import { contentParts } from "./content-parts.ts";

export function openaiStream(_ctx: StreamContext, out: HubWriter): ByteTranslator {
  return framed(sseFrames(), new OpenAIMachine(out), out);
}

const FINISH: Record<string, FinishReason> = { stop: "stop", length: "length", tool_calls: "tool_calls", function_call: "tool_calls", content_filter: "content_filter" };

export function openaiFinish(reason: unknown): FinishReason {
  return (typeof reason === "string" && lookup(FINISH, reason)) || "stop";
}

interface Delta {
  content?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  tool_calls?: { index?: unknown; id?: unknown; function?: { name?: unknown; arguments?: unknown }; extra_content?: unknown }[];
}

interface Chunk {
  id?: unknown;
  model?: unknown;
  choices?: { delta?: Delta; finish_reason?: unknown }[];
  usage?: unknown;
  /** Groq's own field, with the stream's usage on its last chunk */
  x_groq?: { usage?: unknown };
  error?: { message?: unknown; type?: unknown; code?: unknown; status?: unknown };
}

/** The status an OpenAI-format error event's `type` stands for (the same error answered as HTTP). */
export const STATUS_OF_TYPE: Readonly<Record<string, number>> = { invalid_request_error: 400, authentication_error: 401, permission_error: 403, not_found_error: 404, rate_limit_error: 429 };

class OpenAIMachine implements FrameMachine<SseEvent> {
  finished = false;
  private started = false;
  private finishedWith: FinishReason | undefined;
  /** the id of each tool call opened, by its hub index (0, 1, ... in the order they opened) */
  private readonly callIds: string[] = [];
  /** the hub index of the call each upstream `index` (-1: none given) last opened (made at the first tool call) */
  private slots: Map<number, number> | undefined;

  constructor(private readonly out: HubWriter) {}

  frame(frame: SseEvent): void {
    const data = frame.data;
    if (this.started) {
      const content = contentDelta(data);
      if (content !== undefined) return this.out.text(trustedLiteral(content));
    }
    if (data === "[DONE]") return this.complete();
    let chunk: Chunk;
    try {
      chunk = JSON.parse(data) as Chunk;
    } catch {
      this.finished = true;
      return this.out.fail({ kind: "invalid", message: "upstream sent an invalid stream event" });
    }
    if (!chunk || typeof chunk !== "object") return;
    if (chunk.error) return this.error(chunk.error);
    if (!this.started) {
      // Azure OpenAI opens with its prompt filter results: no id, no model, no choice; the
      // answer's id and model (the model version behind the deployment) come with the next one
      if (!str(chunk.id) && !chunk.choices?.length && !chunk.usage) return;
      this.started = true;
      this.out.start({ id: str(chunk.id), model: str(chunk.model) });
    }
    const choice = chunk.choices?.[0];
    if (choice?.delta) this.delta(choice.delta);
    if (typeof choice?.finish_reason === "string" && choice.finish_reason !== "") {
      this.finishedWith = openaiFinish(choice.finish_reason);
      this.out.finish(this.finishedWith);
    }
    const reported = chunk.usage ?? chunk.x_groq?.usage;
    if (reported) {
      const usage = usageFromOpenAI(reported);
      if (usage) this.out.usage(usage);
    }
  }

  private delta(d: Delta): void {
    if (typeof d.reasoning_content === "string" && d.reasoning_content !== "") this.out.reasoning(literal(d.reasoning_content));
    else if (typeof d.reasoning === "string" && d.reasoning !== "") this.out.reasoning(literal(d.reasoning));
    if (typeof d.content === "string" && d.content !== "") this.out.text(literal(d.content));
    else if (Array.isArray(d.content)) this.parts(d.content);
    if (!Array.isArray(d.tool_calls)) return;
    const slots = (this.slots ??= new Map());
    for (const c of d.tool_calls) {
      const args = typeof c.function?.arguments === "string" ? c.function.arguments : "";
      const id = str(c.id);
      const slot = typeof c.index === "number" ? c.index : -1;
      const open = slots.get(slot);
      if (open !== undefined && (id === undefined || id === this.callIds[open])) {
        if (args !== "") this.out.toolArgs(open, literal(args));
        continue;
      }
      // a new call: a first delta, or a new id where the server gave no index or the same index
      // to parallel calls (Gemini's OpenAI compatibility, Ollama, some self-hosted servers)
      const index = this.callIds.length;
      this.callIds.push(id ?? `call_${index}`);
      slots.set(slot, index);
      this.out.toolCall({ index, id: this.callIds[index]!, name: str(c.function?.name) ?? "", args: args !== "" ? literal(args) : undefined, signature: signatureOf(c) });
    }
  }

  /** content as a list of parts (Mistral's reasoning models while they think) */
  private parts(list: readonly unknown[]): void {
    const { text, thinking } = contentParts(list);
    if (thinking !== "") this.out.reasoning(literal(thinking));
    if (text !== "") this.out.text(literal(text));
  }

  private error(err: NonNullable<Chunk["error"]>): void {
    this.finished = true;
    const type = str(err.type);
    const status = typeof err.status === "number" ? err.status : type ? lookup(STATUS_OF_TYPE, type) : undefined;
    this.out.fail({
      kind: "provider",
      message: typeof err.message === "string" ? err.message : "upstream reported an error mid-stream",
      ...(status !== undefined ? { status } : {}),
      providerCode: str(err.code) ?? type,
    });
  }

  /** [DONE]: the answer is complete. */
  private complete(): void {
    this.finished = true;
    this.out.end();
  }

  /** The upstream ended: complete without [DONE] only when a finish reason came (some servers omit it). */
  end(): void {
    if (this.finished) return;
    if (this.finishedWith !== undefined) return this.complete();
    this.finished = true;
    this.out.fail({ kind: "incomplete", message: "upstream stream ended before the answer was complete" });
  }
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

const CONTENT_OPEN = '"choices":[{"index":0,"delta":{"content":"';
const CONTENT_CLOSE = '},"logprobs":null,"finish_reason":null}]';
/** where the last chunk's content began */
let lastContentAt = 0;

/**
 * The content literal of `{...,"choices":[{"index":0,"delta":{"content":"..."},"logprobs":null,
 * "finish_reason":null}]...}` (OpenAI's own serialisation), or undefined for anything else.
 */
export function contentDelta(data: string): string | undefined {
  // a stream's chunks put the content at the same offset (same id, model and created): looked
  // for there first, then searched (the search was a quarter of translating such a stream)
  let at = lastContentAt;
  if (!data.startsWith(CONTENT_OPEN, at)) {
    at = data.indexOf(CONTENT_OPEN);
    if (at === -1) return undefined;
    lastContentAt = at;
  }
  const from = at + CONTENT_OPEN.length - 1;
  // the literal ends at the first quote not escaped by an odd run of backslashes
  let q = data.indexOf('"', from + 1);
  for (;;) {
    if (q === -1) return undefined;
    let b = q - 1;
    while (data.charCodeAt(b) === 92) b--;
    if ((q - 1 - b) % 2 === 0) break;
    q = data.indexOf('"', q + 1);
  }
  if (!data.startsWith(CONTENT_CLOSE, q + 1)) return undefined;
  const rest = data.length - (q + 1 + CONTENT_CLOSE.length);
  // what may follow: the closing brace, and `"usage":null` or `"obfuscation":...` before it
  if (rest > 1 && data.includes('"usage":{', q)) return undefined;
  return data.slice(from, q + 1);
}
