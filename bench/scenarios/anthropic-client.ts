/**
 * An Anthropic client on an OpenAI-format backend (Claude Code on vLLM, Ollama, OpenAI): Messages
 * streaming requests into the gateway, OpenAI chat-completion chunks from the upstream, read into
 * the hub and written as Anthropic events. The baseline is the bare proxy relaying the same OpenAI
 * stream untranslated. Targets (issue 14): 0.6x the bare proxy with no delay, 0.9x with chunks
 * 1 ms apart.
 */
import type { Scenario } from "../scenario.ts";
import { openaiUpstream } from "../upstream.ts";

const PROMPT = "Write a short story";

export const anthropicClientStream: Scenario = {
  name: "anthropic-client-on-openai",
  stream: true,
  upstream: openaiUpstream,
  config: (origin, port) => `
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
`,
  gatewayRequest: {
    path: "/v1/messages",
    body: JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 1024, stream: true, messages: [{ role: "user", content: PROMPT }] }),
    headers: { "content-type": "application/json", "x-api-key": "sk-ant-client", "anthropic-version": "2023-06-01" },
  },
  nativeRequest: {
    path: "/v1/chat/completions",
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: PROMPT }], stream: true, stream_options: { include_usage: true } }),
    headers: { "content-type": "application/json", authorization: "Bearer anything" },
  },
  gatewayFirstToken: /"text_delta","text":"[^"]/,
  targets: { noDelay: 0.6, delayed: 0.9 },
};
