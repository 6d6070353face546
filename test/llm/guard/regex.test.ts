/**
 * The regex guard over real HTTP with the SDK: requests masked or rejected by scope, answers
 * masked (OpenAI JSON, translated Anthropic answers), and streamed answers masked with the PII
 * split at every character position between events and at every byte position between network
 * reads: the client always gets exactly what masking the whole answer gives, and never an
 * unmasked digit first.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../emulators/anthropic.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../../helpers/gateway.ts";
import * as anthropic from "../providers/anthropic/scripts.ts";

const GUARD = `
  ai:
    promptGuard:
      streaming: Enabled
      request:
      - regex: {action: mask, rules: [{builtin: creditCard}, {builtin: email}]}
      - regex: {action: reject, rules: [{pattern: "(?i)drop table"}]}
        rejection: {status: 422, body: "SQL is not allowed here", headers: {set: {x-guard: sql}}}
      - regex: {action: mask, rules: [{builtin: ssn}]}
        scope: [toolOutput]
      response:
      - regex: {rules: [{builtin: creditCard}, {builtin: email}, {builtin: phoneNumber}]}
      - regex: {action: reject, rules: [{pattern: "launch code \\\\d+"}]}
`;

const ANSWER = "Sure: card 4111 1111 1111 1111, mail ana.lopez@example.com, phone +1 (555) 123-4567. Done.";
const MASKED = "Sure: card <CREDIT_CARD>, mail <EMAIL>, phone <PHONE_NUMBER>. Done.";

let emu: OpenAIEmulator;
let claude: AnthropicEmulator;
let gw: ProviderGateway;
let viaClaude: ProviderGateway;

const chunk = (content: string) => `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const FINISH = `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta: {}, finish_reason: "stop" }] })}\n\ndata: [DONE]\n\n`;

/** A streamed answer sent as `reads` network reads (a short pause between them). */
function streamed(reads: (string | Uint8Array)[]): Response {
  const enc = new TextEncoder();
  return new Response(
    new ReadableStream({
      async start(c) {
        for (const [i, r] of reads.entries()) {
          if (i > 0) await Bun.sleep(1);
          c.enqueue(typeof r === "string" ? enc.encode(r) : r);
        }
        c.close();
      },
    }),
    { headers: { "content-type": "text/event-stream" } },
  );
}

beforeAll(async () => {
  emu = startOpenAIEmulator();
  claude = startAnthropicEmulator();
  gw = await gatewayFor("openAI", emu, { policies: GUARD });
  viaClaude = await gatewayFor("anthropic", claude, { ...anthropic.PINNED, policies: GUARD });
});
afterAll(async () => {
  await gw.stop();
  await viaClaude.stop();
  await emu.stop();
  await claude.stop();
});

async function streamText(client: OpenAI): Promise<{ text: string; deltas: string[] }> {
  const deltas: string[] = [];
  const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
  for await (const c of stream) {
    const d = c.choices[0]?.delta?.content;
    if (d) deltas.push(d);
  }
  return { text: deltas.join(""), deltas };
}

