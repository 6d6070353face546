/**
 * The gateway's envelopes as Gemini's `thoughtSignature` carries them (hub/thought-signature.ts):
 * the base64 mark every envelope starts with, whatever follows; what is read back as an envelope
 * (base64 in either alphabet, padded or not; the text form of older histories) and what never is
 * (Gemini's own signatures, binary).
 */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { asThoughtSignature, ENCODED_ENVELOPE, envelopeInThoughtSignature, mayHoldEncodedEnvelope } from "../../../src/llm/hub/thought-signature.ts";

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const bytes = (...parts: (string | Uint8Array)[]) => Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p) : p)));

describe("the mark", () => {
  test("the base64 of anything that starts `agw1.` starts with it, in both alphabets; it holds no `+` or `/`", () => {
    expect(ENCODED_ENVELOPE).toMatch(/^[A-Za-z0-9]+$/);
    const suffixes = [new Uint8Array(0), ...Array.from({ length: 2000 }, (_, i) => random(i % 40)), ...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b))];
    for (const suffix of suffixes) {
      const value = bytes("agw1.", suffix);
      expect(value.toString("base64")).toStartWith(ENCODED_ENVELOPE);
      expect(value.toString("base64url")).toStartWith(ENCODED_ENVELOPE);
    }
  });

  test("a byte scan finds it opening a JSON string, not inside one", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(mayHoldEncodedEnvelope(enc(`{"thoughtSignature": "${asThoughtSignature("agw1.t.x")}"}`))).toBe(true);
    expect(mayHoldEncodedEnvelope(enc(`{"thoughtSignature":"CiIB${ENCODED_ENVELOPE}xx"}`))).toBe(false);
  });
});

describe("written", () => {
  test("standard base64, padded, of the envelope's bytes", () => {
    for (const envelope of ["agw1.t.EqQBCgIYAhIM1gbcDa9G+/==", "agw1.r.x", "agw1.ga.c2ln", "agw1.u."]) {
      const written = asThoughtSignature(envelope);
      expect(written).toMatch(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
      expect(Buffer.from(written, "base64").toString()).toBe(envelope);
    }
  });
});

describe("read back", () => {
  // `?`, `>` and `~` put `/` and `+` in the base64: the alphabets differ for this one
  const envelope = "agw1.t.sig?>~with?>~chars";
  const written = asThoughtSignature(envelope);

  test("either alphabet, padded or not, and the text form", () => {
    expect(written).toMatch(/[+/]/);
    expect(written).toEndWith("=");
    const urlSafe = written.replaceAll("+", "-").replaceAll("/", "_");
    for (const value of [written, urlSafe, urlSafe.replace(/=+$/, ""), written.replace(/=+$/, ""), envelope]) {
      expect(envelopeInThoughtSignature(value)).toBe(envelope);
    }
  });

  test("not: Gemini's own signatures, the stand-in, values that are not base64, nor an envelope", () => {
    const recorded = readFileSync(new URL("../../fixtures/recorded/gemini/stream-thinking-functioncall-thoughtsignature.sse", import.meta.url), "utf8");
    const gemini = /"thoughtSignature": "([^"]+)"/.exec(recorded)![1]!;
    const notEnvelopes: unknown[] = [
      gemini,
      "skip_thought_signature_validator",
      undefined,
      42,
      `${written}!`, // not base64
      written.replace(/=+$/, "").slice(0, -2) + "A", // a length base64 cannot have
      bytes("agw1.t.", Uint8Array.of(0xff, 0xfe, 0x80)).toString("base64"), // the mark, then bytes that are no text
      bytes("agw2.t.x").toString("base64"), // starts YWd3Mi
      bytes("agw1").toString("base64"), // YWd3MQ==: no dot
    ];
    for (const value of notEnvelopes) expect(envelopeInThoughtSignature(value)).toBeUndefined();
  });

  test("random signatures are never read as envelopes, even those given the mark", () => {
    for (let i = 0; i < 2000; i++) {
      const signature = random(60 + (i % 200));
      expect(envelopeInThoughtSignature(Buffer.from(signature).toString("base64"))).toBeUndefined();
      // forced to open with `agw1.`: the bytes after it are still no UTF-8 text
      const forced = bytes("agw1.", signature);
      expect(envelopeInThoughtSignature(forced.toString("base64url"))).toBeUndefined();
    }
  });
});
