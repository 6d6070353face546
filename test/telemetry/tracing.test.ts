/**
 * Traces: a test OTLP receiver (HTTP/protobuf and gRPC) gets one SERVER span per traced exchange,
 * with the GenAI attributes; a client's `traceparent` is continued (same trace, the client's span
 * as parent) and the provider receives the gateway's span as its parent; no prompt text and no
 * credential in any span; untraced requests send no `traceparent` upstream.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { eventually, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { startGrpcReceiver, startHttpReceiver, type ReceivedSpan, type Receiver } from "../helpers/otlp.ts";

const KEY = "sk-trace-SECRET-9876";
const PROMPT = "the secret prompt words";
const CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";

/** a traced gateway: `tracing` indented under `config.tracing` (or `at` frontendPolicies.tracing) */
const config = (host: string, tracing: string, at: "config" | "frontendPolicies" = "config") => `
${at}:
  tracing:
${tracing}
binds:
- port: 0
  listeners:
  - routes:
    - name: traced
      policies:
        backendAuth: {key: ${KEY}}
      backends:
      - ai: {name: openai, hostOverride: "${host}", provider: {openAI: {}}}
`;

function chat(gw: TestGateway, headers: Record<string, string> = {}, stream = false) {
  return fetch(`${gw.origin()}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: PROMPT }], stream }),
  }).then((r) => r.text());
}

function noSecrets(span: ReceivedSpan) {
  const everything = JSON.stringify(span, (_k, v) => (typeof v === "bigint" ? String(v) : v));
  expect(everything).not.toContain("secret prompt");
  expect(everything).not.toContain("SECRET");
}

describe("OTLP over HTTP (protobuf)", () => {
  let emu: OpenAIEmulator;
  let receiver: Receiver;
  let gw: TestGateway;

  beforeAll(async () => {
    emu = startOpenAIEmulator();
    receiver = startHttpReceiver();
    gw = await startTestGateway(
      config(emu.host, `    otlpEndpoint: ${receiver.endpoint}\n    otlpProtocol: http\n    headers: {authorization: "Bearer collector-token-SECRET"}`),
    );
  });
  afterAll(async () => {
    await gw.stop();
    await receiver.stop();
    await emu.stop();
  });

  test("a client's traceparent is continued: same trace, the client's span as parent, the gateway's span sent upstream", async () => {
    await chat(gw, { traceparent: `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01` });
    const upstream = emu.requests.at(-1)!.headers.get("traceparent")!;
    const [, trace, span, flags] = upstream.split("-");
    expect([trace, flags]).toEqual([CLIENT_TRACE, "01"]);
    expect(span).not.toBe(CLIENT_SPAN);

    const received = await eventually(() => receiver.spans.find((s) => s.traceId === CLIENT_TRACE), 5000, "no span exported");
    expect(received.parentSpanId).toBe(CLIENT_SPAN);
    expect(received.spanId).toBe(span!);
    expect(received.kind).toBe(2); // SPAN_KIND_SERVER
    expect(received.name).toBe("POST /v1/chat/completions");
    expect(received.endNs).toBeGreaterThan(received.startNs);
    const endMs = Number(received.endNs / 1_000_000n); // wall-clock ns since the epoch
    expect(endMs).toBeGreaterThan(Date.now() - 60_000);
    expect(endMs).toBeLessThanOrEqual(Date.now());
    expect(received.attributes).toMatchObject({
      "gen_ai.operation.name": "chat",
      "gen_ai.provider.name": "openai",
      "gen_ai.request.model": "gpt-4o-mini",
      "gen_ai.response.model": "gpt-4o-mini",
      "http.method": "POST",
      "http.status": 200,
      route: "traced",
      protocol: "llm",
    });
    expect(received.attributes["gen_ai.usage.input_tokens"]).toBeGreaterThan(0);
    expect(received.attributes["gen_ai.usage.output_tokens"]).toBeGreaterThan(0);
    expect(received.attributes["agw.ai.usage.cost.total"]).toMatch(/^0\.\d+$/);
    expect(received.resource["service.name"]).toBe("agentgateway");
    expect(received.scope).toBe("agentgateway");
    noSecrets(received);
    // the configured headers go to the collector
    expect(receiver.headers[0]!.authorization).toBe("Bearer collector-token-SECRET");
  });

  test("a streamed answer's span carries the time to first token", async () => {
    const trace = "5bf92f3577b34da6a3ce929d0e0e4737";
    await chat(gw, { traceparent: `00-${trace}-${CLIENT_SPAN}-01` }, true);
    const received = await eventually(() => receiver.spans.find((s) => s.traceId === trace), 5000, "no span exported");
    expect(received.attributes["agw.ai.time_to_first_token"]).toBeGreaterThan(0);
    noSecrets(received);
  });

  test("without traceparent and without random sampling nothing is traced, and nothing is sent upstream", async () => {
    const before = receiver.spans.length;
    await chat(gw);
    expect(emu.requests.at(-1)!.headers.get("traceparent")).toBeNull();
    await Bun.sleep(1300);
    expect(receiver.spans.length).toBe(before);
  });

  test("a client trace that is not sampled is not recorded (its header passes as it came)", async () => {
    const before = receiver.spans.length;
    const header = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-00`;
    await chat(gw, { traceparent: header });
    expect(emu.requests.at(-1)!.headers.get("traceparent")).toBe(header);
    await Bun.sleep(1300);
    expect(receiver.spans.length).toBe(before);
  });
});