describe("requests", () => {
  test("masked by scope: messages masked, tool output by its own guard, the system prompt too (default scope)", async () => {
    await gw.client.chat.completions.create({
      model: "m",
      messages: [
        { role: "system", content: "Reply to ops@example.com" },
        { role: "user", content: [{ type: "text", text: "Charge 4242-4242-4242-4242 please" }] },
        { role: "assistant", content: null, tool_calls: [{ id: "t1", type: "function", function: { name: "lookup", arguments: "{}" } }] },
        { role: "tool", tool_call_id: "t1", content: "SSN 123-45-6789 on file, card 4111111111111111" },
      ],
    });
    const sent = emu.lastJson().messages;
    expect(sent[0].content).toBe("Reply to <EMAIL>");
    expect(sent[1].content).toEqual([{ type: "text", text: "Charge <CREDIT_CARD> please" }]);
    // the tool output is only in the ssn guard's scope
    expect(sent[3].content).toBe("SSN <SSN> on file, card 4111111111111111");
  });

  test("rejected with the configured status, message and headers; nothing reaches the provider", async () => {
    const n = emu.requests.length;
    const res = await fetch(`${gw.baseURL()}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "please DROP TABLE users" }] }),
    });
    expect(res.status).toBe(422);
    expect(res.headers.get("x-guard")).toBe("sql");
    expect(((await res.json()) as { error: { message: string; code: string } }).error).toMatchObject({ message: "SQL is not allowed here", code: "guardrail_rejected" });
    expect(emu.requests.length).toBe(n);
  });
});

describe("answers", () => {
  test("an OpenAI JSON answer is masked", async () => {
    emu.script(() => Response.json({ id: "x", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: ANSWER }, finish_reason: "stop" }] }));
    const r = await gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]!.message.content).toBe(MASKED);
    emu.script(undefined);
  });

  test("a translated (Anthropic) answer is masked, whole and streamed", async () => {
    const events = [anthropic.messageStart("msg_1", { input_tokens: 5 }), anthropic.textStart(0), anthropic.text(0, "card 4111 1111 "), anthropic.text(0, "1111 1111 ok"), anthropic.stop(0), anthropic.messageDelta("end_turn", { output_tokens: 9 }), anthropic.messageStop];
    claude.script(() => turn(events));
    const whole = await viaClaude.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(whole.choices[0]!.message.content).toBe("card <CREDIT_CARD> ok");
    expect((await streamText(viaClaude.client)).text).toBe("card <CREDIT_CARD> ok");
    claude.script(undefined);
  });

  test("streamed PII split between two events at every character position", async () => {
    for (let i = 0; i <= ANSWER.length; i++) {
      emu.script(() => streamed([chunk(ANSWER.slice(0, i)), chunk(ANSWER.slice(i)), FINISH]));
      const { text, deltas } = await streamText(gw.client);
      expect(text).toBe(MASKED);
      // nothing unmasked ever went out: every delta is a piece of the masked answer
      let at = 0;
      for (const d of deltas) {
        expect(MASKED.slice(at, at + d.length)).toBe(d);
        at += d.length;
      }
    }
    emu.script(undefined);
  });

  test("streamed answer split between two network reads at every byte position", async () => {
    const bytes = new TextEncoder().encode(chunk("card 4111 1111 1111 1111 ✓ ") + chunk("mail ana@example.com") + FINISH);
    for (let i = 1; i < bytes.length; i++) {
      emu.script(() => streamed([bytes.subarray(0, i), bytes.subarray(i)]));
      expect((await streamText(gw.client)).text).toBe("card <CREDIT_CARD> ✓ mail <EMAIL>");
    }
    emu.script(undefined);
  });

  test("the held part of a number is not sent while the provider is silent (builtins hold only what could grow into a match)", async () => {
    const builtins = await gatewayFor("openAI", emu, { policies: "ai: {promptGuard: {streaming: Enabled, response: [{regex: {rules: [{builtin: creditCard}, {builtin: email}]}}]}}" });
    emu.script(() =>
      new Response(
        new ReadableStream({
          async start(c) {
            const enc = new TextEncoder();
            c.enqueue(enc.encode(chunk("Your card: 4111 1111")));
            await Bun.sleep(150);
            c.enqueue(enc.encode(chunk(" 1111 1111. Bye") + FINISH));
            c.close();
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      ),
    );
    const seen: { at: number; d: string }[] = [];
    const started = performance.now();
    const stream = await builtins.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
    for await (const c of stream) {
      const d = c.choices[0]?.delta?.content;
      if (d) seen.push({ at: performance.now() - started, d });
    }
    expect(seen.map((s) => s.d).join("")).toBe("Your card: <CREDIT_CARD>. Bye");
    expect(seen.some((s) => /\d/.test(s.d))).toBe(false);
    // "Your card:" went out at once; the number waited for the rest of it
    expect(seen[0]!.d).toBe("Your card: ");
    expect(seen[1]!.at - seen[0]!.at).toBeGreaterThan(100);
    emu.script(undefined);
    await builtins.stop();
  });

  test("a reject guard on a stream: a real HTTP error before any content, an error event after", async () => {
    emu.script(() => streamed([chunk("The launch code 1234 is"), FINISH]));
    const err = (await streamText(gw.client).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(403);
    // the same after a pause (a role chunk, then the text, as a model sends them): a guard that
    // may still refuse the answer holds it, though there is no other provider to move on to
    emu.script(() => streamed([chunk(""), chunk("The launch code 1234 is"), FINISH]));
    const paused = (await streamText(gw.client).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(paused.status).toBe(403);
    emu.script(() => streamed([chunk("Hello there. ".repeat(15)), chunk("The launch code 1234 is"), FINISH]));
    const stream = await gw.client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true });
    let text = "";
    const late = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta?.content ?? "";
    })().catch((e: unknown) => e);
    expect(late).toBeInstanceOf(OpenAI.APIError);
    expect(text).not.toContain("1234");
    emu.script(undefined);
  });
});

describe("several choices", () => {
  test("n > 1 on a guarded stream is refused (the guard reads one text)", async () => {
    const err = (await gw.client.chat.completions.create({ model: "m", n: 2, stream: true, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect([err.status, err.param]).toEqual([400, "n"]);
  });
});

describe("streaming: Disabled", () => {
  test("streamed answers pass unguarded (agentgateway's default); whole answers are still masked", async () => {
    const off = await gatewayFor("openAI", emu, { policies: GUARD.replace("streaming: Enabled", "streaming: Disabled") });
    emu.script(() => streamed([chunk(ANSWER), FINISH]));
    expect((await streamText(off.client)).text).toBe(ANSWER);
    emu.script(undefined);
    await off.stop();
  });
});

describe("llm: models[].guardrails", () => {
  test("the same guards on the llm: form", async () => {
    const { startTestGateway, openaiClient } = await import("../../helpers/gateway.ts");
    const g = await startTestGateway(`
llm:
  port: 0
  models:
  - name: guarded
    provider: openai
    params: {baseUrl: "http://${emu.host}/v1"}
    guardrails:
      request: [{regex: {rules: [{builtin: email}]}}]
`);
    await openaiClient(g.baseURL()).chat.completions.create({ model: "guarded", messages: [{ role: "user", content: "write to a@b.io" }] });
    expect(emu.lastJson().messages[0].content).toBe("write to <EMAIL>");
    await g.stop();
  });

  test("llm.policies.guardrails (agentgateway's multi-layer example): the shared layer applies to every model, together with its own", async () => {
    const { startTestGateway, openaiClient } = await import("../../helpers/gateway.ts");
    const g = await startTestGateway(`
llm:
  port: 0
  policies:
    guardrails:
      request:
      - regex: {action: reject, rules: [{builtin: ssn}]}
        rejection: {status: 400, body: "Request contains PII and cannot be processed"}
  models:
  - name: layered
    provider: openai
    params: {baseUrl: "http://${emu.host}/v1"}
    guardrails:
      request: [{regex: {rules: [{builtin: email}]}}]
  - name: plain
    provider: openai
    params: {baseUrl: "http://${emu.host}/v1"}
`);
    try {
      const client = openaiClient(g.baseURL());
      await client.chat.completions.create({ model: "layered", messages: [{ role: "user", content: "write to a@b.io" }] });
      expect(emu.lastJson().messages[0].content).toBe("write to <EMAIL>"); // the model's own layer
      const sent = emu.requests.length;
      for (const model of ["layered", "plain"]) {
        const err = (await client.chat.completions.create({ model, messages: [{ role: "user", content: "my ssn is 123-45-6789" }] }).catch((e) => e)) as { status: number; message: string };
        expect(err.status).toBe(400);
        expect(err.message).toContain("Request contains PII");
      }
      expect(emu.requests.length).toBe(sent); // refused before any provider call
    } finally {
      await g.stop();
    }
  });
});
