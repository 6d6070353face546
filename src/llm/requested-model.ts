/**
 * The model named in a native API path (agentgateway reads these before the JSON body):
 *   Gemini     /v1beta/models/{m}:generateContent, /v1/models/{m}:streamGenerateContent, ...
 *   Vertex     .../publishers/{publisher}/models/{m}:rawPredict | :streamRawPredict | :predict | ...
 *   Bedrock    /model/{m}/converse | /converse-stream | /invoke | /invoke-with-response-stream | /count-tokens
 * The id is percent-decoded; undefined when the path names no model.
 */

const MODEL_ACTION = /\/models\/([^/:]+):[A-Za-z]+$/;
const BEDROCK = /^(?:.*\/)?model\/([^/]+)\/(?:converse|converse-stream|invoke|invoke-with-response-stream|count-tokens)$/;

export function modelFromPath(path: string): string | undefined {
  const m = MODEL_ACTION.exec(path) ?? BEDROCK.exec(path);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}
