/**
 * Resilience and guards on the hot path: the same OpenAI-format load through a backend with two
 * providers in one group (failover and health bookkeeping on every request) and a regex guard on
 * requests and streamed answers (every answer read as hub parts and masked as it streams),
 * compared with the same gateway on one provider and no guard (`baseline`).
 */
import type { Scenario } from "../scenario.ts";
import { openaiUpstream } from "../upstream.ts";
import { openaiJson, openaiStream } from "./openai.ts";

const GUARD = "{builtin: creditCard}, {builtin: email}, {builtin: ssn}, {builtin: phoneNumber}";

const config = (origin: string, port: number) => {
  const host = new URL(origin).host;
  const provider = (name: string) => `{name: ${name}, hostOverride: "${host}", provider: {openAI: {model: gpt-4o-mini}}}`;
  return `
binds:
- port: ${port}
  listeners:
  - routes:
    - policies:
        backendAuth: {key: sk-bench}
        ai:
          promptGuard:
            streaming: Enabled
            request: [{regex: {rules: [${GUARD}]}}]
            response: [{regex: {rules: [${GUARD}]}}]
      backends:
      - ai:
          groups:
          - providers: [${provider("primary")}, ${provider("secondary")}]
`;
};

export const resilienceStream: Scenario = {
  ...openaiStream,
  name: "resilience-stream",
  upstream: openaiUpstream,
  config,
  baseline: openaiStream.config,
};

export const resilienceJson: Scenario = {
  ...openaiJson,
  name: "resilience-json",
  upstream: openaiUpstream,
  config,
  baseline: openaiJson.config,
};
