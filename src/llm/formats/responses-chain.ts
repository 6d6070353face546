/**
 * A Responses request that names an answer the gateway wrote as if a provider kept it, about to
 * pass through natively (or, for the response's own paths, to go anywhere at all).
 *
 * When an answer came from another provider through the gateway's Responses writer, its ids are
 * the gateway's (`resp_agw_...`, `fc_agw_...`, hub/gateway-ids.ts): no provider issued them and
 * the gateway keeps no answers, so nothing can resolve a request that names one without carrying
 * what it names. The provider's own refusals leave the user guessing; the gateway answers instead,
 * before any upstream call, in OpenAI's error shape, saying why and what to send:
 *
 *   previous_response_id   an SDK client with `store: true` chains a turn on the last response;
 *                          OpenAI (or Azure) could only answer 400 `previous_response_not_found`
 *                          "Previous response with id '...' not found."
 *                          (microsoft/semantic-kernel#13128). Same status and code here (clients
 *                          that recover from a lost response by resending the conversation key on
 *                          it), with why and what to send.
 *   item_reference to a    the reference carries nothing but the id, so it is left out
 *   call the gateway       (native-envelopes.ts); for a function or custom tool call that would
 *   wrote (`fc_agw_`,      leave its output without its call, and OpenAI answers 400 "No tool call
 *   `ctc_agw_`)            found for function call output with call_id ..." (param `input`, code
 *                          null: openai/codex#17630, continuedev/continue#10092), naming the
 *                          output and not the reference that was dropped. A 400 here names the
 *                          reference and asks for the call item itself, which the client has (the
 *                          response's output); a request that also carries the call whole only
 *                          loses the redundant reference. References to the gateway's messages and
 *                          reasoning are still left out: nothing in the request depends on them.
 *   GET/DELETE             retrieve, delete, cancel, list input items (`/responses/{id}`,
 *   /responses/resp_agw_   `/cancel`, `/input_items`): no provider holds the response. OpenAI
 *                          answers an id it does not hold with 404 "Response with id '...' not
 *                          found." (type `invalid_request_error`; OpenAI-compatible servers copy
 *                          it, vllm-project/vllm serving_responses.py); the gateway answers the
 *                          same, saying why, without forwarding (an `ai` route would otherwise
 *                          reach a provider that never heard of it, an `llm:` route ask for a
 *                          model the request cannot have).
 *
 * Only the gateway's mark is looked at: what OpenAI issued goes on untouched, it can resolve it.
 * The gateway mints no conversation ids, so `conversation` is never the gateway's. The bodies are
 * looked at only when their bytes hold `_agw_` (native-envelopes.ts); the path check is one
 * substring search.
 */
import { HttpError } from "../../http/errors.ts";
import { GATEWAY_ID, gatewayId } from "../hub/gateway-ids.ts";

/** Throws the 400 when `body` chains on a response the gateway wrote. */
export function refuseGatewayChain(body: Record<string, unknown>): void {
  const id = body.previous_response_id;
  if (!gatewayId(id)) return;
  const message =
    `Previous response with id '${id}' not found: the gateway wrote it from another provider's answer, and the gateway keeps no responses, ` +
    "so no provider can continue from it. Send the conversation in 'input' instead (the earlier turns, that response's output items included), without 'previous_response_id'.";
  throw new HttpError(400, message, { code: "previous_response_not_found", param: "previous_response_id" });
}

/** The calls the gateway writes whose outputs a request pairs with them by `call_id`. */
const CALLS = [
  { prefix: GATEWAY_ID.functionCall, kind: "function call", type: "function_call", fields: "name and arguments" },
  { prefix: GATEWAY_ID.customToolCall, kind: "custom tool call", type: "custom_tool_call", fields: "name and input" },
] as const;

/** Throws the 400 when `id`, the id of an `item_reference`, names a call the gateway wrote. */
export function refuseGatewayCallReference(id: string): void {
  const call = CALLS.find((c) => id.startsWith(c.prefix));
  if (!call) return;
  const message =
    `Item with id '${id}' not found: it is a ${call.kind} the gateway wrote from another provider's answer, and the gateway keeps no answers, ` +
    `so no provider can resolve an 'item_reference' to it (its output would be left without its call). Send the ${call.kind} item itself in 'input' ` +
    `instead of the reference, as the client received it in that response's output (type '${call.type}', with its call_id, ${call.fields}).`;
  throw new HttpError(400, message, { code: "item_not_found", param: "input" });
}

/** Where a response's own paths name it: `/responses/{id}`, then `/cancel` or `/input_items`. */
const RESPONSE_PATH = `/responses/${GATEWAY_ID.response}`;

/** Throws the 404 when `path` retrieves, deletes, cancels or lists a response the gateway wrote. */
export function refuseGatewayResponsePath(path: string): void {
  const at = path.indexOf(RESPONSE_PATH);
  if (at === -1) return;
  const start = at + "/responses/".length;
  const end = path.indexOf("/", start);
  const id = decoded(path.slice(start, end === -1 ? undefined : end));
  const message =
    `Response with id '${id}' not found: the gateway wrote it from another provider's answer, and the gateway keeps no responses, ` +
    "so it cannot be retrieved, deleted, cancelled or have its input items listed. The response is what the client received; " +
    "to continue the conversation, send its output items in 'input'.";
  throw new HttpError(404, message, { type: "invalid_request_error" });
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment; // a malformed escape: the id as sent
  }
}
