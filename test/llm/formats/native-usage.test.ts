/**
 * The usage tap of answers passed through in the client's own format reads each network read
 * once: a long event line (an image inline in a Gemini event: megabytes) is joined with its end
 * only, and a line beyond 32 MiB is skipped to its end without holding it, the lines after it
 * read as before.
 */
import { expect, test } from "bun:test";
import { nativeUsageTap } from "../../../src/llm/formats/native-usage.ts";

const enc = new TextEncoder();

/** `text` fed in reads of `size` bytes */
function feed(tap: NonNullable<ReturnType<typeof nativeUsageTap>>, text: string, size: number): void {
  const bytes = enc.encode(text);
  for (let at = 0; at < bytes.byteLength; at += size) tap.push(bytes.subarray(at, at + size));
}

const usageEvent = (prompt: number, out: number, pad = "") =>
  `data: {"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"${pad}"}}]}}],"usageMetadata":{"promptTokenCount":${prompt},"candidatesTokenCount":${out},"totalTokenCount":${prompt + out}},"modelVersion":"gemini-2.5-flash-image"}\r\n\r\n`;

test("a 3 MB event line in 64 KB reads: its usage is read, as with the whole line in one read", () => {
  const line = usageEvent(12, 1290, "A".repeat(3_000_000));
  const inReads = nativeUsageTap("generateContent")!;
  feed(inReads, line, 65536);
  const whole = nativeUsageTap("generateContent")!;
  feed(whole, line, line.length);
  expect(inReads.end()).toEqual(whole.end()!);
  expect(inReads.end()?.outputTokens).toBe(1290);
  expect(inReads.model).toBe("gemini-2.5-flash-image");
});

test("a line beyond 32 MiB is skipped to its end; the usage after it is read", () => {
  const tap = nativeUsageTap("generateContent")!;
  feed(tap, usageEvent(1, 1), 4096);
  const chunk = enc.encode("B".repeat(1 << 20));
  tap.push(enc.encode('data: {"usageMetadata":{"promptTokenCount":999,"candidatesTokenCount":999,"totalTokenCount":1998},"x":"'));
  for (let i = 0; i < 40; i++) tap.push(chunk);
  tap.push(enc.encode('"}\n\n'));
  expect(tap.end()?.inputTokens).toBe(1); // the oversized line's usage was not read
  feed(tap, usageEvent(7, 3), 4096);
  expect(tap.end()).toMatchObject({ inputTokens: 7, outputTokens: 3 });
});
