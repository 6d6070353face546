/**
 * OpenAI embeddings over Bedrock `InvokeModel` (`POST /model/{id}/invoke`), whose body is the
 * model's own format:
 *   Amazon Titan text (v1, v2)   `{inputText, dimensions?, normalize}` -> `{embedding, inputTextTokenCount}`;
 *                                one input per call, so a batch becomes one call per input
 *   Cohere embed (v3, v4)        `{texts, input_type, output_dimension?}` -> `{embeddings}`; at most
 *                                96 texts per call, so larger batches are split
 * `dimensions` maps to Titan v2's `dimensions` and Cohere v4's `output_dimension` (a 400 for
 * models that cannot change it); `encoding_format: "base64"` is produced here (little-endian
 * float32, as OpenAI encodes it). Cohere's `input_type` defaults to `search_document`; a client
 * may send `input_type` to choose another.
 */
import { HttpError } from "../../../http/errors.ts";
import { float32Base64 } from "../../content/embedding-base64.ts";
import type { EmbeddingsTranslator, TranslatedBody, Usage } from "../../types.ts";
import { baseModelId, modelPathSegment } from "./model-id.ts";
import type { BedrockSpec } from "./request.ts";

const COHERE_BATCH = 96;

type Family = "titan-v1" | "titan-v2" | "cohere-v3" | "cohere-v4";

function familyOf(model: string): Family {
  const base = baseModelId(model) ?? "";
  if (base.startsWith("amazon.titan-embed-text-v2")) return "titan-v2";
  if (base.startsWith("amazon.titan-embed-text-v1") || base.startsWith("amazon.titan-embed-g1-text")) return "titan-v1";
  if (base.startsWith("cohere.embed-v4")) return "cohere-v4";
  if (base.startsWith("cohere.embed-")) return "cohere-v3";
  throw new HttpError(400, `embeddings through Bedrock support Amazon Titan text and Cohere embed models, not '${model}'`, { param: "model", code: "unsupported_model" });
}

/**
 * OpenAI's own limit on an `input` array. Titan embeds one text per call, so the cap bounds the
 * upstream calls one client request can start (a 20 000-string array would be 20 000 calls).
 */
const MAX_INPUTS = 2048;

function inputsOf(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (Array.isArray(input) && input.length > MAX_INPUTS) {
    throw new HttpError(400, `'input' holds ${input.length} texts; at most ${MAX_INPUTS} can be embedded in one request`, { param: "input", code: "invalid_request_body" });
  }
  if (Array.isArray(input) && input.length > 0 && input.every((i) => typeof i === "string")) return input as string[];
  throw new HttpError(400, "Bedrock embeddings take 'input' as a string or an array of strings (token arrays are not supported)", { param: "input" });
}

function requestBodies(req: Record<string, unknown>, model: string): TranslatedBody[] {
  const family = familyOf(model);
  const inputs = inputsOf(req.input);
  const dims = req.dimensions;
  if (dims !== undefined && dims !== null && (typeof dims !== "number" || family === "titan-v1" || family === "cohere-v3")) {
    throw new HttpError(400, `'dimensions' is not supported by ${model}`, { param: "dimensions", code: "unsupported_parameter" });
  }
  if (family === "titan-v1" || family === "titan-v2") {
    return inputs.map((inputText) => {
      const body: Record<string, unknown> = { inputText };
      if (family === "titan-v2") {
        body.normalize = true;
        if (typeof dims === "number") body.dimensions = dims;
      }
      return { body: JSON.stringify(body), headers: { accept: "application/json" } };
    });
  }
  const bodies: TranslatedBody[] = [];
  for (let i = 0; i < inputs.length; i += COHERE_BATCH) {
    const body: Record<string, unknown> = {
      texts: inputs.slice(i, i + COHERE_BATCH),
      input_type: typeof req.input_type === "string" ? req.input_type : "search_document",
    };
    if (typeof dims === "number") body.output_dimension = dims;
    bodies.push({ body: JSON.stringify(body), headers: { accept: "application/json" } });
  }
  return bodies;
}

interface TitanAnswer {
  embedding?: unknown;
  inputTextTokenCount?: unknown;
}

interface CohereAnswer {
  embeddings?: unknown;
  meta?: { billed_units?: { input_tokens?: unknown } };
}

function vectorsOf(answer: TitanAnswer & CohereAnswer, family: Family): number[][] {
  if (family === "titan-v1" || family === "titan-v2") {
    if (!Array.isArray(answer.embedding)) throw new Error("Titan answer without an embedding");
    return [answer.embedding as number[]];
  }
  // `[[...]]` (embeddings_floats) or `{float: [[...]]}` (embeddings_by_type)
  const e = answer.embeddings as number[][] | { float?: number[][] } | undefined;
  const list = Array.isArray(e) ? e : e?.float;
  if (!Array.isArray(list)) throw new Error("Cohere answer without float embeddings");
  return list;
}

function tokensOf(answer: TitanAnswer & CohereAnswer): number | undefined {
  const t = answer.inputTextTokenCount ?? answer.meta?.billed_units?.input_tokens;
  return typeof t === "number" ? t : undefined;
}

export const bedrockEmbeddings: EmbeddingsTranslator<BedrockSpec> = {
  path: (_spec, model, basePath) => `${basePath}/model/${modelPathSegment(model)}/invoke`,
  request(req, _spec, model) {
    const bodies = requestBodies(req, model);
    return bodies.length === 1 ? bodies[0]! : bodies;
  },
  response(body, model, req, headers) {
    const family = familyOf(model);
    const parsed = JSON.parse(body) as unknown;
    // several calls arrive as a JSON array of answers; one call is the answer itself
    const answers = (Array.isArray(parsed) ? parsed : [parsed]) as (TitanAnswer & CohereAnswer)[];
    const base64 = req.encoding_format === "base64";
    const data: unknown[] = [];
    let tokens = 0;
    let counted = false;
    for (const answer of answers) {
      for (const vector of vectorsOf(answer, family)) {
        data.push({ object: "embedding", index: data.length, embedding: base64 ? float32Base64(vector) : vector });
      }
      const t = tokensOf(answer);
      if (t !== undefined) {
        tokens += t;
        counted = true;
      }
    }
    if (!counted && answers.length === 1) {
      // InvokeModel reports the input tokens in a header for every model
      const header = Number(headers.get("x-amzn-bedrock-input-token-count"));
      if (Number.isFinite(header)) tokens = header;
    }
    const usage: Usage = { inputTokens: tokens, outputTokens: 0, totalTokens: tokens };
    return { json: JSON.stringify({ object: "list", data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } }), usage };
  },
};
