/**
 * The ids the gateway mints for the Responses answers it writes for another provider
 * (responses-writer.ts): the answer's `resp_agw_<24 hex>`, its items' `<prefix>_agw_<24 hex>_<n>`
 * (the same hex: one base per answer).
 *
 *   resp_agw_...  the response (also a failed one, formats/errors.ts)
 *   msg_agw_...   a message          fc_agw_...    a function call
 *   ctc_agw_...   a custom tool call  rs_agw_...    a reasoning item
 *
 * Clients send these items back: the SDKs with their ids (`response.output` passed as `input`),
 * Codex with them on Azure only (it attaches the ids of messages, reasoning, function and custom
 * tool calls when `store` is on, which it sets for Azure: openai/codex#3528, #3542). A Responses
 * API looks an input item's id up and refuses one it does not hold: OpenAI 404 "Item with id
 * 'msg_...' not found. Items are not persisted when `store` is set to false..."
 * (numman-ali/opencode-openai-codex-auth#21; openclaw/openclaw#84904 for `rs_`, `msg_` and `fc_`),
 * Azure the same with a 400 (openai/codex#3292). No such API issued these, so before a native
 * passthrough the items go on without them (formats/native-envelopes.ts), found by this mark.
 *
 * The mark sits after the prefix because OpenAI checks it by item type (400 "Invalid
 * 'input[1].id': ... Expected an ID that begins with 'fc'.", openai/openai-cs-agents-demo#34) and
 * takes letters, digits, `_` and `-` (stacklok/mecatl#406). OpenAI's own ids are the prefix and
 * hex digits (`msg_05f9bc0e...`), the ids Codex makes up the prefix and a UUID: none holds `_agw_`.
 *
 * The response id keeps OpenAI's `resp_` (its own are `resp_` and 50 hex digits,
 * `resp_03ff6708...3516` in agno-agi/agno#9240; clients may check the prefix). An SDK client with
 * `store: true` chains a turn on it with `previous_response_id`; OpenAI never issued it and the
 * gateway keeps no responses, so OpenAI would answer 400 `previous_response_not_found` "Previous
 * response with id '...' not found." (microsoft/semantic-kernel#13128), which says nothing of why.
 * A native passthrough answers such a chain itself instead, and the gateway answers a retrieve,
 * delete, cancel or input items list of such a response (by its path), and an `item_reference` to
 * a call it wrote (formats/responses-chain.ts). The gateway mints no conversation ids (`conv_`):
 * a `conversation` is always the provider's.
 */

/** What every id the gateway mints holds, just after its prefix. */
export const GATEWAY_ID_MARK = "_agw_";

/** How the id of each item the gateway writes starts. */
export const GATEWAY_ID = {
  response: `resp${GATEWAY_ID_MARK}`,
  message: `msg${GATEWAY_ID_MARK}`,
  functionCall: `fc${GATEWAY_ID_MARK}`,
  customToolCall: `ctc${GATEWAY_ID_MARK}`,
  reasoning: `rs${GATEWAY_ID_MARK}`,
} as const;

const MINTED = /^[a-z]+_agw_/;

/** Whether `id` is one the gateway minted (of any item type, this version's or a later one's). */
export function gatewayId(id: unknown): id is string {
  return typeof id === "string" && MINTED.test(id);
}
