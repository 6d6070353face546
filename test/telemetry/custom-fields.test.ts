/**
 * Custom telemetry fields (`fields.add`, CEL): the same exchange seen in the access log, as extra
 * labels on agentgateway's metrics (scraped and read with the Prometheus parser) and as span
 * attributes at a test OTLP receiver; values from the request, the API key's metadata, the
 * response and the LLM outcome; credentials redacted; body-reading expressions refused at load.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { loadConfigText } from "../../src/config/load.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { accessLogs, eventually, openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startHttpReceiver, type Receiver } from "../helpers/otlp.ts";
import { parseExposition, samples } from "../helpers/prometheus.ts";

const CLIENT_KEY = "sk-client-SECRET-31337";
const BACKEND_KEY = "sk-backend-SECRET-777";

const config = (host: string, otlp: string) => `
config:
  logging:
    fields:
      add:
        team: apiKey.team
        tokens: llm.totalTokens
        client_auth: request.headers["authorization"]
  metrics:
    fields:
      add:
        team: apiKey.team
        answered_by: llm.provider + "/" + string(response.code)
  tracing:
    otlpEndpoint: ${otlp}
    otlpProtocol: http
    randomSampling: true
    fields:
      add:
        app.tenant: 'request.headers["x-tenant"]'
        app.key: apiKey.key
        app.query: request.pathAndQuery
binds:
- port: 0
  listeners:
  - routes:
    - name: chat
      policies:
        apiKey: {mode: strict, keys: [{key: ${CLIENT_KEY}, metadata: {team: search}}]}
        backendAuth: {key: ${BACKEND_KEY}}
      backends:
      - ai: {name: openai, hostOverride: "${host}", provider: {openAI: {}}}
`;

describe("custom fields in logs, metrics and traces", () => {
  let emu: OpenAIEmulator;
  let receiver: Receiver;
  let gw: TestGateway;

  beforeAll(async () => {
    emu = startOpenAIEmulator();
    receiver = startHttpReceiver();
    gw = await startTestGateway(config(emu.host, receiver.endpoint), { STATS_ADDR: "127.0.0.1:0" });
    const client = openaiClient(gw.baseURL(), CLIENT_KEY);
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }] }, { headers: { "x-tenant": "acme" }, query: { session_token: "tok-SECRET-1" } });
    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hello" }], stream: true });
    for await (const _ of stream);
  });
  afterAll(async () => {
    await gw.stop();
    await receiver.stop();
    await emu.stop();
  });

  test("the access log carries each field, evaluated at the end of the exchange", async () => {
    const lines = await eventually(() => (accessLogs(gw).length >= 2 ? accessLogs(gw) : undefined), 3000, "two access-log lines");
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.team).toBe("search");
      expect(line.tokens).toBe((line["gen_ai.usage.input_tokens"] as number) + (line["gen_ai.usage.output_tokens"] as number));
      // the client's credential is redacted, never logged
      expect(line.client_auth).toBe("<redacted>");
    }
    expect(gw.rawLog()).not.toContain("SECRET");
  });

  test("metrics get the fields as labels on the HTTP and gen_ai families", async () => {
    const text = await (await fetch(`http://127.0.0.1:${gw.gateway.operations.statsPort}/metrics`)).text();
    const fams = await parseExposition(text);
    const requests = samples(fams, "agentgateway_requests", "agentgateway_requests_total");
    expect(requests).toHaveLength(1);
    expect(requests[0]!.labels).toMatchObject({ team: "search", answered_by: "openai/200", route: "default/chat", status: "200" });
    expect(requests[0]!.value).toBe(2);
    const input = samples(fams, "agentgateway_gen_ai_client_token_usage", "agentgateway_gen_ai_client_token_usage_count").filter((s) => s.labels.gen_ai_token_type === "input");
    expect(input.map((s) => [s.labels.team, s.labels.answered_by, s.value])).toEqual([["search", "openai/200", 2]]);
    expect(text).not.toContain("SECRET");
  });

  test("spans carry the fields as attributes; the key is its fingerprint, secrets in the query are redacted", async () => {
    const spans = await eventually(() => (receiver.spans.length >= 2 ? receiver.spans : undefined), 5000, "spans not exported");
    const first = spans.find((s) => s.attributes["app.tenant"] === "acme");
    expect(first).toBeDefined();
    expect(String(first!.attributes["app.key"])).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(first!.attributes["app.query"]).toBe("/v1/chat/completions?session_token=%3Credacted%3E");
    // a field whose expression fails (no x-tenant header on the second request) is left out
    expect(spans.filter((s) => !("app.tenant" in s.attributes))).toHaveLength(1);
    expect(JSON.stringify(spans, (_k, v) => (typeof v === "bigint" ? String(v) : v))).not.toContain("SECRET");
  });
});

/** A gateway on `emu` whose `frontendPolicies.accessLog` is `accessLog` (YAML, indented under it). */
function withAccessLog(emu: { host: string }, accessLog: string): Promise<TestGateway> {
  return startTestGateway(`
frontendPolicies:
  accessLog:${accessLog}
binds:
- port: 0
  listeners:
  - routes:
    - policies: {backendAuth: {key: ${BACKEND_KEY}}}
      backends:
      - ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}
`);
}

