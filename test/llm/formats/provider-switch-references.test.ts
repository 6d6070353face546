/**
 * Naming what the gateway wrote without carrying it, over real HTTP with the official OpenAI SDK.
 * A turn answered by Claude (Anthropic) or Bedrock is written by the gateway's Responses writer,
 * under ids it minted (`resp_agw_`, `fc_agw_`, `ctc_agw_`...); the gateway keeps none of it.
 *
 * - An `item_reference` to a function or custom tool call it wrote cannot be left out like one to
 *   a message: the call's output would be left without its call, and OpenAI answers 400 "No tool
 *   call found for function call output with call_id ..." (the emulators do too). The gateway
 *   answers 400 itself, naming the reference, without calling OpenAI or Azure; the same history
 *   with the call item itself goes through.
 * - Retrieving, deleting, cancelling or listing the input items of a response it wrote: 404 from
 *   the gateway, saying why, on every route; a response OpenAI issued goes to OpenAI as before.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import type { AzureEmulator } from "../../emulators/azure.ts";
import type { BedrockEmulator } from "../../emulators/bedrock.ts";
import type { OpenAIEmulator } from "../../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../../helpers/gateway.ts";
import { oneTool } from "../providers/anthropic/scripts.ts";
import { type FourProviders, startFourProviders } from "./four-providers.ts";
import { bedrockThinkingTool, responsesCompleted } from "./scripts.ts";

let setup: FourProviders;
let claude: AnthropicEmulator;
let bedrock: BedrockEmulator;
let openai: OpenAIEmulator;
let azure: AzureEmulator;
let gw: TestGateway;
/** the `llm:` form, its one model on the OpenAI emulator */
let llm: TestGateway;

beforeAll(async () => {
  setup = await startFourProviders();
  ({ claude, bedrock, openai, azure, gw } = setup);
  llm = await startTestGateway(`
llm:
  port: 0
  models:
  - name: gpt-5
    provider: openai
    params: {apiKey: sk-gw, hostOverride: "${openai.host}"}
`);
});
afterAll(async () => {
  await llm.stop();
  await setup.stop();
});

type Provider = "claude" | "bedrock" | "openai" | "azure";
const client = (provider: Provider | "llm") => openaiClient(provider === "llm" ? llm.baseURL() : `${gw.origin()}/${provider}/v1`);
/** Requests every emulator received so far (a refusal by the gateway leaves the count as it was). */
const upstreamCount = () => claude.requests.length + bedrock.requests.length + openai.requests.length + azure.requests.length;

const WEATHER: OpenAI.Responses.Tool = { type: "function", name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } }, strict: false };
const PATCH: OpenAI.Responses.Tool = { type: "custom", name: "apply_patch", description: "Apply a patch" };

type Item = OpenAI.Responses.ResponseInputItem;
const idOf = (item: Item) => (item as { id: string }).id;
type BadRequest = InstanceType<typeof OpenAI.BadRequestError>;
type NotFound = InstanceType<typeof OpenAI.NotFoundError>;

/** A tool turn answered through the gateway, its output as the SDK returns it, and what the client sends back for the call. */
interface ToolTurn {
  responseId: string;
  output: Item[];
  call: { id: string; type: "function_call" | "custom_tool_call" };
  result: Item;
  tools: OpenAI.Responses.Tool[];
}

/** Claude's text and function call (`msg_agw_`, `fc_agw_`), or Bedrock's reasoning and custom tool call (`rs_agw_`, `ctc_agw_`). */
async function toolTurn(from: "claude" | "bedrock"): Promise<ToolTurn> {
  if (from === "claude") claude.enqueue(turn(oneTool));
  else bedrock.enqueue({ events: bedrockThinkingTool("apply_patch", '{"input":"*** Begin Patch"}') });
  const tools = [from === "claude" ? WEATHER : PATCH];
  const first = await client(from).responses.create({ model: "m", tools, input: "Go" });
  const output = first.output as Item[];
  const call = output[1] as { id: string; type: "function_call" | "custom_tool_call"; call_id: string };
  expect(call.id).toMatch(from === "claude" ? /^fc_agw_/ : /^ctc_agw_/);
  const result = (call.type === "function_call" ? { type: "function_call_output", call_id: call.call_id, output: "Sunny" } : { type: "custom_tool_call_output", call_id: call.call_id, output: "Done!" }) as Item;
  return { responseId: first.id, output, call, result, tools };
}

