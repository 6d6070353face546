/**
 * The gateway's envelopes in a Gemini-native request (generateContent, streamGenerateContent,
 * countTokens) passed through to Gemini or Vertex. A Gemini client's history the gateway answered
 * through another provider may hold `parts[].thoughtSignature` values that are envelopes
 * (hub/thinking-envelope.ts): Claude's signed thinking written into a Gemini answer (`agw1.t.`,
 * `agw1.r.`), a function call its provider did not sign (`agw1.n.`, "no signature": every such
 * call the gateway writes into a Gemini answer carries it), or a history carried across client
 * formats with Gemini's own signatures still wrapped (`agw1.gc.`, `agw1.ga.`). The gateway
 * writes them in base64 (the field is bytes); the SDKs may send them back in either alphabet,
 * padded or not, and histories from before hold them as text: all read alike
 * (hub/thought-signature.ts), and a value that is none of these (Gemini's own signature) is left
 * as it is. Gemini reads the field as bytes: an envelope as text fails to
 * parse (400 "Base64 decoding failed"), and a signature it did not issue is refused (400
 * "Corrupted thought signature."). So:
 *
 *   agw1.gc. / agw1.ga.   opened: the part gets Gemini's own signature back, in place
 *   any other envelope    taken off the part; a thought part carrying one goes with it (another
 *                         model's reasoning, nothing Gemini could verify), and so does a part
 *                         left as empty text; a content left without parts goes (Gemini refuses
 *                         empty `parts`)
 *
 * Gemini 3 refuses a model turn whose first function call has no signature ("Function call is
 * missing a thought_signature"; Google validates the steps of the current turn, since the last
 * user text: https://ai.google.dev/gemini-api/docs/thought-signatures). A model turn that held
 * another envelope was written from another provider's answer (a call that provider did not
 * sign, marked `agw1.n.`: Claude without thinking, an OpenAI-format model, Bedrock without
 * reasoning; or Claude's signed thinking before such a call): a trace from another model, for
 * which Google documents a stand-in signature that skips the check: "You can set the following
 * dummy signatures of either "context_engineering_is_the_way_to_go" or
 * "skip_thought_signature_validator"" (https://ai.google.dev/gemini-api/docs/thought-signatures,
 * FAQs) and "You can set thought_signature to skip_thought_signature_validator" (Vertex AI,
 * https://cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures). So the first
 * function call of such a turn, left without a signature, gets `skip_thought_signature_validator`
 * (the value both front doors document, and the one the translator uses for calls without a
 * signature: providers/gemini/request.ts). The turn's other calls go without one, as Gemini
 * signs only the first of parallel calls. Other models need none: Gemini 2.5 validates no
 * signature on calls, so there every such envelope just goes. A turn without any envelope goes as
 * the client sent it.
 *
 * Nothing is changed in place: the client's objects may be read again for another target.
 */
import type { BodyDraft } from "../../policies/types.ts";
import { openGeminiEnvelope } from "../hub/thinking-envelope.ts";
import { envelopeInThoughtSignature } from "../hub/thought-signature.ts";
import { SKIP_SIGNATURE_CHECK } from "../providers/gemini/signature.ts";
import { replaced } from "./replaced.ts";

type Part = Record<string, unknown>;
type Content = Record<string, unknown>;

/** Takes the envelopes out of a Gemini request for `model` (the one the request goes to). */
export function withoutGeminiEnvelopes(draft: BodyDraft, model: string): void {
  const gemini3 = model.includes("gemini-3");
  const contents = cleanContents(draft.body.contents, gemini3);
  if (contents) draft.set("contents", contents);
  // countTokens may name the whole request it counts instead
  const inner = draft.body.generateContentRequest as Record<string, unknown> | null | undefined;
  const innerContents = cleanContents(inner?.contents, gemini3);
  if (innerContents) draft.set("generateContentRequest", { ...inner, contents: innerContents });
}

/** `contents` without the envelopes, or undefined when there was none in them. */
function cleanContents(contents: unknown, gemini3: boolean): Content[] | undefined {
  if (!Array.isArray(contents)) return undefined;
  return replaced(contents as Content[], (c) => {
    const parts = Array.isArray(c?.parts) ? cleanParts(c.parts as Part[], gemini3 && c.role === "model") : undefined;
    if (parts === undefined) return c;
    return parts.length > 0 ? { ...c, parts } : undefined;
  });
}

/** `parts` with Gemini's envelopes opened and the others taken out; undefined when none had one. */
function cleanParts(parts: Part[], needsCallSignature: boolean): Part[] | undefined {
  const envelopes = parts.map((p) => envelopeInThoughtSignature(p?.thoughtSignature));
  if (envelopes.every((e) => e === undefined)) return undefined;
  const out: Part[] = [];
  let foreign = false;
  for (const [i, p] of parts.entries()) {
    const envelope = envelopes[i];
    if (envelope === undefined) {
      out.push(p);
      continue;
    }
    const own = openGeminiEnvelope(envelope);
    if (own) {
      out.push({ ...p, thoughtSignature: own.signature });
      continue;
    }
    foreign = true;
    if (p.thought === true) continue;
    const { thoughtSignature: _foreign, ...bare } = p;
    if (bare.text !== "") out.push(bare);
  }
  if (needsCallSignature && foreign) return withStandIn(out);
  return out;
}

/** `parts` with Google's stand-in signature on the first function call when it has none. */
function withStandIn(parts: Part[]): Part[] {
  const first = parts.findIndex((p) => p.functionCall);
  if (first < 0 || parts[first]!.thoughtSignature !== undefined) return parts;
  return parts.map((p, i) => (i === first ? { ...p, thoughtSignature: SKIP_SIGNATURE_CHECK } : p));
}
