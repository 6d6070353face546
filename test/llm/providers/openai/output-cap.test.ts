/**
 * OpenAI's reasoning models (o-series, gpt-5 and later) refuse `max_tokens` (400
 * unsupported_parameter: "Use 'max_completion_tokens' instead"). Claude Code and every Anthropic
 * client send `max_tokens` with each request, Gemini clients `maxOutputTokens`: translated for
 * such a model, the cap goes as `max_completion_tokens`. An OpenAI client's `max_tokens` sent to
 * such a model (an alias may pick it) is renamed too; for other models it stays as it is. The
 * same models take only the default sampling: a translated request's temperature and top_p go
 * unless they are 1; Claude's top_k, which OpenAI refuses outright, goes for every model.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../../../helpers/gateway.ts";
import { openaiJson, openaiSse } from "../../formats/scripts.ts";

/** OpenAI's refusal of max_tokens on a reasoning model, as it answers it */
function openai(body: Record<string, unknown>): Response {
  if (/^(o\d|gpt-5)/.test(String(body.model)) && "max_tokens" in body) {
    return Response.json(
      { error: { message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", type: "invalid_request_error", param: "max_tokens", code: "unsupported_parameter" } },
      { status: 400 },
    );
  }
  return body.stream === true ? openaiSse([{ content: "Done." }], "stop", undefined, String(body.model)) : openaiJson({ content: "Done." }, "stop", String(body.model));
}

let emu: OpenAIEmulator;
let gw: ProviderGateway;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  emu.script((rec) => openai(rec.json as Record<string, unknown>));
  gw = await gatewayFor("openAI", emu);
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

const sent = () => emu.requests.at(-1)!.json as Record<string, unknown>;

test("an Anthropic client (Claude Code's max_tokens) on gpt-5: answered, the cap sent as max_completion_tokens", async () => {
  const anthropic = new Anthropic({ baseURL: gw.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
  for (const model of ["gpt-5.4-mini", "o4-mini"]) {
    // streamed, as Claude Code asks (the SDK refuses a plain request with so large a cap)
    const message = await anthropic.messages.stream({ model, max_tokens: 32000, messages: [{ role: "user", content: "Fix the bug" }] }).finalMessage();
    expect(message.content as unknown[]).toEqual([{ type: "text", text: "Done." }]);
    expect(sent().max_completion_tokens).toBe(32000);
    expect(sent().max_tokens).toBeUndefined();
  }
});

test("an Anthropic client's sampling: only what the model takes (temperature and top_p default on gpt-5, no top_k anywhere)", async () => {
  const anthropic = new Anthropic({ baseURL: gw.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
  // (sampling fields the SDK's newest types no longer list; the Messages API still takes them)
  const ask = (model: string) => anthropic.messages.create({ model, max_tokens: 100, temperature: 0.2, top_p: 0.9, top_k: 5, messages: [{ role: "user", content: "hi" }] } as Anthropic.MessageCreateParamsNonStreaming);
  await ask("gpt-5-mini");
  expect([sent().temperature, sent().top_p, sent().top_k]).toEqual([undefined, undefined, undefined]);
  await ask("gpt-4o");
  expect([sent().temperature, sent().top_p, sent().top_k]).toEqual([0.2, 0.9, undefined]);
});

test("Claude's thinking becomes the reasoning effort of a reasoning model (on OpenAI's scale), and nothing for gpt-4o", async () => {
  const anthropic = new Anthropic({ baseURL: gw.baseURL().replace(/\/v1$/, ""), apiKey: "client-key", maxRetries: 0 });
  const think = (model: string, budget: number) => anthropic.messages.stream({ model, max_tokens: 64000, thinking: { type: "enabled", budget_tokens: budget }, messages: [{ role: "user", content: "Plan the refactor" }] }).finalMessage();
  await think("gpt-5", 1024);
  expect(sent().reasoning_effort).toBe("low");
  await think("gpt-5", 60000);
  expect(sent().reasoning_effort).toBe("high"); // Claude's largest budgets ask for more than OpenAI's scale has
  await think("gpt-4o", 1024);
  expect(sent().reasoning_effort).toBeUndefined();
});

test("an OpenAI client's max_tokens: renamed for gpt-5, kept for gpt-4o", async () => {
  const done = await gw.client.chat.completions.create({ model: "gpt-5", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
  expect(done.choices[0]!.message.content).toBe("Done.");
  expect(sent().max_completion_tokens).toBe(100);
  expect(sent().max_tokens).toBeUndefined();

  await gw.client.chat.completions.create({ model: "gpt-4o", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
  expect(sent().max_tokens).toBe(100);
  expect(sent().max_completion_tokens).toBeUndefined();
});
