/**
 * The span encoder against a protobuf reader written separately (test/helpers/otlp.ts): what a
 * collector decodes is what the span's attributes are, whether a value's encoding was kept for
 * reuse (a route or model seen before), was never kept (past 64 values of a key, or too long for
 * that), or holds text that is not ASCII, and whether the route's attributes came as a block
 * encoded for an earlier exchange (more routes than the blocks kept, revisited) or one by one.
 */
import { expect, test } from "bun:test";
import type { ExchangeOutcome } from "../../src/telemetry/outcome.ts";
import { emitSpanAttributes, spanAttributes } from "../../src/telemetry/tracing/attributes.ts";
import { SpanBatch } from "../../src/telemetry/tracing/otlp-encode.ts";
import { usdString } from "../../src/telemetry/cost/cost.ts";
import { decodeExport } from "../helpers/otlp.ts";

const hex = (n: number, width: number) => n.toString(16).padStart(width, "0");

function exchange(i: number): ExchangeOutcome {
  // paths: one recurring, then a new one each time (past the cache), some long, some not ASCII
  const path = i % 3 === 0 ? "/v1/chat/completions" : i % 7 === 0 ? `/v1/${"x".repeat(300 + i)}` : i % 5 === 0 ? `/v1/é/${i}/ü✓` : `/v1/chat/${i}`;
  return {
    start: 0,
    bind: 3000,
    method: "POST",
    path,
    listener: "default",
    route: i % 2 ? "ns/route-a" : "ns/route-b",
    protocol: "llm",
    operation: "chat",
    provider: "openai",
    endpoint: "api.openai.com:443",
    attempts: 1 + (i % 3),
    requestModel: "gpt-4o-mini",
    responseModel: `gpt-4o-mini-${i % 90}`,
    usage: { inputTokens: i, outputTokens: 2 * i + 1, cachedInputTokens: 0, cacheWriteInputTokens: 0, reasoningTokens: 0 },
    status: i % 11 ? 200 : 503,
    firstByteMs: 0.5 + i / 7,
    durationMs: 3 + i / 3,
    cost: { status: "Exact", total: i * 1.5e-7, input: i * 1.5e-7, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
    trace: { traceId: hex(i + 1, 32), spanId: hex(i + 1, 16), flags: 1 },
    ...(i % 4 === 0 ? { custom: { log: {}, metrics: {}, trace: { tenant: `t-${i % 70}`, "http.method": "custom" } } } : {}),
  } as ExchangeOutcome;
}

/** The spans of `records` as the tracer writes them, decoded from their export request. */
function exported(records: readonly ExchangeOutcome[], remove: ReadonlySet<string>) {
  const batch = new SpanBatch();
  for (const r of records) {
    batch.add({
      traceId: r.trace!.traceId,
      spanId: r.trace!.spanId,
      parentSpanId: undefined,
      flags: 1,
      name: `${r.method} ${r.path}`,
      kind: 2,
      startMs: 1_700_000_000_000,
      endMs: 1_700_000_000_003.5,
      attributes: (emit, copy) => emitSpanAttributes(r, remove, emit, copy),
      status: { code: 0 },
    });
  }
  return decodeExport(batch.take({ "service.name": "agentgateway" }, { name: "agentgateway", version: "test" }));
}

test("spans decode to their attributes, kept encodings or not, ASCII or not", () => {
  const remove = new Set<string>();
  const records = Array.from({ length: 240 }, (_, i) => exchange(i));
  const spans = exported(records, remove);
  expect(spans).toHaveLength(records.length);
  for (const [i, span] of spans.entries()) {
    const want = spanAttributes(records[i]!, remove);
    expect(span.attributes).toEqual(want);
    expect(span.attributeKeys).toHaveLength(Object.keys(want).length);
    expect(span.name).toBe(`POST ${records[i]!.path}`);
  }
  // a custom attribute replaces the built-in of its name
  expect(spans[0]!.attributes["http.method"]).toBe("custom");
  expect(spans[1]!.attributes["http.method"]).toBe("POST");
  expect(spans[5]!.attributes["http.path"]).toBe("/v1/é/5/ü✓");
});

test("a route block is reused only when every route attribute is the same", () => {
  const remove = new Set<string>();
  const base = { ...exchange(3), custom: undefined } as ExchangeOutcome;
  const changes: Partial<ExchangeOutcome>[] = [
    { status: 429 },
    { route: "ns/other" },
    { path: "/v1/embeddings" },
    { requestModel: "gpt-4o" },
    { responseModel: "gpt-4o-2024-08-06" },
    { provider: "azure.openai" },
    { endpoint: "eu.example.com:443" },
    { listener: "internal" },
    { method: "PUT" },
    { operation: "embeddings" },
    { protocol: "http" },
  ];
  // each change next to the record it differs from, then all again once the first were evicted
  const records = [...changes, ...changes].flatMap((c) => [base, { ...base, ...c } as ExchangeOutcome]);
  const spans = exported(records, remove);
  for (const [i, span] of spans.entries()) expect(span.attributes).toEqual(spanAttributes(records[i]!, remove));
  expect(spans[3]!.attributes.route).toBe("ns/other");
});

test("amounts in USD decode to the strings usdString writes (the encoder writes their digits itself)", () => {
  const remove = new Set<string>();
  const amounts = [0, 4e-11, 1e-10, 1.8e-6, 0.1 + 0.2, 3, 12.5, 123.0000000001, 899_999.9999999999, 2e6, 1234567.5, 0.0000000051, 1.0000000009];
  // every price a catalog holds times every token count a usage can (as the cost test has it)
  for (const perMillion of [0.0375, 0.075, 0.1, 0.15, 0.6, 1.25, 2.5, 3, 3.75, 10, 15, 60]) {
    for (let tokens = 1; tokens < 2_000_000; tokens = Math.ceil(tokens * 1.37)) amounts.push((tokens * perMillion) / 1_000_000);
  }
  for (let i = 0; i < 500; i++) amounts.push(Math.random() * 10 ** (Math.floor(Math.random() * 12) - 8));
  const records = [];
  for (let i = 0; i + 6 <= amounts.length; i += 6) {
    const [total, input, output, cacheRead, cacheWrite, reasoning] = amounts.slice(i, i + 6) as [number, number, number, number, number, number];
    records.push({ ...exchange(3), custom: undefined, cost: { status: "Exact", total, input, output, cacheRead, cacheWrite, reasoning } } as ExchangeOutcome);
  }
  const spans = exported(records, remove);
  for (const [i, span] of spans.entries()) {
    const c = records[i]!.cost!;
    expect(span.attributes["agw.ai.usage.cost.total"]).toBe(usdString(c.total));
    expect(span.attributes["agw.ai.usage.cost.reasoning"]).toBe(usdString(c.reasoning));
    expect(span.attributes).toEqual(spanAttributes(records[i]!, remove));
  }
  expect(spans[0]!.attributes["agw.ai.usage.cost.input"]).toBe("0"); // 4e-11: below the last decimal
  expect(spans[1]!.attributes["agw.ai.usage.cost.cache_read"]).toBe("2000000");
});
