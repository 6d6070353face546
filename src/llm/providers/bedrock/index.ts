/**
 * AWS Bedrock: OpenAI chat completions over the Converse / ConverseStream APIs, embeddings over
 * InvokeModel, SigV4-signed (`backendAuth.aws`, or the default AWS credential chain when no
 * backendAuth and no host override is configured).
 *
 *   https://bedrock-runtime.{region}.amazonaws.com/model/{url-encoded model id}/converse
 *                                                                           /converse-stream
 *                                                                           /invoke
 */
import type { ProviderAdapter } from "../../types.ts";
import { defaultChainAuthorizer } from "../../../auth/aws.ts";
import { bedrockEmbeddings } from "./embeddings.ts";
import { bedrockHttpError } from "./error.ts";
import { modelPathSegment } from "./model-id.ts";
import { converseRequest, type BedrockRequestState, type BedrockSpec } from "./request.ts";
import { chatCompletion } from "./response.ts";
import { converseStream } from "./stream.ts";

export type { BedrockSpec } from "./request.ts";

export const bedrockAdapter: ProviderAdapter<BedrockSpec> = {
  telemetryName: () => "aws.bedrock",
  pathPrefix: "prepended",
  defaultBase: (spec) => ({ origin: `https://bedrock-runtime.${spec.region}.amazonaws.com`, basePath: "" }),
  // Bedrock speaks no client format natively (its OpenAI-compatible endpoint is a separate service)
  nativePath: () => undefined,
  chat: {
    path: (_spec, model, stream, basePath) => `${basePath}/model/${modelPathSegment(model)}/${stream ? "converse-stream" : "converse"}`,
    request(req, spec, model) {
      const { body, state } = converseRequest(req, spec, model);
      // what the AWS SDK asks for; the client's own `accept` is about the OpenAI answer
      const headers = { accept: req.stream === true ? "application/vnd.amazon.eventstream" : "application/json" };
      return state ? { body, headers, state } : { body, headers };
    },
    response: (body, ctx) => chatCompletion(body, ctx, ctx.state as BedrockRequestState | undefined),
    stream: converseStream,
  },
  embeddings: bedrockEmbeddings,
  // CountTokens (Claude models): the Converse body's messages, system and tools, counted by Bedrock
  countTokens: {
    path: (_spec, model, basePath) => `${basePath}/model/${modelPathSegment(model)}/count-tokens`,
    request(req, spec, model) {
      const { messages, system, toolConfig, additionalModelRequestFields } = JSON.parse(converseRequest({ ...req, stream: false }, spec, model).body) as Record<string, unknown>;
      return JSON.stringify({ input: { converse: { messages, system, toolConfig, additionalModelRequestFields } } });
    },
    response: (body) => (JSON.parse(body) as { inputTokens: number }).inputTokens,
  },
  error: bedrockHttpError,
  defaultAuth: (spec) => defaultChainAuthorizer(spec.region),
};
