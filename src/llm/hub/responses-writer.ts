/**
 * The OpenAI Responses writer: hub parts -> Responses SSE events (streams) and a Response object
 * (whole answers), for Responses clients (the SDKs' `responses.create`, Codex) on providers that
 * do not speak the Responses API.
 *
 * - Events: `response.created` and `response.in_progress` (deferred to the first content part,
 *   so a failure before it is still a real HTTP error), then per output item
 *   `response.output_item.added` ... `response.output_item.done`, and `response.completed`
 *   (`response.incomplete` when the answer was cut by the token cap or a content filter) with the
 *   whole output and usage. Every event has its `event:` line and a `sequence_number`. Codex reads
 *   items from `output_item.done`, the SDKs' accumulators check every index: both hold.
 * - Items: answer text is a `message` with one `output_text` part (`output_text.delta`s);
 *   reasoning is a `reasoning` item whose summary is the reasoning text
 *   (`reasoning_summary_text.delta`s) and, when the provider signed it, whose `encrypted_content`
 *   carries the signature in the gateway's envelope (thinking-envelope.ts), so the next turn can
 *   replay it; unsigned reasoning gets the empty `agw1.u.` envelope instead, so that no reasoning
 *   item the gateway wrote can pass for OpenAI's (native-envelopes.ts leaves them out); tool calls are `function_call` items (`function_call_arguments.delta`s) whose
 *   `call_id` is the provider's tool call id; calls of tools the client declared as `custom`
 *   tools come back as `custom_tool_call` items with the `input` text.
 * - Gemini's thought signatures: a reasoning item whose `encrypted_content` is the gateway's
 *   envelope (thinking-envelope.ts), before the tool call it signs (the open reasoning item when
 *   there is one); the answer's signature is held until the first tool call or the end, so that
 *   it does not split the message. Clients send reasoning items back, and the reader turns
 *   them back into Gemini's signatures.
 * - Ids: `resp_agw_` plus random hex for the answer; items `msg_agw_`, `rs_agw_`,
 *   `fc_agw_`/`ctc_agw_` plus the same hex and their index (gateway-ids.ts): no Responses API
 *   issued them, and the mark says so to a native passthrough, which sends the items on without
 *   them and answers a `previous_response_id` naming the answer itself (a 400 saying why).
 * - Failures after the first event: `event: error` (the SDKs raise it) and `response.failed`.
 */
import { failureFields } from "../formats/errors.ts";
import type { WriterContext } from "../formats/types.ts";
import { joinLiterals, literalText, randomId } from "./literals.ts";
import type { ClientStreamWriter, HubMessage, JsonStringLiteral, StreamFailure } from "./parts.ts";
import { responseError, responseObject } from "./responses-object.ts";
import { GATEWAY_ID } from "./gateway-ids.ts";
import { envelopeGemini, envelopeRedacted, envelopeSigned, envelopeUnsigned } from "./thinking-envelope.ts";
import { WriterBase } from "./writer-base.ts";

/** What the Responses reader tells the writer. */
export interface ResponsesState {
  /** names of tools the client declared as `custom` (free-form input) tools */
  customTools: readonly string[];
}

type Kind = "message" | "reasoning" | "function_call" | "custom_tool_call";

interface Item {
  kind: Kind;
  id: string;
  index: number;
  /** text, reasoning text or argument literals so far */
  parts: string[];
  callId?: string;
  name?: string;
  encrypted?: string;
  /** the item's final JSON, once done */
  json?: string;
}

const INCOMPLETE = { length: "max_output_tokens", content_filter: "content_filter" } as const;

export function responsesWriter(ctx: WriterContext): ClientStreamWriter {
  return new ResponsesWriter(ctx);
}