test("the access log's filter writes only the exchanges it holds true for", async () => {
  const emu = startOpenAIEmulator();
  const gw = await withAccessLog(emu, ` {filter: 'request.headers["x-log"] == "yes" || response.code >= 400'}`);
  try {
    const client = openaiClient(gw.baseURL());
    const ask = (headers: Record<string, string>) => client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }, { headers });
    await ask({});
    await ask({ "x-log": "yes" });
    await ask({ "x-log": "no" });
    await client.chat.completions.create({ model: "gpt-4o-mini", messages: [] }).catch(() => undefined); // a 400
    gw.rawLog();
    const lines = await eventually(() => (accessLogs(gw).length >= 2 ? accessLogs(gw) : undefined), 3000, "two access-log lines");
    await Bun.sleep(50);
    expect(accessLogs(gw).map((l) => l["http.status"])).toEqual([200, 400]);
    expect(lines).toHaveLength(2);
  } finally {
    await gw.stop();
    await emu.stop();
  }
});

test("the access log's remove leaves those fields out of the line, built-in and added ones alike", async () => {
  const emu = startOpenAIEmulator();
  const gw = await withAccessLog(emu, `
    add: {team: '"blue"', region: '"eu"'}
    remove: [gen_ai.usage.input_tokens, http.path, region]`);
  try {
    await openaiClient(gw.baseURL()).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    const line = await eventually(() => accessLogs(gw).at(-1), 3000, "an access-log line");
    expect(line).toMatchObject({ "http.status": 200, "gen_ai.request.model": "gpt-4o-mini", team: "blue" });
    expect(line["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    for (const gone of ["gen_ai.usage.input_tokens", "http.path", "region"]) expect(line).not.toHaveProperty(gone);
  } finally {
    await gw.stop();
    await emu.stop();
  }
});

test("fields that read the request body, bad label names and bad CEL are refused at load, by path", () => {
  const load = (fields: string) => loadConfigText(`config:\n${fields}\nbinds: []\n`, "fields.yaml", { env: {} });
  const body = load("  logging:\n    fields:\n      add:\n        prompt: llmRequest.messages[0].content");
  expect(body.ok).toBe(false);
  if (!body.ok) expect(body.errors.map((e) => `${e.path} ${e.message}`).join("\n")).toMatch(/config\.logging\.fields\.add\.prompt .*cannot read the request body/);
  const label = load("  metrics:\n    fields:\n      add:\n        team-name: apiKey.team\n        status: string(response.code)");
  expect(label.ok).toBe(false);
  if (!label.ok) {
    const text = label.errors.map((e) => `${e.path} ${e.message}`).join("\n");
    expect(text).toMatch(/team-name.*not a Prometheus label name/);
    expect(text).toMatch(/status.*already a label/);
  }
  const cel = load("  tracing:\n    otlpEndpoint: http://127.0.0.1:4318\n    fields:\n      add:\n        x: 'request.headers['");
  expect(cel.ok).toBe(false);
  if (!cel.ok) expect(cel.errors.map((e) => `${e.path} ${e.message}`).join("\n")).toMatch(/config\.tracing\.fields\.add\.x invalid CEL expression/);
});
