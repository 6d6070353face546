/** OpenAI-format upstreams: the gateway's pass-through path (no translation). */
import type { Scenario } from "../scenario.ts";
import { openaiUpstream } from "../upstream.ts";

const config = (origin: string, port: number) => `
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