class ResponsesWriter extends WriterBase implements ClientStreamWriter {
  private seq = 0;
  private readonly base = randomId("");
  private readonly id = `${GATEWAY_ID.response}${this.base}`;
  private readonly items: Item[] = [];
  /** the open message or reasoning item */
  private current: Item | undefined;
  /** open tool call items by hub index */
  private readonly calls: (Item | undefined)[] = [];
  private readonly customTools: ReadonlySet<string>;
  private textHead = "";
  /** the answer's signature (Gemini), written before the first tool call or at the end */
  private answerSig: string | undefined;

  constructor(private readonly ctx: WriterContext) {
    super(ctx.model);
    this.customTools = new Set((ctx.state as ResponsesState | undefined)?.customTools ?? []);
  }

  private event(type: string, fields: string): void {
    this.buf += `event: ${type}\ndata: {"type":"${type}","sequence_number":${this.seq++},${fields}}\n\n`;
  }

  private response(status: string, extra: { incomplete?: string; error?: string } = {}): string {
    const output = `[${this.items.map((i) => i.json ?? itemJson(i, "in_progress")).join(",")}]`;
    return responseObject({ id: this.id, created: this.ctx.created, model: this.echoed, status, output, usage: status === "in_progress" ? undefined : this.latestUsage, ...extra });
  }

  private open(): void {
    if (this.opened) return;
    this.opened = true;
    const snapshot = this.response("in_progress");
    this.event("response.created", `"response":${snapshot}`);
    this.event("response.in_progress", `"response":${snapshot}`);
  }

  private add(kind: Kind, prefix: string, extra: Partial<Item> = {}): Item {
    this.open();
    const item: Item = { kind, id: `${prefix}${this.base}_${this.items.length}`, index: this.items.length, parts: [], ...extra };
    this.items.push(item);
    this.event("response.output_item.added", `"output_index":${item.index},"item":${itemJson(item, "in_progress")}`);
    return item;
  }

  private where(item: Item): string {
    return `"item_id":"${item.id}","output_index":${item.index}`;
  }

  /** Closes the open message / reasoning item, and the open tool calls when `calls`. */
  private closeOpen(calls: boolean): void {
    if (this.current) this.complete(this.current);
    this.current = undefined;
    if (!calls) return;
    for (let i = 0; i < this.calls.length; i++) {
      const c = this.calls[i];
      if (c) this.complete(c);
      this.calls[i] = undefined;
    }
  }

  private complete(item: Item): void {
    const text = joinLiterals(item.parts);
    const at = this.where(item);
    if (item.kind === "message") {
      this.event("response.output_text.done", `${at},"content_index":0,"text":${text},"logprobs":[]`);
      this.event("response.content_part.done", `${at},"content_index":0,"part":{"type":"output_text","text":${text},"annotations":[],"logprobs":[]}`);
    } else if (item.kind === "reasoning" && item.parts.length > 0) {
      this.event("response.reasoning_summary_text.done", `${at},"summary_index":0,"text":${text}`);
      this.event("response.reasoning_summary_part.done", `${at},"summary_index":0,"part":{"type":"summary_text","text":${text}}`);
    } else if (item.kind === "function_call") {
      this.event("response.function_call_arguments.done", `${at},"arguments":${item.parts.length > 0 ? text : '"{}"'}`);
    } else if (item.kind === "custom_tool_call") {
      const input = JSON.stringify(customInput(literalText(text)));
      this.event("response.custom_tool_call_input.delta", `${at},"delta":${input}`);
      this.event("response.custom_tool_call_input.done", `${at},"input":${input}`);
    }
    item.json = itemJson(item, "completed");
    this.event("response.output_item.done", `"output_index":${item.index},"item":${item.json}`);
  }

  text(value: JsonStringLiteral): void {
    if (this.skip(value)) return;
    if (this.current?.kind !== "message") {
      this.closeOpen(true);
      const item = (this.current = this.add("message", GATEWAY_ID.message));
      this.event("response.content_part.added", `${this.where(item)},"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`);
      this.textHead = `,${this.where(item)},"content_index":0,"delta":`;
    }
    this.current.parts.push(value);
    this.buf += `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":${this.seq++}${this.textHead}${value},"logprobs":[]}\n\n`;
  }