describe("an item_reference to a call the gateway wrote", () => {
  for (const [from, to] of [["claude", "openai"], ["bedrock", "azure"], ["claude", "azure"], ["bedrock", "openai"]] as const) {
    test(`${from}'s ${from === "claude" ? "function" : "custom tool"} call, referenced on ${to}: a 400 from the gateway naming the reference, no upstream call; the call item itself goes through`, async () => {
      const { output, call, result, tools } = await toolTurn(from);
      const kind = call.type === "function_call" ? "function call" : "custom tool call";
      const fields = call.type === "function_call" ? "name and arguments" : "name and input";
      const before = upstreamCount();
      const referenced: Item[] = [{ role: "user", content: "Go" }, { type: "item_reference", id: idOf(output[0]!) }, { type: "item_reference", id: call.id }, result];
      const err = (await client(to).responses.create({ model: "gpt-5", tools, input: referenced }).catch((e: unknown) => e)) as BadRequest;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect([err.status, err.param, err.code, (err.error as { type?: string }).type]).toEqual([400, "input", "item_not_found", "invalid_request_error"]);
      expect(err.message).toBe(
        `400 Item with id '${call.id}' not found: it is a ${kind} the gateway wrote from another provider's answer, and the gateway keeps no answers, ` +
          `so no provider can resolve an 'item_reference' to it (its output would be left without its call). Send the ${kind} item itself in 'input' ` +
          `instead of the reference, as the client received it in that response's output (type '${call.type}', with its call_id, ${fields}).`,
      );
      expect(upstreamCount()).toBe(before);

      // the same history with the call as the SDK returned it: the reference to the gateway's first item still just goes
      (to === "openai" ? openai : azure).enqueue(responsesCompleted("Done.", "msg_up"));
      const whole: Item[] = [{ role: "user", content: "Go" }, { type: "item_reference", id: idOf(output[0]!) }, output[1]!, result];
      const answer = await client(to).responses.create({ model: "gpt-5", tools, input: whole });
      expect(answer.output_text).toBe("Done.");
      const sent = (to === "openai" ? openai : azure).requests.at(-1)!;
      expect(sent.body).not.toContain("_agw_");
      const { id: _minted, ...callWithoutId } = output[1] as object as Record<string, unknown>;
      expect(sent.json.input).toEqual([whole[0], callWithoutId, result]);
    });
  }

  test("a reference with its type left out is refused the same; one to the gateway's message alone is left out as before", async () => {
    const { output, call, result, tools } = await toolTurn("claude");
    const before = upstreamCount();
    const err = (await client("openai").responses.create({ model: "gpt-5", tools, input: [{ role: "user", content: "Go" }, { id: call.id } as Item, result] }).catch((e: unknown) => e)) as BadRequest;
    expect([err.status, err.code]).toEqual([400, "item_not_found"]);
    expect(err.message).toStartWith(`400 Item with id '${call.id}' not found: it is a function call the gateway wrote`);
    expect(upstreamCount()).toBe(before);

    openai.enqueue(responsesCompleted("Hi.", "msg_up"));
    const answer = await client("openai").responses.create({ model: "gpt-5", input: [{ role: "user", content: "Go" }, { id: idOf(output[0]!) } as Item, { role: "user", content: "And?" }] });
    expect(answer.output_text).toBe("Hi.");
    expect(openai.requests.at(-1)!.json.input).toEqual([{ role: "user", content: "Go" }, { role: "user", content: "And?" }]);
  });

  test("without anything of the gateway's, an output whose call is missing goes to OpenAI untouched, and OpenAI refuses it", async () => {
    const before = openai.requests.length;
    const orphan: Item = { type: "function_call_output", call_id: "call_0a1b2c3d", output: "Sunny" };
    const err = (await client("openai").responses.create({ model: "gpt-5", tools: [WEATHER], input: [{ role: "user", content: "Go" }, orphan] }).catch((e: unknown) => e)) as BadRequest;
    expect([err.status, err.param, err.code, err.message]).toEqual([400, "input", null, "400 No tool call found for function call output with call_id call_0a1b2c3d."]);
    expect(openai.requests.length).toBe(before + 1);
  });
});