test("a full batch and the next: 600 traced requests arrive as 600 distinct spans in two or more exports, each whole", async () => {
  const emu = startOpenAIEmulator();
  const receiver = startHttpReceiver();
  const gw = await startTestGateway(config(emu.host, `    otlpEndpoint: ${receiver.endpoint}\n    otlpProtocol: http\n    randomSampling: true`));
  try {
    for (let i = 0; i < 60; i++) await Promise.all(Array.from({ length: 10 }, () => chat(gw)));
    const sent = new Set(emu.requests.map((r) => r.headers.get("traceparent")!.split("-")[2]!));
    await eventually(() => receiver.spans.length >= 600 || undefined, 5000, `only ${receiver.spans.length} spans`);
    expect(receiver.spans.length).toBe(600);
    expect(new Set(receiver.spans.map((s) => s.spanId))).toEqual(sent);
    expect(receiver.headers.length).toBeGreaterThanOrEqual(2); // 512 a batch
    for (const s of receiver.spans) expect(s.attributes["gen_ai.provider.name"]).toBe("openai");
  } finally {
    await gw.stop();
    await receiver.stop();
    await emu.stop();
  }
}, 30_000);

test("spans not exported yet when the gateway stops are sent before it exits", async () => {
  const emu = startOpenAIEmulator();
  const receiver = startHttpReceiver();
  const gw = await startTestGateway(config(emu.host, `    otlpEndpoint: ${receiver.endpoint}\n    otlpProtocol: http\n    randomSampling: true`));
  try {
    // fewer than a batch, stopped before the 1 s flush: only the shutdown can send them
    await Promise.all(Array.from({ length: 5 }, () => chat(gw)));
    expect(receiver.spans.length).toBe(0);
    await gw.stop();
    expect(receiver.spans.length).toBe(5);
    expect(new Set(receiver.spans.map((s) => s.spanId))).toEqual(new Set(emu.requests.map((r) => r.headers.get("traceparent")!.split("-")[2]!)));
  } finally {
    await gw.stop();
    await receiver.stop();
    await emu.stop();
  }
});

test("span names follow each request: a path refused before routing is named as refused, the next one by its own path", async () => {
  const emu = startOpenAIEmulator();
  const receiver = startHttpReceiver();
  const gw = await startTestGateway(config(emu.host, `    otlpEndpoint: ${receiver.endpoint}\n    otlpProtocol: http\n    randomSampling: true`));
  try {
    const refused = () => fetch(`${gw.origin()}/v1/a%2Fb`, { method: "POST", body: "{}" }).then((r) => r.status);
    expect(await refused()).toBe(400);
    await chat(gw);
    await chat(gw);
    expect(await refused()).toBe(400);
    await gw.stop(); // sends what is queued
    expect(receiver.spans.map((s) => [s.name, s.attributes["http.status"]])).toEqual([
      ["POST (invalid path)", 400],
      ["POST /v1/chat/completions", 200],
      ["POST /v1/chat/completions", 200],
      ["POST (invalid path)", 400],
    ]);
  } finally {
    await gw.stop();
    await receiver.stop();
    await emu.stop();
  }
});

