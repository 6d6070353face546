/**
 * How the Responses API (OpenAI's, and Azure's, which runs it) checks the items of a request's
 * `input` against what it issued, for the OpenAI and Azure emulators. What the real APIs answer,
 * from public reports:
 *
 * - An item id with the wrong prefix for its type: 400 `invalid_value`, "Invalid 'input[1].id':
 *   '__fake_id__'. Expected an ID that begins with 'fc'." (openai/openai-cs-agents-demo#34, on
 *   Azure; router-for-me/CLIProxyAPI#4641 for 'msg', 'fc', 'ctc' on OpenAI's Codex backend;
 *   BerriAI/litellm#27333 for `chatcmpl-` ids given as message ids).
 * - An item id it does not hold (never issued, or not persisted because `store` was false): the
 *   item is looked up and not found, "Item with id '...' not found. Items are not persisted when
 *   `store` is set to false. Try again with `store` set to true, or remove this item from your
 *   input.", 404 on OpenAI (continuedev/continue#9101, can1357/oh-my-pi#41 for `rs_` ids;
 *   numman-ali/opencode-openai-codex-auth#21 for a `msg_` id; openclaw/openclaw#84904 and
 *   jrkropp/open-webui-developer-toolkit#715 for `rs_`, `msg_` and `fc_` ids replayed after a
 *   tool call), 400 on Azure, with `store` false or true (openai/codex#3292, openai/codex#3528,
 *   twentyhq/twenty#23182). Items without an id are taken as they are: they are what Codex sends
 *   OpenAI (it serializes no ids but on Azure), and the documented way to carry a conversation
 *   with `store: false`.
 * - Reasoning: its encrypted content must be one it issued (400 `invalid_encrypted_content`,
 *   "could not be verified"); with `store: false` an issued id also needs its encrypted content,
 *   nothing having been persisted; with neither an id nor encrypted content it is refused for its
 *   missing `id`, which the API reference marks required (that refusal's wording is the
 *   emulator's).
 *
 * - A `previous_response_id` naming a response it does not hold (never issued, or answered with
 *   `store: false`): 400 `previous_response_not_found`, "Previous response with id 'resp_...' not
 *   found.", param `previous_response_id` (microsoft/semantic-kernel#13128 on OpenAI;
 *   bigduu/Bamboo-agent#513 the same fields). Checked before the items.
 *
 * - A tool call output with no call of its kind and `call_id` before it in `input`: 400, "No tool
 *   call found for function call output with call_id call_....", param `input`, code null
 *   (openai/codex#17630, continuedev/continue#10092 on OpenAI; cline/cline#9288 the same body
 *   behind another OpenAI host), and "No tool call found for custom tool call output with call_id
 *   ..." for a custom tool call's (the wording proxies in front of OpenAI's Codex backend match
 *   on). Not checked when the request chains on stored state (`previous_response_id`,
 *   `conversation`), where the call may be.
 * - Retrieving, deleting, cancelling or listing the input items of a response it does not hold
 *   (`/responses/{id}`, `/cancel`, `/input_items`): 404, "Response with id 'resp_...' not found.",
 *   type `invalid_request_error` (the wording OpenAI-compatible servers copy:
 *   vllm-project/vllm serving_responses.py). A response it holds is returned by GET and removed by
 *   DELETE; cancel and input items of one are left to the test's script or queue.
 *
 * An `item_reference` names an item by id only (its `type` may be left out): it is found or not.
 * The emulators give the first refusal in input order. Reports also show OpenAI taking ids a
 * client made up in its own shape (Codex's `msg_` + UUIDv7, openai/codex#28814); the emulators
 * take the stricter reading, in which only what they issued is found.
 */

/** What an emulator gave out: encrypted reasoning, item ids and responses by id (persisted: it answered with `store` on). */
export interface Issued {
  encrypted: Set<string>;
  ids: Set<string>;
  responses: Map<string, unknown>;
}

export function issuedNothing(): Issued {
  return { encrypted: new Set(), ids: new Set(), responses: new Map() };
}

/** The API's answer to a `previous_response_id` it does not hold, or undefined (none, or one it holds). */
export function previousResponseRefusal(body: { previous_response_id?: unknown } | undefined, issued: Issued): Response | undefined {
  const id = body?.previous_response_id;
  if (typeof id !== "string" || issued.responses.has(id)) return undefined;
  return apiError(400, `Previous response with id '${id}' not found.`, "previous_response_id", "previous_response_not_found");
}

/**
 * Keeps the id of a whole Response the API answered with `store` on (its default), as the API
 * keeps the response for a later `previous_response_id`; streamed answers are not read. Read from
 * a copy as the answer goes out (not awaited: a test's answer may stall mid-body on purpose); the
 * client has the whole answer, and so the id is kept, before it can chain on it.
 */
export function keepResponse(body: { store?: unknown } | undefined, res: Response, issued: Issued): void {
  if (body?.store === false || !res.ok || !(res.headers.get("content-type") ?? "").includes("application/json")) return;
  res
    .clone()
    .json()
    .then((r) => {
      const id = (r as { id?: unknown } | null)?.id;
      if (typeof id === "string" && id.startsWith("resp_")) issued.responses.set(id, r);
    })
    .catch(() => {}); // not a Response (a scripted fault): nothing to keep
}

