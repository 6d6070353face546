/**
 * The item ids of a Responses conversation that switches provider, over real HTTP with the
 * official OpenAI SDK: a turn answered by Claude (Anthropic) or Bedrock is written by the
 * gateway's Responses writer, whose item ids (`msg_agw_`, `fc_agw_`, `ctc_agw_`, `rs_agw_`) no
 * Responses API issued; the next turn is passed through to OpenAI or Azure, which look an input
 * item's id up and refuse one they do not hold (the emulators answer as they do:
 * emulators/responses-items.ts). SDK clients send the output back with its ids (`store` on or off),
 * Codex with ids on Azure (`store: true`) and without them on OpenAI: the gateway sends the items
 * on without the ids it minted, and leaves out references to them (but to its calls:
 * provider-switch-references.test.ts); everything else goes as sent.
 * SDK clients with `store: true` may chain instead (`previous_response_id`): a chain on a response
 * the gateway wrote (`resp_agw_`, which OpenAI would answer 400 `previous_response_not_found`) is
 * answered by the gateway itself, saying why; a chain on OpenAI's own goes on untouched.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import type { AzureEmulator } from "../../emulators/azure.ts";
import type { BedrockEmulator } from "../../emulators/bedrock.ts";
import type { OpenAIEmulator } from "../../emulators/openai.ts";
import { openaiClient, type TestGateway } from "../../helpers/gateway.ts";
import { oneTool, plainText } from "../providers/anthropic/scripts.ts";
import { type FourProviders, startFourProviders } from "./four-providers.ts";
import { bedrockText, bedrockThinkingTool, responsesCompleted, SIGNATURE } from "./scripts.ts";

let setup: FourProviders;
let claude: AnthropicEmulator;
let bedrock: BedrockEmulator;
let openai: OpenAIEmulator;
let azure: AzureEmulator;
let gw: TestGateway;

beforeAll(async () => {
  setup = await startFourProviders();
  ({ claude, bedrock, openai, azure, gw } = setup);
});
afterAll(() => setup.stop());

const client = (provider: "claude" | "bedrock" | "openai" | "azure") => openaiClient(`${gw.origin()}/${provider}/v1`);

const WEATHER: OpenAI.Responses.Tool = { type: "function", name: "get_weather", parameters: { type: "object", properties: { location: { type: "string" } } }, strict: false };
const PATCH: OpenAI.Responses.Tool = { type: "custom", name: "apply_patch", description: "Apply a patch" };

/** A Response with one message, as OpenAI or Azure answers (the emulators check the input before it is sent). */
const completed = (text: string) => responsesCompleted(text, "msg_up");

type Item = Record<string, unknown>;
const asItem = (item: object): Item => ({ ...item });

/** The type and the id's head of each item (no asymmetric matchers: Bun's toMatchObject writes them into the object it checks). */
const heads = (items: readonly { type?: unknown; id?: unknown }[]) => items.map((i) => [i.type, String(i.id).replace(/[0-9a-f]{24}_\d+$/, "")]);

/** An item as the gateway should send it on: without an id it minted. */
function withoutMintedId(item: Item): Item {
  if (typeof item.id !== "string" || !item.id.includes("_agw_")) return item;
  const { id: _id, ...rest } = item;
  return rest;
}

/** Claude's tool turn through the gateway: its text and its call, each under an id the gateway minted. */
async function claudeToolTurn(streamed: boolean): Promise<OpenAI.Responses.ResponseInputItem[]> {
  claude.enqueue(turn(oneTool));
  const ask = { model: "claude-x", tools: [WEATHER], input: "Weather in Boston?" };
  const first = streamed ? await client("claude").responses.stream(ask).finalResponse() : await client("claude").responses.create(ask);
  expect(heads(first.output)).toEqual([
    ["message", "msg_agw_"],
    ["function_call", "fc_agw_"],
  ]);
  return first.output as OpenAI.Responses.ResponseInputItem[];
}

