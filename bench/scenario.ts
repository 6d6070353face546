/**
 * A bench scenario: an upstream emulator speaking one provider's wire format, the gateway config
 * that routes OpenAI chat requests to it, and the native request a bare Bun proxy relays to the
 * same upstream (the baseline: the same bytes with no translation).
 */
export interface Scenario {
  /** e.g. "openai-stream", "anthropic-stream" */
  name: string;
  /** true when the scenario streams (SSE or event-stream) */
  stream: boolean;
  /**
   * The upstream's fetch handler. `delayMs` > 0 spaces stream chunks that far apart;
   * `chunks` is the number of content deltas in a streamed answer.
   */
  upstream(opts: { chunks: number; delayMs: number; jsonWords?: number }): (req: Request) => Response | Promise<Response>;
  /** Gateway config (YAML) listening on `port` and routing to the upstream at `origin` (http://127.0.0.1:N). */
  config(origin: string, port: number): string;
  /** What the load driver sends to the gateway: an OpenAI chat completion request. */
  gatewayRequest: { path: string; body: string; headers?: Record<string, string> };
  /** What the load driver sends through the bare proxy: the provider-native request. */
  nativeRequest: { path: string; body: string; headers?: Record<string, string> };
  /**
   * How the first piece of answer text looks in the native stream (the gateway's is an OpenAI
   * chunk with non-empty `content`): the first-token latency stops the clock there, so a role or
   * `message_start` event does not count as an answer.
   */
  nativeFirstToken?: RegExp;
  /** the same for the gateway's answer when it is not OpenAI chunks (client-format scenarios) */
  gatewayFirstToken?: RegExp;
  /** gateway/bare throughput targets when they differ from the defaults: no delay, and chunks spaced */
  targets?: { noDelay: number; delayed: number };
  /**
   * A feature scenario: the gateway with this config (the same gateway without the feature) is
   * the baseline instead of the bare proxy.
   */
  baseline?: (origin: string, port: number) => string;
}

/** The first OpenAI chunk that carries answer text. */
export const OPENAI_FIRST_TOKEN = /"content":"[^"]/;

/** The prompt every scenario asks (the emulators answer it with a story). */
export const PROMPT = "Write a short story";

/** The OpenAI streaming request the load driver sends to the gateway in every scenario. */
export const OPENAI_STREAM_REQUEST: Scenario["gatewayRequest"] = {
  path: "/v1/chat/completions",
  body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: PROMPT }], stream: true, stream_options: { include_usage: true } }),
  headers: { "content-type": "application/json", authorization: "Bearer anything" },
};

/** One bind, one route, one `ai` backend pointed at the emulator (`backendAuth` and `provider` as YAML flow maps). */
export function singleProviderConfig(port: number, origin: string, name: string, backendAuth: string, provider: string): string {
  return `
binds:
- port: ${port}
  listeners:
  - routes:
    - policies:
        backendAuth: ${backendAuth}
      backends:
      - ai:
          name: ${name}
          hostOverride: ${new URL(origin).host}
          provider: ${provider}
`;
}
