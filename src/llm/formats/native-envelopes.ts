/**
 * A conversation the gateway answered through another provider, now passed through natively.
 * Claude Code's history may hold thinking blocks whose `signature` is a gateway envelope (a Gemini
 * thought signature, hub/thinking-envelope.ts), Codex's history reasoning items whose
 * `encrypted_content` is one, a Gemini client's history parts whose `thoughtSignature` is one
 * (Claude's signed thinking); sent as they are, Claude answers 400 "Invalid `signature` in
 * `thinking` block", OpenAI 400 `invalid_encrypted_content` and Gemini 400 "Base64 decoding
 * failed". So before a native passthrough:
 *
 *   Anthropic Messages   a (redacted) thinking block holding an `agw1.t.` / `agw1.r.` envelope gets
 *   (and count_tokens)   the Claude signature inside back (the gateway's writers only put them in
 *                        Responses and Gemini answers, so this is for histories carried across
 *                        client formats); one holding any other envelope is left out, and so is
 *                        one with an empty signature (reasoning the gateway showed from a provider
 *                        without signatures: Gemini's thoughts, vLLM's reasoning_content), and an
 *                        assistant message left empty with them. If `thinking` is on and the tool
 *                        loop in progress now opens without thinking, Claude would refuse it:
 *                        `thinking` goes for this request (providers/claude-thinking.ts says why).
 *   OpenAI Responses     a reasoning item the gateway wrote is left out: one whose
 *   (OpenAI, Azure)      `encrypted_content` is an envelope (`agw1.u.`, reasoning no provider
 *                        signed, included) or whose id is the gateway's (`rs_agw_`: Codex sends
 *                        no ids to OpenAI, the SDKs may send no encrypted_content). The other
 *                        items the gateway wrote (messages, function and custom tool calls) go
 *                        on without their ids (`msg_agw_`, `fc_agw_`, `ctc_agw_`: the SDKs keep
 *                        them, Codex sends them to Azure): the content is the conversation, the
 *                        id a name no provider holds. An `item_reference` to a message or
 *                        reasoning item the gateway wrote is left out: it carries nothing but the
 *                        id, and the gateway keeps no answers to find the item by (a client that
 *                        sent the item itself has it kept, id removed). One to a function or
 *                        custom tool call the gateway wrote, not also sent whole, is answered
 *                        with a 400 instead, with no upstream call: left out, it would leave that
 *                        call's output alone, which OpenAI refuses with "No tool call found for
 *                        function call output with call_id ...", naming the output and not the
 *                        reference that was dropped; the gateway's 400 names the reference and
 *                        asks for the call item itself, which the client has (responses-chain.ts).
 *                        No Responses-native provider (OpenAI, Azure, custom) issued any of
 *                        these, the Claude signatures in `agw1.t.` included: OpenAI answers 400
 *                        `invalid_encrypted_content`, or 404 "Item with id '...' not found" for
 *                        an id it does not hold, Azure the same with a 400 (hub/gateway-ids.ts
 *                        has the reports). A `previous_response_id` naming a response the
 *                        gateway wrote (`resp_agw_`) is answered here with a 400 that says so,
 *                        with no upstream call (responses-chain.ts); a retrieve, delete, cancel
 *                        or input items list of one, with a 404 (by its path, in llm/serve.ts:
 *                        there is no body to look at).
 *   Gemini (and Vertex)  in `parts[].thoughtSignature` (generateContent, streamGenerateContent,
 *                        countTokens): `agw1.gc.` / `agw1.ga.` envelopes get Gemini's own
 *                        signature inside back; any other envelope is taken out, with the thought
 *                        part carrying it; for Gemini 3, a model turn that held one and whose
 *                        first function call is left unsigned gets Google's documented stand-in
 *                        signature there (gemini-envelopes.ts says why).
 *
 * The hot path stays as it was: the body is looked at only when its bytes contain `agw1.` (or, for
 * Gemini, `"YWd3MS`, the start of an envelope in base64; for Responses, `_agw_`; for Messages, an
 * empty `"signature"` member: `"signature":""` from JSON.stringify, `"signature": ""` from
 * Python's json.dumps, or with any other JSON whitespace around the colon, found by a byte scan),
 * and re-serialized only when something changed (replaced.ts); otherwise the client's bytes go
 * unchanged.
 */
import { hasJsonMember, indexOfBytes } from "../../http/bytes.ts";
import type { BodyDraft } from "../../policies/types.ts";
import type { ThinkingBlock } from "../hub/parts.ts";
import { gatewayId, GATEWAY_ID_MARK } from "../hub/gateway-ids.ts";
import { claudeIssued, ENVELOPE, isEnvelope } from "../hub/thinking-envelope.ts";
import { mayHoldEncodedEnvelope } from "../hub/thought-signature.ts";
import { loopLacksThinking, type LoopStep } from "../providers/claude-thinking.ts";
import type { RouteType } from "../types.ts";
import { withoutGeminiEnvelopes } from "./gemini-envelopes.ts";
import { refuseGatewayCallReference, refuseGatewayChain } from "./responses-chain.ts";
import { replaced } from "./replaced.ts";

type Item = Record<string, unknown>;

/**
 * Takes the envelopes out of `draft` (the client's body) for a native `route`; `bytes` are the
 * client's, `model` the one the request goes to (Gemini's routes name it in the path).
 */