describe("SDK clients that send the output back as input, ids and all, to OpenAI", () => {
  for (const [store, streamed] of [[true, true], [false, false]] as const) {
    test(`Claude's text and call go on without the gateway's ids; OpenAI's own message keeps its id (store: ${store})`, async () => {
      const output = await claudeToolTurn(streamed);
      const own = openai.issueMessage("Hello.");
      openai.enqueue(completed("Sunny in Boston."));
      const input: OpenAI.Responses.ResponseInputItem[] = [
        { role: "user", content: "Hi" },
        own,
        { role: "user", content: "Weather in Boston?" },
        ...output,
        { type: "function_call_output", call_id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", output: "Sunny" },
      ];
      const second = await client("openai").responses.create({ model: "gpt-5", tools: [WEATHER], store, input });
      expect(second.output_text).toBe("Sunny in Boston.");

      const sent = openai.requests.at(-1)!;
      expect(sent.body).not.toContain("_agw_");
      expect(sent.json.store).toBe(store);
      // every item is there, its content untouched: only the ids the gateway minted are gone
      expect(sent.json.input).toEqual(input.map(asItem).map(withoutMintedId));
      expect(sent.json.input[1]).toEqual(own);
    });
  }

  test("a reference to a message the gateway wrote is left out (its content is nowhere OpenAI can read); one to OpenAI's own stays", async () => {
    const output = await claudeToolTurn(false);
    const own = openai.issueMessage("Hello.");
    openai.enqueue(completed("ok"));
    const message = (output[0] as OpenAI.Responses.ResponseOutputMessage).id;
    // (a reference to the call would be refused: provider-switch-references.test.ts)
    const input = [
      { role: "user", content: "Hi" },
      { type: "item_reference", id: own.id },
      { type: "item_reference", id: message },
      { id: message }, // the type of a reference may be left out
      { role: "user", content: "Go on" },
    ];
    const res = await fetch(`${gw.origin()}/openai/v1/responses`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-client" }, body: JSON.stringify({ model: "gpt-5", input }) });
    expect(res.status).toBe(200);
    expect(openai.requests.at(-1)!.json.input).toEqual([input[0], input[1], input[4]]);
  });
});

describe("Codex on Azure: every item it got back carries its id (store on)", () => {
  /** A user message as Codex writes it (no id: Codex only attaches the ids of items it was given). */
  const codexUser = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });

  test("a Bedrock turn (signed reasoning, a custom tool call) goes on without the gateway's reasoning and ids", async () => {
    bedrock.enqueue({ events: bedrockThinkingTool("apply_patch", '{"input":"*** Begin Patch"}') });
    const first = await client("bedrock").responses.stream({ model: "m", tools: [PATCH], reasoning: { effort: "high" }, input: [codexUser("Patch it")] as OpenAI.Responses.ResponseInputItem[] }).finalResponse();
    expect(heads(first.output)).toEqual([
      ["reasoning", "rs_agw_"],
      ["custom_tool_call", "ctc_agw_"],
    ]);
    expect(first.output[0]).toMatchObject({ encrypted_content: `agw1.t.${SIGNATURE}` });
    expect(first.output[1]).toMatchObject({ call_id: "tooluse_fmt01", input: "*** Begin Patch" });

    azure.enqueue(completed("Patched."));
    const input = [codexUser("Patch it"), ...first.output.map(asItem), { type: "custom_tool_call_output", call_id: "tooluse_fmt01", output: "Done!" }];
    const second = await client("azure").responses.create({ model: "gpt-5", tools: [PATCH], store: true, include: ["reasoning.encrypted_content"], input: input as OpenAI.Responses.ResponseInputItem[] });
    expect(second.output_text).toBe("Patched.");

    const sent = azure.requests.at(-1)!;
    expect(sent.path).toBe("/openai/v1/responses");
    expect(sent.body).not.toContain("_agw_");
    expect(sent.body).not.toContain("agw1.");
    expect(sent.json.input).toEqual([input[0], withoutMintedId(input[2]!), input[3]]);
  });
});

