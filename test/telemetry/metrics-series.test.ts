/**
 * The metrics find the series of an exchange again from the exchange before when nothing that
 * labels it changed (no key joined, no map searched). Every label an exchange can change, changed
 * one at a time next to a base exchange and then again once others came between: the counts a
 * Prometheus parser reads must be those of each exchange's own labels, never the one before's.
 */
import { expect, test } from "bun:test";
import { createGatewayMetrics } from "../../src/telemetry/metrics/gateway-metrics.ts";
import type { ExchangeOutcome } from "../../src/telemetry/outcome.ts";
import { parseExposition, samples } from "../helpers/prometheus.ts";

const base: ExchangeOutcome = {
  start: 0,
  bind: 3000,
  method: "POST",
  path: "/v1/chat/completions",
  listener: "main",
  route: "chat",
  protocol: "llm",
  operation: "chat",
  provider: "openai",
  endpoint: "openai-main",
  attempts: 1,
  requestModel: "gpt-4o-mini",
  responseModel: "gpt-4o-mini-2024-07-18",
  usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
  status: 200,
  durationMs: 12,
};

const changes: Partial<ExchangeOutcome>[] = [
  { status: 429, errorKind: "upstream_status" },
  { status: 503, errorKind: "upstream_unreachable" },
  { endpoint: "openai-backup" },
  { method: "PUT" },
  { protocol: "http", operation: undefined },
  { bind: 3001 },
  { listener: "other" },
  { route: "embeddings" },
  { requestModel: "gpt-4o" },
  { responseModel: "gpt-4o-2024-08-06" },
  { provider: "azure.openai" },
];

test("an exchange's series are its own labels', whatever the exchange before it was", async () => {
  const metrics = createGatewayMetrics({ remove: new Set(), version: "test" });
  // each change right after the base and the base right after it, then all of them in a row
  const records = [...changes.flatMap((c) => [base, { ...base, ...c }]), ...changes.map((c) => ({ ...base, ...c }))];
  for (const r of records) metrics.listener(r);
  const fams = await parseExposition(metrics.registry.render(false));

  const httpKey = (r: ExchangeOutcome) => [r.endpoint, r.protocol, r.method, String(r.status), `bind/${r.bind}`, r.listener, `default/${r.route}`].join(" ");
  const want = new Map<string, number>();
  for (const r of records) want.set(httpKey(r), (want.get(httpKey(r)) ?? 0) + 1);
  const got = new Map(
    samples(fams, "agentgateway_requests", "agentgateway_requests_total").map((s) => {
      const l = s.labels;
      return [[l.backend, l.protocol, l.method, l.status, l.bind, l.listener, l.route].join(" "), s.value] as const;
    }),
  );
  expect(got).toEqual(want);

  const genAiKey = (r: ExchangeOutcome) => [r.provider, r.requestModel, r.responseModel, `bind/${r.bind}`, r.listener, `default/${r.route}`].join(" ");
  const llm = records.filter((r) => r.protocol === "llm");
  const wantTokens = new Map<string, number>();
  for (const r of llm) wantTokens.set(genAiKey(r), (wantTokens.get(genAiKey(r)) ?? 0) + r.usage!.inputTokens);
  const gotTokens = new Map(
    samples(fams, "agentgateway_gen_ai_client_token_usage", "agentgateway_gen_ai_client_token_usage_sum")
      .filter((s) => s.labels.gen_ai_token_type === "input")
      .map((s) => {
        const l = s.labels;
        return [[l.gen_ai_system, l.gen_ai_request_model, l.gen_ai_response_model, l.bind, l.listener, l.route].join(" "), s.value] as const;
      }),
  );
  expect(gotTokens).toEqual(wantTokens);
});