  private reasoningItem(): Item {
    if (this.current?.kind === "reasoning") return this.current;
    this.closeOpen(true);
    return (this.current = this.add("reasoning", GATEWAY_ID.reasoning));
  }

  reasoning(value: JsonStringLiteral): void {
    if (this.skip(value)) return;
    const item = this.reasoningItem();
    if (item.parts.length === 0) this.event("response.reasoning_summary_part.added", `${this.where(item)},"summary_index":0,"part":{"type":"summary_text","text":""}`);
    item.parts.push(value);
    this.event("response.reasoning_summary_text.delta", `${this.where(item)},"summary_index":0,"delta":${value}`);
  }

  thinkingSigned(signature: string): void {
    if (!this.ended) this.signReasoning(envelopeSigned(signature));
  }

  /** Closes the open reasoning item (or an empty one) with `encrypted` as its encrypted_content. */
  private signReasoning(encrypted: string): void {
    this.reasoningItem().encrypted = encrypted;
    this.closeOpen(false);
  }

  thinkingRedacted(data: string): void {
    if (this.ended) return;
    this.closeOpen(true);
    this.current = this.add("reasoning", GATEWAY_ID.reasoning, { encrypted: envelopeRedacted(data) });
    this.closeOpen(false);
  }

  override answerSignature(signature: string): void {
    if (!this.ended) this.answerSig = signature;
  }

  private flushAnswerSignature(): void {
    if (this.answerSig === undefined) return;
    this.signReasoning(envelopeGemini("answer", this.answerSig));
    this.answerSig = undefined;
  }

  toolCall(call: { index: number; id: string; name: string; args?: JsonStringLiteral | undefined; signature?: string | undefined }): void {
    if (this.ended) return;
    this.flushAnswerSignature();
    if (call.signature) this.signReasoning(envelopeGemini("call", call.signature));
    this.closeOpen(false);
    const custom = this.customTools.has(call.name);
    const item = this.add(custom ? "custom_tool_call" : "function_call", custom ? GATEWAY_ID.customToolCall : GATEWAY_ID.functionCall, { callId: call.id, name: call.name });
    this.calls[call.index] = item;
    if (call.args !== undefined && call.args.length > 2) this.args(item, call.args);
  }

  toolArgs(index: number, fragment: JsonStringLiteral): void {
    if (this.skip(fragment)) return;
    const item = this.calls[index];
    if (item) this.args(item, fragment);
  }

  private args(item: Item, fragment: JsonStringLiteral): void {
    item.parts.push(fragment);
    if (item.kind === "function_call") this.event("response.function_call_arguments.delta", `${this.where(item)},"delta":${fragment}`);
  }

  end(): void {
    if (this.ended) return;
    this.open();
    this.flushAnswerSignature();
    this.closeOpen(true);
    this.ended = true;
    const reason = this.finishReason;
    const incomplete = reason === "length" || reason === "content_filter" ? INCOMPLETE[reason] : undefined;
    const status = incomplete ? "incomplete" : "completed";
    this.event(`response.${status}`, `"response":${this.response(status, incomplete ? { incomplete } : {})}`);
  }

  fail(failure: StreamFailure): void {
    if (this.ended) return;
    this.ended = true;
    this.failed = failure;
    const { code } = failureFields(failure);
    this.event("error", `"code":${JSON.stringify(code)},"message":${JSON.stringify(failure.message)},"param":null`);
    this.event("response.failed", `"response":${this.response("failed", { error: responseError(code, failure.message) })}`);
  }
}

/** A custom tool call's free-form input: the `input` field of the arguments the model wrote. */
function customInput(args: string): string {
  try {
    const v = JSON.parse(args) as { input?: unknown };
    return typeof v?.input === "string" ? v.input : args;
  } catch {
    return args;
  }
}