export function withoutEnvelopes(route: RouteType, draft: BodyDraft, bytes: Uint8Array, model = ""): void {
  if (route === "generateContent" || route === "geminiCountTokens") {
    // the gateway writes its envelopes in a thoughtSignature as base64 (hub/thought-signature.ts); histories from before, as text
    if (contains(bytes, ENVELOPE) || mayHoldEncodedEnvelope(bytes)) withoutGeminiEnvelopes(draft, model);
  } else if (route === "responses") {
    if (contains(bytes, ENVELOPE) || contains(bytes, GATEWAY_ID_MARK)) {
      refuseGatewayChain(draft.body);
      withoutGatewayItems(draft);
    }
  } else if (route === "messages" || route === "anthropicTokenCount") {
    if (contains(bytes, ENVELOPE) || hasJsonMember(bytes, "signature", '""')) withoutEnvelopedThinking(draft);
  }
}

function contains(bytes: Uint8Array, text: string): boolean {
  return indexOfBytes(bytes, text) !== -1;
}

function withoutGatewayItems(draft: BodyDraft): void {
  const input = draft.body.input;
  if (!Array.isArray(input)) return;
  const items = input as Item[];
  // the gateway's items the client sent whole: a reference to one of them is redundant, not missing
  const carried = new Set(items.filter((i) => gatewayId(i?.id) && !isReference(i)).map((i) => i.id));
  const kept = replaced(items, (item) => asIssued(item, carried));
  if (kept) draft.set("input", kept);
}

/**
 * `item` as a Responses API can take it: the item itself when the gateway wrote nothing of it,
 * undefined when it must go (the gateway's reasoning, a reference to a message or reasoning item
 * the gateway wrote, or to an item `carried` whole), the item without its id when the gateway
 * minted that. A reference to a call the gateway wrote, not carried, is a 400: left out, it would
 * leave the call's output without its call.
 */
function asIssued(item: Item, carried: ReadonlySet<unknown>): Item | undefined {
  if (item?.type === "reasoning" && (isEnvelope(item.encrypted_content) || gatewayId(item.id))) return undefined;
  if (!gatewayId(item?.id)) return item;
  if (isReference(item)) {
    if (!carried.has(item.id)) refuseGatewayCallReference(item.id);
    return undefined;
  }
  const { id: _minted, ...rest } = item;
  return rest;
}

/** An `item_reference` (its `type` may be left out: then it is an id alone, with no role). */
function isReference(item: Item): boolean {
  return item.type === "item_reference" || (item.type == null && item.role === undefined);
}

function withoutEnvelopedThinking(draft: BodyDraft): void {
  const messages = draft.body.messages;
  if (!Array.isArray(messages)) return;
  const out = replaced(messages as Item[], (m) => {
    const content = m?.role === "assistant" && Array.isArray(m.content) ? replaced(m.content as Item[], issuedBlock) : undefined;
    if (content === undefined) return m;
    // an assistant message left empty goes: Claude refuses empty content, and merges the turns around it
    return content.length > 0 ? { ...m, content } : undefined;
  });
  if (!out) return;
  draft.set("messages", out);
  if (thinkingOn(draft.body.thinking) && loopLacksThinking(out.flatMap(wireStep))) withoutThinking(draft);
}

/** A (redacted) thinking block as Claude issued it (undefined: left out); any other block as it is. */
function issuedBlock(b: Item): Item | undefined {
  if (!isThinkingBlock(b)) return b;
  return b.type === "thinking" && b.signature === "" ? undefined : claudeIssued(b);
}

/** A thinking or redacted thinking block with its signed value (the type claudeIssued takes). */
function isThinkingBlock(b: Item): b is Item & ThinkingBlock {
  return (b?.type === "thinking" && typeof b.signature === "string" && typeof b.thinking === "string") || (b?.type === "redacted_thinking" && typeof b.data === "string");
}

function thinkingOn(t: unknown): boolean {
  const type = (t as { type?: unknown } | null | undefined)?.type;
  return type === "enabled" || type === "adaptive";
}

/** A Messages message as the tool-loop rule sees it (a mid-conversation `system` message is no turn). */
function wireStep(m: Item): LoopStep[] {
  const content = Array.isArray(m?.content) ? (m.content as Item[]) : [];
  if (m?.role === "assistant") return [{ role: "assistant", opensWithThinking: content[0]?.type === "thinking" || content[0]?.type === "redacted_thinking" }];
  if (m?.role === "user") return [{ role: "user", toolResults: content.some((b) => b?.type === "tool_result") }];
  return [];
}

/**
 * The request without `thinking`, and without the context edit that only manages thinking blocks
 * (`clear_thinking_*`, documented for requests with thinking on) so it cannot be refused for
 * lacking it.
 */
function withoutThinking(draft: BodyDraft): void {
  draft.delete("thinking");
  const management = draft.body.context_management as { edits?: unknown } | null | undefined;
  if (!Array.isArray(management?.edits)) return;
  const edits = (management.edits as Item[]).filter((e) => !(typeof e?.type === "string" && e.type.startsWith("clear_thinking")));
  if (edits.length === management.edits.length) return;
  if (edits.length > 0) draft.set("context_management", { ...management, edits });
  else draft.delete("context_management");
}