describe("OTLP over gRPC (the default protocol)", () => {
  test("random sampling starts new traces; the provider sees the gateway's span as parent; errors set the span status", async () => {
    const emu = startOpenAIEmulator();
    const receiver = await startGrpcReceiver();
    const gw = await startTestGateway(config(emu.host, `    otlpEndpoint: ${receiver.endpoint}\n    randomSampling: true\n    headers: {x-collector-key: "grpc-SECRET"}`));
    try {
      await chat(gw);
      const [, trace, span] = emu.requests.at(-1)!.headers.get("traceparent")!.split("-");
      const received = await eventually(() => receiver.spans.find((s) => s.traceId === trace), 5000, "no span over gRPC");
      expect(received.spanId).toBe(span!);
      expect(received.parentSpanId).toBe("");
      expect(received.attributes["gen_ai.provider.name"]).toBe("openai");
      noSecrets(received);
      expect(receiver.headers[0]!["x-collector-key"]).toBe("grpc-SECRET");

      emu.enqueue(new Response(JSON.stringify({ error: { message: "boom", type: "server_error" } }), { status: 500, headers: { "content-type": "application/json" } }));
      await chat(gw);
      const [, failedTrace] = emu.requests.at(-1)!.headers.get("traceparent")!.split("-");
      const failed = await eventually(() => receiver.spans.find((s) => s.traceId === failedTrace), 5000, "no span for the failed request");
      expect(failed.attributes["http.status"]).toBe(500);
      expect(failed.status.code).toBe(2); // STATUS_CODE_ERROR
    } finally {
      await gw.stop();
      await receiver.stop();
      await emu.stop();
    }
  });
});

test("config.tracing without an endpoint is refused", async () => {
  await expect(startTestGateway(config("127.0.0.1:1", "    randomSampling: true"))).rejects.toThrow("tracing needs 'otlpEndpoint'");
});

describe("frontendPolicies.tracing (agentgateway's replacement for config.tracing)", () => {
  const frontend = (host: string, tracing: string) => config(host, tracing, "frontendPolicies");

  test("host (gRPC by default), attributes and resources by CEL (one replacing a built-in), remove, and a keep-filter after sampling", async () => {
    const emu = startOpenAIEmulator();
    const receiver = await startGrpcReceiver();
    const gw = await startTestGateway(
      frontend(
        emu.host,
        [
          `    host: ${receiver.endpoint.replace("http://", "")}`,
          `    randomSampling: true`,
          `    attributes: {tenant: 'request.headers["x-tenant"]', model.asked: 'llm.requestModel', gen_ai.provider.name: '"house-openai"'}`,
          `    resources: {service.name: '"edge-gateway"', deployment.environment: '"test"'}`,
          `    remove: [http.path]`,
          `    filter: 'request.headers["x-tenant"] != "quiet"'`,
        ].join("\n"),
      ),
    );
    try {
      await chat(gw, { "x-tenant": "quiet" });
      const dropped = emu.requests.at(-1)!.headers.get("traceparent")!.split("-")[1];
      await chat(gw, { "x-tenant": "acme" });
      const kept = emu.requests.at(-1)!.headers.get("traceparent")!.split("-")[1];
      const span = await eventually(() => receiver.spans.find((s) => s.traceId === kept), 5000, "no span for the kept request");
      expect(span.attributes.tenant).toBe("acme");
      expect(span.attributes["model.asked"]).toBe("gpt-4o-mini");
      // a custom attribute of a built-in's name replaces it: sent once, with the custom value
      expect(span.attributes["gen_ai.provider.name"]).toBe("house-openai");
      expect(span.attributeKeys.filter((k) => k === "gen_ai.provider.name")).toHaveLength(1);
      expect(new Set(span.attributeKeys).size).toBe(span.attributeKeys.length);
      expect(span.attributes["http.path"]).toBeUndefined();
      expect(span.attributes["http.method"]).toBe("POST");
      expect(span.resource["service.name"]).toBe("edge-gateway");
      expect(span.resource["deployment.environment"]).toBe("test");
      // sampled (the provider got a traceparent) but filtered out: never exported
      expect(receiver.spans.some((s) => s.traceId === dropped)).toBe(false);
    } finally {
      await gw.stop();
      await receiver.stop();
      await emu.stop();
    }
  });

  test("config errors: both tracing sections, a resource that needs a request, the collector's own policies", async () => {
    const both = `config:\n  tracing: {otlpEndpoint: "http://127.0.0.1:4317"}\n${frontend("127.0.0.1:1", "    host: 127.0.0.1:4317")}`;
    await expect(startTestGateway(both)).rejects.toThrow("traces are configured twice");
    await expect(startTestGateway(frontend("127.0.0.1:1", "    host: 127.0.0.1:4317\n    resources: {tenant: 'request.headers[\"x-tenant\"]'}"))).rejects.toThrow(
      "resource attributes are evaluated once, when the config loads",
    );
    await expect(startTestGateway(frontend("127.0.0.1:1", "    host: 127.0.0.1:4317\n    policies: {backendTLS: {}}"))).rejects.toThrow("'policies' is not supported yet");
    await expect(startTestGateway(frontend("127.0.0.1:1", "    host: 127.0.0.1:4317\n    filter: 'llmRequest.model == \"x\"'"))).rejects.toThrow("telemetry expressions cannot read the request body");
  });
});
