/**
 * OpenAI embeddings <-> Google's embedding APIs:
 *   AI Studio  POST /v1beta/models/{m}:batchEmbedContents  {requests:[{model, content:{parts:[{text}]}}]}
 *              -> {embeddings:[{values}]}   (one call for one input or many; no token counts)
 *   Vertex     POST .../publishers/google/models/{m}:predict  {instances:[{content}]}
 *              -> {predictions:[{embeddings:{values, statistics:{token_count}}}]}
 * `dimensions` -> `outputDimensionality`. `encoding_format: "base64"` (the OpenAI SDKs' default)
 * is honoured by encoding the floats as little-endian float32, as OpenAI does.
 */
import { HttpError } from "../../../http/errors.ts";
import { pathSegment } from "../../../http/request-path.ts";
import { float32Base64 } from "../../content/embedding-base64.ts";
import type { EmbeddingsTranslator, TranslatedBody, Usage } from "../../types.ts";

/** The client's `input` as texts; token arrays cannot be sent to Google. */
function inputTexts(input: unknown): string[] {
  if (typeof input === "string") return [input];
  if (Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === "string")) return input as string[];
  throw new HttpError(400, "Google embedding models take text: 'input' must be a string or an array of strings", { code: "invalid_request_body", param: "input" });
}

function dimensions(req: Record<string, unknown>): number | undefined {
  return typeof req.dimensions === "number" ? req.dimensions : undefined;
}

/** The model's resource name: `models/{m}` or `tunedModels/{m}` (a client may send either form or a bare id). */
export function modelName(model: string): { collection: "models" | "tunedModels"; id: string } {
  if (model.startsWith("tunedModels/")) return { collection: "tunedModels", id: model.slice(12) };
  return { collection: "models", id: model.startsWith("models/") ? model.slice(7) : model };
}

/** The resource name as an upstream path: the id is one encoded segment, whatever the client sent. */
export function modelPath(model: string): string {
  const { collection, id } = modelName(model);
  return `${collection}/${pathSegment(id, "model")}`;
}

export function aiStudioEmbeddings<S>(): EmbeddingsTranslator<S> {
  return {
    path: (_spec, model, basePath) => `${basePath}/${modelPath(model)}:batchEmbedContents`,
    request(req, _spec, model): TranslatedBody {
      const dims = dimensions(req);
      const { collection, id } = modelName(model);
      const name = `${collection}/${id}`;
      const requests = inputTexts(req.input).map((text) => {
        const r: Record<string, unknown> = { model: name, content: { parts: [{ text }] } };
        if (dims !== undefined) r.outputDimensionality = dims;
        return r;
      });
      return { body: JSON.stringify({ requests }) };
    },
    response(body, model, req) {
      const r = JSON.parse(body) as { embeddings?: { values?: number[] }[] };
      const vectors = (r.embeddings ?? []).map((e) => e.values ?? []);
      return embeddingList(vectors, model, req, { inputTokens: 0, outputTokens: 0, totalTokens: 0 });
    },
  };
}

export function vertexEmbeddings<S>(path: (spec: S, model: string, basePath: string) => string): EmbeddingsTranslator<S> {
  return {
    path,
    request(req): TranslatedBody {
      const dims = dimensions(req);
      const body: Record<string, unknown> = { instances: inputTexts(req.input).map((content) => ({ content })) };
      if (dims !== undefined) body.parameters = { outputDimensionality: dims };
      return { body: JSON.stringify(body) };
    },
    response(body, model, req) {
      const r = JSON.parse(body) as { predictions?: { embeddings?: { values?: number[]; statistics?: { token_count?: number } } }[] };
      const predictions = r.predictions ?? [];
      const tokens = predictions.reduce((n, p) => n + (p.embeddings?.statistics?.token_count ?? 0), 0);
      return embeddingList(
        predictions.map((p) => p.embeddings?.values ?? []),
        model,
        req,
        { inputTokens: tokens, outputTokens: 0, totalTokens: tokens },
      );
    },
  };
}

function embeddingList(vectors: number[][], model: string, req: Record<string, unknown> | undefined, usage: Usage): { json: string; usage: Usage } {
  const base64 = req?.encoding_format === "base64";
  const json = JSON.stringify({
    object: "list",
    data: vectors.map((values, index) => ({ object: "embedding", index, embedding: base64 ? float32Base64(values) : values })),
    model,
    usage: { prompt_tokens: usage.inputTokens, total_tokens: usage.totalTokens },
  });
  return { json, usage };
}
