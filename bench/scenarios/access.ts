/**
 * The access policies' cost: the openai-json scenario behind API-key auth, a per-key request
 * limit and a token limit, with the buckets in process or in Redis (`redis` is the URL of a
 * redis-server the bench starts). Compared with the same gateway without policies (bench/access.ts).
 */
import type { Scenario } from "../scenario.ts";
import { openaiJson } from "./openai.ts";

export const BENCH_KEY = "sk-bench-client";

const policies = `
        apiKey: {mode: strict, keys: [{key: ${BENCH_KEY}, metadata: {team: bench}}]}
        localRateLimit:
        - {maxTokens: 1000000000, tokensPerFill: 1000000000, fillInterval: 1s, key: apiKey.key}
        - {maxTokens: 1000000000, tokensPerFill: 1000000000, fillInterval: 1s, type: tokens}`;

function accessConfig(redis: string | undefined) {
  return (origin: string, port: number) => `${redis ? `config:\n  redis: {url: "${redis}", keyPrefix: bench, timeout: 100ms}\n` : ""}
binds:
- port: ${port}
  listeners:
  - routes:
    - policies:${policies}
        backendAuth: {key: sk-bench}
      backends:
      - ai:
          name: openai
          hostOverride: ${new URL(origin).host}
          provider:
            openAI: {model: gpt-4o-mini}
`;
}

export function openaiJsonAccess(redis: string | undefined): Scenario {
  return {
    ...openaiJson,
    name: redis ? "openai-json-access-redis" : "openai-json-access-local",
    config: accessConfig(redis),
    gatewayRequest: { ...openaiJson.gatewayRequest, headers: { ...openaiJson.gatewayRequest.headers, authorization: `Bearer ${BENCH_KEY}` } },
  };
}