describe("the paths of a response the gateway wrote: retrieve, delete, cancel, input items", () => {
  /** A response Claude answered through the gateway, under the gateway's id. */
  async function gatewayWritten(): Promise<string> {
    const { responseId } = await toolTurn("claude");
    expect(responseId).toMatch(/^resp_agw_[0-9a-f]{24}$/);
    return responseId;
  }
  const calls: [string, (c: OpenAI, id: string) => Promise<unknown>][] = [
    ["retrieve", (c, id) => c.responses.retrieve(id)],
    ["delete", (c, id) => c.responses.delete(id)],
    ["cancel", (c, id) => c.responses.cancel(id)],
    ["inputItems.list", async (c, id) => await c.responses.inputItems.list(id)],
  ];

  for (const on of ["openai", "azure", "claude", "llm"] as const) {
    test(`on ${on}: a 404 in OpenAI's shape from the gateway, saying why, for every SDK call; no upstream request`, async () => {
      const id = await gatewayWritten();
      const before = upstreamCount();
      for (const [name, call] of calls) {
        const err = (await call(client(on), id).catch((e: unknown) => e)) as NotFound;
        expect(err, name).toBeInstanceOf(OpenAI.NotFoundError);
        expect([err.status, err.param, err.code, (err.error as { type?: string }).type], name).toEqual([404, null, null, "invalid_request_error"]);
        expect(err.message, name).toBe(
          `404 Response with id '${id}' not found: the gateway wrote it from another provider's answer, and the gateway keeps no responses, ` +
            "so it cannot be retrieved, deleted, cancelled or have its input items listed. The response is what the client received; " +
            "to continue the conversation, send its output items in 'input'.",
        );
      }
      expect(upstreamCount()).toBe(before);
    });
  }

  test("a response OpenAI issued goes to OpenAI as before: retrieved, its input items listed, cancelled, deleted, then OpenAI's own 404", async () => {
    const id = `resp_${"0123456789abcdef".repeat(3)}01`;
    const stored = { ...((await responsesCompleted("Hello.", "msg_up").json()) as Record<string, unknown>), id };
    openai.enqueue(Response.json(stored));
    expect((await client("openai").responses.create({ model: "gpt-5", store: true, input: "Hi" })).id).toBe(id);

    expect((await client("openai").responses.retrieve(id)).output_text).toBe("Hello.");
    openai.enqueue(Response.json({ object: "list", data: [{ id: "msg_in", type: "message", role: "user", status: "completed", content: [{ type: "input_text", text: "Hi" }] }], first_id: "msg_in", last_id: "msg_in", has_more: false }));
    expect((await client("openai").responses.inputItems.list(id)).data.map((i) => i.id)).toEqual(["msg_in"]);
    openai.enqueue(Response.json({ ...stored, status: "cancelled" }));
    expect((await client("openai").responses.cancel(id)).status).toBe("cancelled");
    await client("openai").responses.delete(id);
    const err = (await client("openai").responses.retrieve(id).catch((e: unknown) => e)) as NotFound;
    expect([err.status, err.message]).toEqual([404, `404 Response with id '${id}' not found.`]);

    expect(openai.requests.slice(-5).map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET /v1/responses/${id}`,
      `GET /v1/responses/${id}/input_items`,
      `POST /v1/responses/${id}/cancel`,
      `DELETE /v1/responses/${id}`,
      `GET /v1/responses/${id}`,
    ]);
  });

  test("on the llm: form, a response OpenAI issued is refused as before (a GET names no model)", async () => {
    const before = openai.requests.length;
    const err = (await client("llm").responses.retrieve(`resp_${"0123456789abcdef".repeat(3)}01`).catch((e: unknown) => e)) as BadRequest;
    expect([err.status, err.code]).toEqual([400, "missing_model"]);
    expect(openai.requests.length).toBe(before);
  });
});
