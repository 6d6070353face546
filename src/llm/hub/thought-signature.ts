/**
 * The gateway's envelopes (thinking-envelope.ts) as Gemini's `thoughtSignature` carries them.
 *
 * `thoughtSignature` is a protobuf `bytes` field: base64 on the JSON wire, and the typed SDKs
 * decode it. An envelope written as text (`agw1.t.<signature>`) holds dots, so it is not base64:
 *
 *   Go      googleapis/go-genai: `Part.ThoughtSignature []byte`, which encoding/json decodes as
 *           standard padded base64; anything else fails the whole answer ("illegal base64 data
 *           at input byte N", as quoted in googleapis/python-genai#2105).
 *   .NET    googleapis/dotnet-genai: `byte[]? ThoughtSignature`, System.Text.Json's standard
 *           base64 (googleapis/go-genai#711: both SDKs treat the field as bytes).
 *   Python  googleapis/python-genai: `thought_signature: Optional[bytes]` on pydantic models with
 *           `val_json_bytes='base64'`, which decodes the answer's strings too (pydantic#13778) and
 *           takes either alphabet (pydantic-core#1395): text fails validation ("Data should be
 *           valid base64: Invalid symbol 46"). The SDK sends the bytes back re-encoded with the
 *           URL-safe alphabet (`base64.urlsafe_b64encode` in `_common.encode_unserializable_types`,
 *           and pydantic's `ser_json_bytes='base64'`): `-` and `_` for `+` and `/`
 *           (python-genai#2105).
 *   JS      @google/genai (and Gemini CLI) keep it a string, as they got it.
 *
 * So the gateway writes the envelope's bytes in standard base64 (RFC 4648 section 4, padded): the
 * form the proto3 JSON mapping writes for `bytes`, which every SDK decodes. It reads back what
 * that mapping accepts (either alphabet, padded or not: protobuf.dev, "ProtoJSON Format", bytes)
 * and the text form of histories written before. What envelopes carry is base64 text, and the
 * base64 of such text has no `+` or `/` (a sextet of 62 or 63 needs a byte `>`, `?`, `~` or DEL),
 * so the Python SDK's URL-safe re-encoding gives it back unchanged; other clients may drop the
 * padding.
 *
 * The base64 of any text that starts `agw1.` starts `YWd3MS` whatever follows (six characters
 * are the first 36 bits: `agw1` and the high half of `.`), and holds no `+` or `/`, so it is the
 * same in both alphabets: the mark a byte scan looks for before a passthrough reads a body.
 * Gemini's own signatures never read as an envelope: they are binary (protobuf; the ones Gemini
 * sends start `Ci`, `Eo`...), and one would have to decode to `agw1.` and then to valid UTF-8
 * throughout, which random bytes of a signature's length are not.
 */
import { indexOfBytes } from "../../http/bytes.ts";
import { ENVELOPE } from "./thinking-envelope.ts";

/** How the base64 of every envelope starts (`agw1.` -> `YWd3MS`), in either alphabet. */
export const ENCODED_ENVELOPE = "YWd3MS";

/** The mark as it opens a JSON string value: how a request body holds a base64 envelope. */
const ENCODED_VALUE = `"${ENCODED_ENVELOPE}`;

/** Base64 in either alphabet, padding optional (what the SDKs send back). */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** An envelope as a `thoughtSignature`: its bytes in standard base64, padded. */
export function asThoughtSignature(envelope: string): string {
  return Buffer.from(envelope, "utf8").toString("base64");
}

/**
 * The envelope a `thoughtSignature` holds: written as text (before base64), or in base64 of
 * either alphabet, padded or not; undefined for any other value (Gemini's own signatures).
 */
export function envelopeInThoughtSignature(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  if (value.startsWith(ENVELOPE)) return value;
  if (!value.startsWith(ENCODED_ENVELOPE) || !BASE64.test(value) || value.replace(/=+$/, "").length % 4 === 1) return undefined;
  // Buffer's decoder takes both alphabets, with or without padding
  const bytes = Buffer.from(value, "base64");
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  return text.startsWith(ENVELOPE) ? text : undefined;
}

/**
 * Whether a request's bytes may hold an envelope in base64: a JSON string opening with the mark.
 * A byte scan, no parsing (the text form is found by scanning for `agw1.`).
 */
export function mayHoldEncodedEnvelope(bytes: Uint8Array): boolean {
  return indexOfBytes(bytes, ENCODED_VALUE) !== -1;
}
