/**
 * Streamed text arrives intact whatever it contains and however Google formats its events
 * (spaced or compact JSON, `role` before or after `parts`): quotes, backslashes, control
 * characters, non-ASCII, and text that looks like the protocol itself.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { GEMINI_TEST_KEY, startGeminiEmulator, type GeminiEmulator } from "../../../emulators/gemini.ts";
import { accessLogs, eventually, gatewayFor, openaiClient, type TestGateway } from "../../../helpers/gateway.ts";

let emu: GeminiEmulator;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  emu = startGeminiEmulator();
  gw = await gatewayFor("gemini", emu, { settings: { model: "gemini-2.5-flash" }, auth: { key: GEMINI_TEST_KEY } });
  client = openaiClient(gw.baseURL());
});

afterAll(async () => {
  await gw?.stop();
  emu?.stop();
});

const PIECES = [
  'He said "hi"',
  " C:\\path\\to\\file \\\\ end\\",
  "\n\tnew line and tab\r\n",
  " unicode é 漢字 😀 \u2028 \u0000",
  ' "finishReason": "STOP" is just text',
  ' {"candidates": [{"content": {"parts": [{"text": "nested"}]}}]}',
  "",
  " </script> & <b>",
];

function events(roleFirst: boolean) {
  return PIECES.map((text, i) => {
    const content = roleFirst ? { role: "model", parts: [{ text }] } : { parts: [{ text }], role: "model" };
    const last = i === PIECES.length - 1;
    return {
      candidates: [{ content, ...(last ? { finishReason: "STOP" } : {}), index: 0 }],
      usageMetadata: { promptTokenCount: 6, candidatesTokenCount: i + 1, totalTokenCount: 7 + i },
      modelVersion: "gemini-2.5-flash",
      responseId: "textResp",
    };
  });
}

async function streamed(): Promise<{ text: string; usage: OpenAI.CompletionUsage | null | undefined; finish: string | null }> {
  const stream = await client.chat.completions.create({
    model: "m",
    messages: [{ role: "user", content: "Say tricky things" }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let usage: OpenAI.CompletionUsage | null | undefined;
  let finish: string | null = null;
  for await (const c of stream) {
    text += c.choices[0]?.delta.content ?? "";
    finish = c.choices[0]?.finish_reason ?? finish;
    if (c.usage) usage = c.usage;
  }
  return { text, usage, finish };
}

describe("gemini stream: text fidelity", () => {
  for (const format of ["google", "compact"] as const) {
    for (const roleFirst of [false, true]) {
      test(`${format} JSON, role ${roleFirst ? "before" : "after"} parts`, async () => {
        emu.script(() => ({ events: events(roleFirst), format }));
        const r = await streamed();
        expect(r.text).toBe(PIECES.join(""));
        expect(r.finish).toBe("stop");
        expect(r.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: PIECES.length, total_tokens: 6 + PIECES.length });
      });
    }
  }

  test("usage of a stream cut after plain text events is still accounted from the last event", async () => {
    const cut = events(false).slice(0, 3);
    emu.script(() => ({ events: cut }));
    const stream = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }], stream: true });
    const err = await (async () => {
      for await (const _ of stream) {
        // drain
      }
    })().catch((e) => e);
    expect(err?.message).toContain("ended before Gemini finished");
    const line = await eventually(() => accessLogs(gw).find((l) => String(l.error ?? "").includes("ended before Gemini finished")));
    expect(line["gen_ai.usage.output_tokens"]).toBe(3);
  });
});