function itemJson(item: Item, status: "in_progress" | "completed"): string {
  const id = `"id":"${item.id}"`;
  const text = status === "completed" ? joinLiterals(item.parts) : '""';
  switch (item.kind) {
    case "message": {
      const content = status === "completed" ? `[{"type":"output_text","text":${text},"annotations":[],"logprobs":[]}]` : "[]";
      return `{${id},"type":"message","status":"${status}","role":"assistant","content":${content}}`;
    }
    case "reasoning": {
      const summary = status === "completed" && item.parts.length > 0 ? `[{"type":"summary_text","text":${text}}]` : "[]";
      const encrypted = status === "completed" ? `,"encrypted_content":${JSON.stringify(item.encrypted ?? envelopeUnsigned())}` : "";
      return `{${id},"type":"reasoning","summary":${summary}${encrypted}}`;
    }
    case "function_call": {
      const args = status === "completed" && item.parts.length === 0 ? '"{}"' : text;
      return `{${id},"type":"function_call","status":"${status}","arguments":${args},"call_id":${JSON.stringify(item.callId)},"name":${JSON.stringify(item.name)}}`;
    }
    case "custom_tool_call": {
      const input = status === "completed" ? JSON.stringify(customInput(literalText(text))) : '""';
      return `{${id},"type":"custom_tool_call","status":"${status}","call_id":${JSON.stringify(item.callId)},"name":${JSON.stringify(item.name)},"input":${input}}`;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// whole answers

/** A whole answer as a Response object (same decisions as the stream). */
export function responsesObject(msg: HubMessage, ctx: WriterContext): string {
  const base = randomId("");
  const custom = new Set((ctx.state as ResponsesState | undefined)?.customTools ?? []);
  const output: string[] = [];
  const id = (prefix: string) => `${prefix}${base}_${output.length}`;
  for (const b of msg.thinkingBlocks ?? []) {
    const summary = b.type === "thinking" && b.thinking !== "" ? [{ type: "summary_text", text: b.thinking }] : [];
    const encrypted = b.type === "thinking" ? envelopeSigned(b.signature) : envelopeRedacted(b.data);
    output.push(JSON.stringify({ id: id(GATEWAY_ID.reasoning), type: "reasoning", summary, encrypted_content: encrypted }));
  }
  if (!msg.thinkingBlocks?.length && msg.reasoning) {
    output.push(JSON.stringify({ id: id(GATEWAY_ID.reasoning), type: "reasoning", summary: [{ type: "summary_text", text: msg.reasoning }], encrypted_content: envelopeUnsigned() }));
  }
  if (msg.text) output.push(JSON.stringify({ id: id(GATEWAY_ID.message), type: "message", status: "completed", role: "assistant", content: [{ type: "output_text", text: msg.text, annotations: [], logprobs: [] }] }));
  const signature = (encrypted: string) => output.push(JSON.stringify({ id: id(GATEWAY_ID.reasoning), type: "reasoning", summary: [], encrypted_content: encrypted }));
  if (msg.answerSignature) signature(envelopeGemini("answer", msg.answerSignature));
  for (const c of msg.toolCalls) {
    if (c.signature) signature(envelopeGemini("call", c.signature));
    const item = custom.has(c.name)
      ? { id: id(GATEWAY_ID.customToolCall), type: "custom_tool_call", status: "completed", call_id: c.id, name: c.name, input: customInput(c.arguments) }
      : { id: id(GATEWAY_ID.functionCall), type: "function_call", status: "completed", arguments: c.arguments || "{}", call_id: c.id, name: c.name };
    output.push(JSON.stringify(item));
  }
  const incomplete = msg.finish === "length" || msg.finish === "content_filter" ? INCOMPLETE[msg.finish] : undefined;
  return responseObject({ id: `${GATEWAY_ID.response}${base}`, created: ctx.created, model: msg.model ?? ctx.model, status: incomplete ? "incomplete" : "completed", output: `[${output.join(",")}]`, usage: msg.usage, incomplete });
}
