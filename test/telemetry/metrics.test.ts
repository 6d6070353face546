/**
 * Metrics after known traffic, scraped from the stats address and read with a Prometheus
 * text-format parser: agentgateway's names, types, buckets and labels, exact counts and token
 * sums, cost from the bundled catalog, `config.metrics.remove`, and no secret in any label.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { parseExposition, samples, type ParsedFamily } from "../helpers/prometheus.ts";

const SECRET = "sk-metrics-SECRET-4242";

/** the stats address on a free port (the harness turns it off by default) */
const STATS = { STATS_ADDR: "127.0.0.1:0" };

const config = (host: string, extra = "  readinessAddr: \"off\"") => `
config:
${extra}
binds:
- port: 0
  listeners:
  - name: main
    routes:
    - name: chat
      matches: [{path: {pathPrefix: /v1}}]
      policies:
        backendAuth: {key: ${SECRET}}
      backends:
      - ai: {name: openai-main, hostOverride: "${host}", provider: {openAI: {}}}
`;

function jsonAnswer(): Response {
  return Response.json({
    id: "c1",
    object: "chat.completion",
    created: 1,
    model: "gpt-4o-mini",
    choices: [{ index: 0, message: { role: "assistant", content: "ok" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3 } },
  });
}

function streamAnswer(): Response {
  const chunk = (c: unknown, usage: unknown = null) =>
    `data: ${JSON.stringify({ id: "c2", object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: c, usage })}\n\n`;
  const body =
    chunk([{ index: 0, delta: { role: "assistant", content: "Hi" }, finish_reason: null }]) +
    chunk([{ index: 0, delta: {}, finish_reason: "stop" }]) +
    chunk([], { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }) +
    "data: [DONE]\n\n";
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

async function scrape(gw: TestGateway, accept?: string): Promise<{ text: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${gw.gateway.operations.statsPort}/metrics`, { headers: accept ? { accept } : {} });
  return { text: await res.text(), type: res.headers.get("content-type") };
}

describe("Prometheus metrics", () => {
  let emu: OpenAIEmulator;
  let gw: TestGateway;
  let fams: ParsedFamily[];
  let text: string;

  beforeAll(async () => {
    emu = startOpenAIEmulator();
    emu.script((req) => (JSON.parse(req.body).stream ? streamAnswer() : jsonAnswer()));
    gw = await startTestGateway(config(emu.host), STATS);
    const post = (stream: boolean) =>
      fetch(`${gw.origin()}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], stream }),
      }).then((r) => r.text());
    for (let i = 0; i < 3; i++) await post(false);
    for (let i = 0; i < 2; i++) await post(true);
    await fetch(`${gw.origin()}/nothing/here`);
    ({ text } = await scrape(gw));
    fams = await parseExposition(text);
  });
  afterAll(async () => {
    await gw.stop();
    await emu.stop();
  });

  test("requests_total counts every exchange with agentgateway's labels", () => {
    const req = samples(fams, "agentgateway_requests", "agentgateway_requests_total");
    expect(fams.find((f) => f.name === "agentgateway_requests")!.type).toBe("counter");
    const ok = req.find((m) => m.labels.status === "200")!;
    expect(ok.value).toBe(5);
    expect(ok.labels).toEqual({
      backend: "openai-main",
      protocol: "llm",
      method: "POST",
      status: "200",
      reason: "Upstream",
      bind: ok.labels.bind!,
      gateway: "default/default",
      listener: "main",
      route: "default/chat",
      route_rule: "unknown",
    });
    expect(ok.labels.bind).toMatch(/^bind\/\d+$/);
    const notFound = req.find((m) => m.labels.status === "404")!;
    expect(notFound.value).toBe(1);
    expect(notFound.labels.reason).toBe("NotFound");
  });

  test("token usage: exact sums and counts per token type, agentgateway's buckets", () => {
    const name = "agentgateway_gen_ai_client_token_usage";
    expect(fams.find((f) => f.name === name)!.type).toBe("histogram");
    const of = (suffix: string, type: string) => samples(fams, name, name + suffix).filter((m) => m.labels.gen_ai_token_type === type);
    const one = (suffix: string, type: string) => of(suffix, type)[0]?.value;
    expect([one("_sum", "input"), one("_count", "input")]).toEqual([43, 5]); // 3 x 11 + 2 x 5
    expect([one("_sum", "output"), one("_count", "output")]).toEqual([25, 5]); // 3 x 7 + 2 x 2
    expect([one("_sum", "input_cache_read"), one("_count", "input_cache_read")]).toEqual([9, 3]);
    expect(of("_count", "input_cache_write")).toEqual([]);
    const buckets = of("_bucket", "input");
    expect(buckets.map((b) => (b.labels.le === "+Inf" ? Infinity : Number(b.labels.le)))).toEqual([1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864, Infinity]);
    expect(buckets.at(-1)!.value).toBe(5);
    expect(buckets.find((b) => b.labels.le === "16.0")!.value).toBe(5); // 11 and 5 are both <= 16
    expect(buckets.find((b) => b.labels.le === "4.0")!.value).toBe(0);
    expect(buckets[0]!.labels).toMatchObject({ gen_ai_operation_name: "chat", gen_ai_system: "openai", gen_ai_request_model: "gpt-4o-mini", gen_ai_response_model: "gpt-4o-mini", route: "default/chat" });
  });

  test("durations, time to first token (streams only) and time per output token", () => {
    const count = (n: string) => samples(fams, n, `${n}_count`).reduce((s, m) => s + m.value, 0);
    expect(count("agentgateway_gen_ai_server_request_duration")).toBe(5);
    expect(count("agentgateway_gen_ai_server_time_to_first_token")).toBe(2);
    expect(count("agentgateway_gen_ai_server_time_per_output_token")).toBe(2);
    expect(count("agentgateway_request_duration_seconds")).toBe(6);
  });

  test("cost from the bundled catalog (gpt-4o-mini: 0.15 / 0.6 / cache read 0.075 USD per million)", () => {
    const cost = samples(fams, "agentgateway_gen_ai_client_cost_usd", "agentgateway_gen_ai_client_cost_usd_total");
    const expected = (3 * (8 * 0.15 + 3 * 0.075 + 7 * 0.6)) / 1e6 + (2 * (5 * 0.15 + 2 * 0.6)) / 1e6;
    expect(cost[0]!.value).toBeCloseTo(expected, 12);
    const lookups = samples(fams, "agentgateway_cost_catalog_lookups", "agentgateway_cost_catalog_lookups_total");
    expect(lookups.map((m) => [m.labels.status, m.value])).toEqual([["Exact", 5]]);
  });

  test("build info and config state", () => {
    expect(samples(fams, "agentgateway_build_info")[0]!.labels.tag).toMatch(/\d+\.\d+\.\d+/);
    expect(samples(fams, "agentgateway_config_synchronized")[0]!.value).toBe(1);
  });

  test("every metric the Grafana dashboards query is there", () => {
    for (const name of [
      "agentgateway_requests_total",
      "agentgateway_request_duration_seconds_bucket",
      "agentgateway_gen_ai_client_token_usage_sum",
      "agentgateway_gen_ai_client_cost_usd_total",
      "agentgateway_gen_ai_server_time_to_first_token_bucket",
      "agentgateway_gen_ai_server_request_duration_bucket",
      "agentgateway_gen_ai_server_time_per_output_token_bucket",
      "agentgateway_build_info",
    ]) {
      expect(fams.some((f) => f.samples.some((s) => s.name === name))).toBe(true);
    }
  });

  test("no label value holds the backend's key", () => {
    expect(text).not.toContain(SECRET);
    for (const f of fams) for (const s of f.samples) for (const v of Object.values(s.labels)) expect(v).not.toContain("SECRET");
  });

  test("OpenMetrics text when the scraper asks for it, valid for the strict OpenMetrics parser", async () => {
    const om = await scrape(gw, "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");
    expect(om.type).toStartWith("application/openmetrics-text");
    const parsed = await parseExposition(om.text, "openmetrics");
    expect(parsed.find((f) => f.name === "agentgateway_gen_ai_client_cost_usd")).toMatchObject({ type: "counter", unit: "usd" });
    expect(parsed.find((f) => f.name === "agentgateway_build")).toMatchObject({ type: "info" });
    expect(parsed.find((f) => f.name === "agentgateway_requests")!.help).toBe("The total number of HTTP requests sent.");
    const requests = samples(parsed, "agentgateway_requests", "agentgateway_requests_total");
    expect(requests.find((m) => m.labels.status === "200")!.value).toBe(5);
    expect(om.text).toEndWith("# EOF\n");
    const plain = await scrape(gw);
    expect(plain.type).toStartWith("text/plain; version=0.0.4");
  });

  test("/stats/prometheus is the same endpoint; anything else is 404", async () => {
    const base = `http://127.0.0.1:${gw.gateway.operations.statsPort}`;
    expect((await fetch(`${base}/stats/prometheus`)).status).toBe(200);
    expect((await fetch(`${base}/other`)).status).toBe(404);
  });
});

test("config.metrics.remove leaves metrics out, by any of agentgateway's spellings", async () => {
  const emu = startOpenAIEmulator();
  const gw = await startTestGateway(config(emu.host, "  metrics: {remove: [gen_ai_client_cost, agentgateway_requests_total, request_duration_seconds]}"), STATS);
  try {
    await fetch(`${gw.origin()}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] }) }).then((r) => r.text());
    const { text } = await scrape(gw);
    expect(text).not.toContain("agentgateway_gen_ai_client_cost_usd");
    expect(text).not.toContain("agentgateway_requests_total");
    expect(text).not.toContain("agentgateway_request_duration_seconds");
    expect(text).toContain("agentgateway_gen_ai_client_token_usage_sum{");
  } finally {
    await gw.stop();
    await emu.stop();
  }
});
