/** The small pieces of metrics, traces and the admin page, one by one. */
import { describe, expect, test } from "bun:test";
import { redactedConfig } from "../../src/admin/redact.ts";
import { collectorUrl } from "../../src/config/compile/operations.ts";
import { createGatewayMetrics } from "../../src/telemetry/metrics/gateway-metrics.ts";
import { policyMetrics, installPolicyMetrics } from "../../src/telemetry/metrics/policy-metrics.ts";
import { escapeLabel, isRemoved, MAX_SERIES_PER_FAMILY, Registry } from "../../src/telemetry/metrics/registry.ts";
import { formatTraceparent, parseTraceparent, startTrace } from "../../src/telemetry/tracing/traceparent.ts";
import { wantsOpenMetrics } from "../../src/server/stats.ts";

describe("traceparent", () => {
  test("agentgateway's rules: 2/32/16/2 hex, no version ff, no all-zero ids", () => {
    expect(parseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")).toEqual({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", flags: 1 });
    for (const bad of ["ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "00-4bf92f-00f067aa0ba902b7-01", "garbage"]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });

  test("sampling: a sampled client trace is continued, an unsampled one is not, random sampling by ratio", () => {
    const header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const t = startTrace(header, { random: 0, client: 1 }, () => 0.5)!;
    expect(t.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(t.parentSpanId).toBe("00f067aa0ba902b7");
    expect(t.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(formatTraceparent(t)).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${t.spanId}-01`);
    expect(startTrace(header.replace(/01$/, "00"), { random: 1, client: 1 }, () => 0)).toBeUndefined();
    expect(startTrace(header, { random: 1, client: 0 }, () => 0)).toBeUndefined();
    expect(startTrace(null, { random: 0.25, client: 1 }, () => 0.2)?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(startTrace(null, { random: 0.25, client: 1 }, () => 0.3)).toBeUndefined();
  });
});

test("OTLP endpoints: agentgateway's forms and default ports", () => {
  expect(collectorUrl("http://collector:4317", "grpc", "/v1/traces")).toBe("http://collector:4317");
  expect(collectorUrl("grpc://collector", "grpc", "/v1/traces")).toBe("http://collector:4317");
  expect(collectorUrl("collector:4318", "http", "/v1/traces")).toBe("http://collector:4318/v1/traces");
  expect(collectorUrl("https://otlp.example.com", "http", "/v1/traces")).toBe("https://otlp.example.com:443/v1/traces");
  expect(collectorUrl("http://c:4318/custom/path", "http", "/v1/traces")).toBe("http://c:4318/custom/path");
  expect(collectorUrl("not a url", "http", "/v1/traces")).toBeUndefined();
});

describe("registry", () => {
  const def = { name: "gen_ai_client_cost", unit: "usd" as const, help: "h", kind: "counter" as const, labels: [] };
  test("config.metrics.remove matches every spelling agentgateway accepts", () => {
    for (const n of ["gen_ai_client_cost", "gen_ai_client_cost_total", "agentgateway_gen_ai_client_cost", "gen_ai_client_cost_usd", "agentgateway_gen_ai_client_cost_usd_total"]) {
      expect(isRemoved(def, "agentgateway", new Set([n]))).toBe(true);
    }
    expect(isRemoved(def, "agentgateway", new Set(["gen_ai_client_cost_usd_bucket", "cost"]))).toBe(false);
  });

  test("label values are escaped; beyond the series cap new label sets fold into 'overflow'", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const r = new Registry("t");
    const f = r.register({ name: "x", help: "x", kind: "counter", labels: ["model"] });
    for (let i = 0; i < MAX_SERIES_PER_FAMILY + 5; i++) f.get(String(i), () => [`m${i}`]).inc();
    const text = r.render(false);
    expect(text).toContain('t_x_total{model="overflow"} 5\n');
    expect(text.split("\n").filter((l) => l.startsWith("t_x_total")).length).toBe(MAX_SERIES_PER_FAMILY + 1);
  });

  test("Accept negotiation", () => {
    expect(wantsOpenMetrics("application/openmetrics-text;version=1.0.0,text/plain;q=0.5")).toBe(true);
    expect(wantsOpenMetrics("text/plain;version=0.0.4")).toBe(false);
    expect(wantsOpenMetrics("application/openmetrics-text;q=0.1,text/plain")).toBe(false);
    expect(wantsOpenMetrics(null)).toBe(false);
  });
});

test("policies count rate-limit and Redis decisions only once metrics are on", () => {
  policyMetrics.rateLimit("requests", "limited"); // no sink yet: nothing happens
  const m = createGatewayMetrics({ remove: new Set(), version: "1.2.3" });
  const uninstall = installPolicyMetrics(m.families);
  policyMetrics.rateLimit("requests", "limited");
  policyMetrics.rateLimit("requests", "limited");
  policyMetrics.redis("failOpen");
  uninstall();
  policyMetrics.redis("failOpen");
  const text = m.registry.render(false);
  expect(text).toContain('agentgateway_rate_limit_checks_total{kind="requests",result="limited"} 2\n');
  expect(text).toContain('agentgateway_redis_operations_total{result="failOpen"} 1\n');
});

test("the config file view: variables kept, credentials redacted by key and by value", () => {
  const text = `binds:\n- port: 1\n  listeners:\n  - routes:\n    - policies:\n        backendAuth: {key: "$KEY"}\n        requestHeaderModifier: {set: {x-token: literal, x-note: "has sk-live-123456 inside"}}\n      backends: [{ai: {name: o, provider: {openAI: {}}, policies: {backendAuth: {key: {file: /run/key}}}}}]\n`;
  const out = JSON.stringify(redactedConfig(text, ["sk-live-123456"]));
  expect(out).toContain('"key":"$KEY"');
  expect(out).toContain('"x-token":"[redacted]"');
  expect(out).toContain('"x-note":"[redacted]"');
  expect(out).toContain('"file":"/run/key"');
  expect(out).not.toContain("sk-live");
});
