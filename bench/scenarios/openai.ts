/** OpenAI-format upstreams: the gateway's pass-through path (no translation). */
import type { Scenario } from "../scenario.ts";
import { openaiUpstream } from "../upstream.ts";

const config = (origin: string, port: number, prelude = "") => `${prelude}
binds:
- port: ${port}
  listeners:
  - routes:
    - policies:
        backendAuth: {key: sk-bench}
      backends:
      - ai:
          name: openai
          hostOverride: ${new URL(origin).host}
          provider:
            openAI: {model: gpt-4o-mini}
`;

const request = (stream: boolean) => ({
  path: "/v1/chat/completions",
  body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Write a short story" }], stream, ...(stream ? { stream_options: { include_usage: true } } : {}) }),
  headers: { "content-type": "application/json", authorization: "Bearer anything" },
});

export const openaiJson: Scenario = {
  name: "openai-json",
  stream: false,
  upstream: openaiUpstream,
  config,
  gatewayRequest: request(false),
  nativeRequest: request(false),
};

export const openaiStream: Scenario = {
  name: "openai-stream",
  stream: true,
  upstream: openaiUpstream,
  config,
  gatewayRequest: request(true),
  nativeRequest: request(true),
};

/** The same stream when nothing reads token usage (the access log's usage fields removed): zero copy. */
export const openaiStreamUntouched: Scenario = {
  ...openaiStream,
  name: "openai-stream-untouched",
  config: (origin, port) =>
    config(
      origin,
      port,
      "frontendPolicies:\n  accessLog:\n    remove: [gen_ai.usage.input_tokens, gen_ai.usage.output_tokens, gen_ai.usage.cache_read.input_tokens, gen_ai.usage.cache_creation.input_tokens, gen_ai.usage.reasoning_tokens]",
    ),
};
