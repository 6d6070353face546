/**
 * Response guards where answers are presented (src/llm/chat.ts): a whole translated answer (its
 * hub message), a whole OpenAI-format answer (its choices' message contents), and streams (the
 * hub parts through a GuardedWriter, gated when guard services are among the guards).
 */
import type { ProviderTarget } from "../../config/model.ts";
import type { RequestContext } from "../../server/context.ts";
import { downstreamHeaders } from "../../http/headers.ts";
import { answer, parseOpenAIAnswer, readUpstreamText } from "../answer.ts";
import { usageFromOpenAI } from "../usage.ts";
import type { ByteTranslator, ClientStreamWriter, HubMessage, HubWriter } from "../hub/parts.ts";
import { runGuard } from "./request.ts";
import { gateUpstream } from "./stream-gate.ts";
import { GuardedWriter } from "./stream.ts";
import type { GuardSet, TextSlot, Verdict } from "./types.ts";

/** The target's guards when it has response guards. */
export function responseGuardsOf(target: ProviderTarget): GuardSet | undefined {
  for (const p of target.policies) if (p.guards && p.guards.response.length > 0) return p.guards;
  return undefined;
}

/**
 * The texts after every response guard from the `from`th on. Synchronous while the guards answer
 * at once (regex guards: no promise or microtask on the answer's path); from the first guard
 * service on, a promise.
 */
function guardTexts(set: GuardSet, texts: string[], ctx: RequestContext, from = 0): string[] | Promise<string[]> {
  let current = texts;
  for (let i = from; i < set.response.length; i++) {
    const v = runGuard(set.response[i]!, answerSlots(current), "response", ctx);
    if (v instanceof Promise) return guardTextsLater(v, set, current, ctx, i + 1);
    if (v.action === "mask") current = v.texts;
  }
  return current;
}

/** (its own function: a closure in guardTexts' loop would give every call and iteration a scope object) */
function guardTextsLater(pending: Promise<Verdict>, set: GuardSet, before: string[], ctx: RequestContext, next: number): Promise<string[]> {
  return pending.then((settled) => guardTexts(set, settled.action === "mask" ? settled.texts : before, ctx, next));
}

function answerSlots(texts: readonly string[]): TextSlot[] {
  const slots: TextSlot[] = [];
  for (const text of texts) slots.push({ role: "assistant", scope: "messages", text });
  return slots;
}

export async function guardMessage(set: GuardSet, msg: HubMessage, ctx: RequestContext): Promise<HubMessage> {
  if (msg.text === null || msg.text === "") return msg;
  const [text] = await guardTexts(set, [msg.text], ctx);
  return text === msg.text ? msg : { ...msg, text: text ?? msg.text };
}

/**
 * A buffered OpenAI-format answer with its message contents guarded, presented like relayJson
 * (one parse for both: the guard's reading and the usage).
 */
export async function relayGuardedJson(set: GuardSet, ctx: RequestContext, target: ProviderTarget, res: Response): Promise<Response> {
  const text = await readUpstreamText(res, ctx.bufferLimit);
  const parsed = parseOpenAIAnswer(text, target, "choices") as GuardedAnswer;
  // loops, not map/filter callbacks: this runs on every guarded answer
  const messages: { content: string }[] = [];
  const contents: string[] = [];
  for (const c of parsed.choices) {
    const m = c?.message;
    if (typeof m?.content !== "string" || m.content === "") continue;
    messages.push(m as { content: string });
    contents.push(m.content);
  }
  if (messages.length === 0) return presentGuarded(ctx, target, res, parsed, text);
  const masked = guardTexts(set, contents, ctx);
  if (masked instanceof Promise) return masked.then((texts) => presentMasked(ctx, target, res, parsed, text, messages, texts));
  return presentMasked(ctx, target, res, parsed, text, messages, masked);
}

/** The answer with the guards' texts in its messages; its own bytes when they changed nothing. */
function presentMasked(ctx: RequestContext, target: ProviderTarget, res: Response, parsed: GuardedAnswer, text: string, messages: { content: string }[], texts: string[]): Response {
  let changed = false;
  for (let i = 0; i < messages.length; i++) {
    if (texts[i] === messages[i]!.content) continue;
    messages[i]!.content = texts[i]!;
    changed = true;
  }
  return presentGuarded(ctx, target, res, parsed, changed ? JSON.stringify(parsed) : text);
}

/** a type, not an interface: what parseOpenAIAnswer returns (a record) converts to it */
type GuardedAnswer = {
  choices: { message?: { content?: unknown } }[];
  usage?: unknown;
  model?: unknown;
};

function presentGuarded(ctx: RequestContext, target: ProviderTarget, res: Response, parsed: GuardedAnswer, body: string): Response {
  const headers = downstreamHeaders(res.headers);
  headers.set("content-type", "application/json");
  return answer(ctx, target, new Response(body, { status: res.status, headers }), {
    usage: usageFromOpenAI(parsed.usage),
    responseModel: typeof parsed.model === "string" ? parsed.model : undefined,
  });
}

/** Only regex guards on answers: they run without calling out. */
export function regexOnly(set: GuardSet): boolean {
  return set.response.every((g) => g.regex);
}

/** What a guarded stream is read through: the writer for the pipeline and the translator's input. */
export function guardStream(
  set: GuardSet,
  ctx: RequestContext,
  inner: ClientStreamWriter,
  translate: (out: HubWriter) => ByteTranslator,
  upstream: ReadableStream<Uint8Array>,
): { writer: ClientStreamWriter; translator: ByteTranslator; upstream: ReadableStream<Uint8Array> } {
  const writer = new GuardedWriter(inner, set, ctx);
  const translator = translate(writer);
  if (regexOnly(set)) return { writer, translator, upstream };
  return { writer, ...gateUpstream(upstream, translator, writer) };
}
