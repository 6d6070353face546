/**
 * A Responses turn chained on an answer the gateway wrote, about to pass through natively.
 *
 * An SDK client with `store: true` continues a conversation by naming the last response in
 * `previous_response_id`. When that response came from another provider through the gateway's
 * Responses writer, its id is the gateway's (`resp_agw_...`, hub/gateway-ids.ts): OpenAI never
 * issued it and the gateway keeps no responses, so OpenAI (or Azure) could only answer 400
 * `previous_response_not_found` "Previous response with id '...' not found."
 * (microsoft/semantic-kernel#13128), which leaves the user guessing. The gateway answers instead,
 * before any upstream call, in OpenAI's error shape and with OpenAI's code (clients that recover
 * from a lost response by resending the conversation key on it), saying why and what to send.
 *
 * Only the gateway's mark is looked at: a response OpenAI issued goes on untouched, it can
 * resolve it. The gateway mints no conversation ids, so `conversation` is never the gateway's.
 * Called only when the body's bytes hold `_agw_` (native-envelopes.ts).
 */
import { HttpError } from "../../http/errors.ts";
import { gatewayId } from "../hub/gateway-ids.ts";

/** Throws the 400 when `body` chains on a response the gateway wrote. */
export function refuseGatewayChain(body: Record<string, unknown>): void {
  const id = body.previous_response_id;
  if (!gatewayId(id)) return;
  const message =
    `Previous response with id '${id}' not found: the gateway wrote it from another provider's answer, and the gateway keeps no responses, ` +
    "so no provider can continue from it. Send the conversation in 'input' instead (the earlier turns, that response's output items included), without 'previous_response_id'.";
  throw new HttpError(400, message, { code: "previous_response_not_found", param: "previous_response_id" });
}