/** A response's own paths: `/responses/{id}`, `/responses/{id}/cancel`, `/responses/{id}/input_items`. */
const RESPONSE_PATH = /\/responses\/([^/]+)(\/cancel|\/input_items)?$/;

/**
 * The API's answer to a request on a response's own path: a 404 for one it does not hold, the
 * response for a GET of one it holds, the deletion for a DELETE; undefined for other requests
 * (cancel and input items of a response it holds: the test's reply).
 */
export function storedResponseAnswer(rec: { method: string; path: string }, issued: Issued): Response | undefined {
  const match = RESPONSE_PATH.exec(rec.path);
  if (!match || match[1] === "compact") return undefined;
  const id = decodeURIComponent(match[1]!);
  if (!issued.responses.has(id)) return apiError(404, `Response with id '${id}' not found.`, null, null);
  if (match[2] !== undefined) return undefined;
  if (rec.method === "GET") return Response.json(issued.responses.get(id));
  if (rec.method !== "DELETE") return undefined;
  issued.responses.delete(id);
  return Response.json({ id, object: "response", deleted: true });
}

/** The prefix each item type's ids start with. */
const PREFIX: Record<string, string> = { message: "msg", function_call: "fc", custom_tool_call: "ctc", reasoning: "rs" };

type InputItem = { type?: unknown; role?: unknown; id?: unknown; encrypted_content?: unknown; call_id?: unknown };

type Body = { input?: unknown; store?: unknown; previous_response_id?: unknown; conversation?: unknown };

/**
 * The API's answer to the first item of `body.input` it would refuse, or undefined when it takes
 * them all; `notFound` is the status of an unknown id (OpenAI 404, Azure 400).
 */
export function inputRefusal(body: Body | undefined, issued: Issued, notFound: 400 | 404): Response | undefined {
  if (!Array.isArray(body?.input)) return undefined;
  const stored = body.store !== false; // the API's default is true
  // with stored state to draw on, a call may be there rather than in `input`
  const calls = body.previous_response_id == null && body.conversation == null ? new Set<string>() : undefined;
  for (const [i, item] of (body.input as InputItem[]).entries()) {
    const refusal = itemRefusal(item, i, stored, issued, notFound) ?? orphanRefusal(item, calls);
    if (refusal) return refusal;
  }
  return undefined;
}

/** The output item type of each tool call type, and how the API names it in its refusal. */
const OUTPUT: Record<string, { call: string; named: string }> = {
  function_call_output: { call: "function_call", named: "function call output" },
  custom_tool_call_output: { call: "custom_tool_call", named: "custom tool call output" },
};

/** Remembers a call in `calls` (its type and call_id); refuses an output whose call is not there. */
function orphanRefusal(item: InputItem, calls: Set<string> | undefined): Response | undefined {
  if (!calls || typeof item?.type !== "string") return undefined;
  const output = OUTPUT[item.type];
  if (!output) {
    if (typeof item.call_id === "string") calls.add(`${item.type} ${item.call_id}`);
    return undefined;
  }
  if (calls.has(`${output.call} ${String(item.call_id)}`)) return undefined;
  return apiError(400, `No tool call found for ${output.named} with call_id ${String(item.call_id)}.`, "input", null);
}

function itemRefusal(item: InputItem, i: number, stored: boolean, issued: Issued, notFound: 400 | 404): Response | undefined {
  const id = typeof item?.id === "string" ? item.id : undefined;
  const prefix = typeof item?.type === "string" ? PREFIX[item.type] : undefined;
  if (id !== undefined && prefix !== undefined && !id.startsWith(prefix)) {
    return apiError(400, `Invalid 'input[${i}].id': '${id}'. Expected an ID that begins with '${prefix}'.`, `input[${i}].id`, "invalid_value");
  }
  const reference = item?.type === "item_reference" || (item?.type == null && item?.role === undefined);
  if (item?.type !== "reasoning") return id !== undefined && (prefix !== undefined || reference) && !issued.ids.has(id) ? unknownItem(id, stored, notFound) : undefined;
  const encrypted = typeof item.encrypted_content === "string" ? item.encrypted_content : undefined;
  if (id !== undefined && (!issued.ids.has(id) || (!stored && encrypted === undefined))) return unknownItem(id, stored, notFound);
  if (encrypted !== undefined && !issued.encrypted.has(encrypted)) return undecryptable(encrypted);
  if (id === undefined && encrypted === undefined) return apiError(400, `Missing required parameter: 'input[${i}].id'.`, `input[${i}].id`, "missing_required_parameter");
  return undefined;
}

function unknownItem(id: string, stored: boolean, status: 400 | 404): Response {
  const unstored = " Items are not persisted when `store` is set to false. Try again with `store` set to true, or remove this item from your input.";
  return apiError(status, `Item with id '${id}' not found.${stored ? "" : unstored}`, "input", null);
}

function undecryptable(value: string): Response {
  const message = `The encrypted content ${value.slice(0, 4)}...${value.slice(-4)} could not be verified. Reason: Encrypted content could not be decrypted or parsed.`;
  return apiError(400, message, null, "invalid_encrypted_content");
}

function apiError(status: number, message: string, param: string | null, code: string | null): Response {
  return Response.json({ error: { message, type: "invalid_request_error", param, code } }, { status });
}