describe("Codex on OpenAI: no item ids", () => {
  test("a history with nothing of the gateway's to take out is forwarded byte for byte", async () => {
    const output = await claudeToolTurn(true);
    // Codex serializes no item ids but on Azure
    const codexSends = output.map((item) => Object.fromEntries(Object.entries(item).filter(([key]) => key !== "id")));
    expect(JSON.stringify(codexSends)).not.toContain("_agw_");
    openai.enqueue(completed("Sunny."));
    const body = JSON.stringify({ model: "gpt-5", store: false, input: [{ role: "user", content: "Weather in Boston?" }, ...codexSends, { type: "function_call_output", call_id: "toolu_01T1x1fJ34qAmk2tNTrN7Up6", output: "Sunny" }] });
    const res = await fetch(`${gw.origin()}/openai/v1/responses`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-client" }, body });
    expect(res.status).toBe(200);
    expect(openai.requests.at(-1)!.body).toBe(body);
  });
});

describe("SDK clients that chain turns with previous_response_id (store: true)", () => {
  type BadRequest = InstanceType<typeof OpenAI.BadRequestError>;

  /** A first turn on Claude (streamed) or Bedrock (whole), written by the gateway's Responses writer. */
  async function gatewayWritten(from: "claude" | "bedrock"): Promise<OpenAI.Responses.Response> {
    if (from === "claude") claude.enqueue(turn(plainText));
    else bedrock.enqueue({ events: bedrockText(["Hello ", "there."]) });
    const ask = { model: "m", store: true, input: "Hi" };
    const first = from === "claude" ? await client("claude").responses.stream(ask).finalResponse() : await client("bedrock").responses.create(ask);
    expect(first.id).toMatch(/^resp_agw_[0-9a-f]{24}$/);
    return first;
  }

  for (const [from, to, streamed] of [["claude", "openai", false], ["bedrock", "openai", true], ["claude", "azure", false]] as const) {
    test(`a chain on a response ${from} answered through the gateway is refused by the gateway on ${to}, which gets no request (${streamed ? "streamed" : "whole"})`, async () => {
      const first = await gatewayWritten(from);
      const upstream = to === "openai" ? openai : azure;
      const before = upstream.requests.length;
      const ask = { model: "gpt-5", store: true, previous_response_id: first.id, input: "And in French?" };
      const err = (await (streamed ? client(to).responses.stream(ask).finalResponse() : client(to).responses.create(ask)).catch((e: unknown) => e)) as BadRequest;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect([err.status, err.param, err.code, (err.error as { type?: string }).type]).toEqual([400, "previous_response_id", "previous_response_not_found", "invalid_request_error"]);
      expect(err.message).toContain(`Previous response with id '${first.id}' not found: the gateway wrote it from another provider's answer, and the gateway keeps no responses`);
      expect(err.message).toContain("Send the conversation in 'input' instead");
      expect(upstream.requests.length).toBe(before);
    });
  }

  test("a chain on OpenAI's own response goes to OpenAI untouched, and OpenAI resolves it", async () => {
    openai.enqueue(completed("Hello."), completed("Bonjour."));
    const first = await client("openai").responses.create({ model: "gpt-5", store: true, input: "Hi" });
    const second = await client("openai").responses.create({ model: "gpt-5", store: true, previous_response_id: first.id, input: "And in French?" });
    expect(second.output_text).toBe("Bonjour.");
    expect(openai.requests.at(-1)!.json).toEqual({ model: "gpt-5", store: true, previous_response_id: first.id, input: "And in French?" });
  });

  test("a chain on a response OpenAI does not hold gets OpenAI's own answer (400 previous_response_not_found)", async () => {
    const before = openai.requests.length;
    const err = (await client("openai")
      .responses.create({ model: "gpt-5", store: true, previous_response_id: "resp_0123456789abcdef0123456789abcdef0123456789abcdef01", input: "And?" })
      .catch((e: unknown) => e)) as BadRequest;
    expect([err.status, err.param, err.code, err.message]).toEqual([400, "previous_response_id", "previous_response_not_found", "400 Previous response with id 'resp_0123456789abcdef0123456789abcdef0123456789abcdef01' not found."]);
    expect(openai.requests.length).toBe(before + 1);
  });

  test("a translated provider refuses every chain as before (the gateway keeps no responses), without calling it", async () => {
    const first = await gatewayWritten("bedrock");
    const before = claude.requests.length;
    for (const id of [first.id, "resp_0123456789abcdef0123456789abcdef0123456789abcdef01"]) {
      const err = (await client("claude").responses.create({ model: "m", previous_response_id: id, input: "And?" }).catch((e: unknown) => e)) as BadRequest;
      expect([err.status, err.param, err.code]).toEqual([400, "previous_response_id", "unsupported_parameter"]);
      expect(err.message).toContain("'previous_response_id' needs stored responses, which this provider does not keep");
    }
    expect(claude.requests.length).toBe(before);
  });
});
