/** Cost from the model catalog: agentgateway's algorithm and examples, and the access log's cost field. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mergeCatalogs, type RawCatalog } from "../../src/telemetry/cost/catalog.ts";
import { costOf, usdString } from "../../src/telemetry/cost/cost.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { accessLogs, eventually, openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const golden: RawCatalog = {
  providers: {
    anthropic: { models: { "claude-sonnet-4-5": { rates: { input: "3", output: "15", cacheRead: "0.3", cacheWrite: "3.75" } } } },
    "gcp.gemini": {
      models: {
        "gemini-2.5-pro": { rates: { input: "1.25", output: "10", cacheRead: "0.125" }, tiers: [{ contextOver: 200000, rates: { input: "2.5", output: "15", cacheRead: "0.25" } }] },
      },
    },
    openai: { models: { "gpt-4o-mini": { rates: { input: "0.15", output: "0.6", cacheRead: "0.075" } }, "free-model": {} } },
  },
};
const catalog = mergeCatalogs([golden]);

describe("costOf", () => {
  test("agentgateway's documented example: gpt-4o-mini, 14 in and 6 out = $0.0000057", () => {
    const c = costOf(catalog, "openai", undefined, "gpt-4o-mini", { inputTokens: 14, outputTokens: 6, totalTokens: 20 });
    expect(c.status).toBe("Exact");
    expect(c.total).toBeCloseTo(0.0000057, 12);
  });

  test("cached input is priced apart when the model has a cache price, else as plain input", () => {
    const c = costOf(catalog, "openai", undefined, "gpt-4o-mini", { inputTokens: 1000, cachedInputTokens: 400, outputTokens: 0, totalTokens: 1000 });
    expect(c.input).toBeCloseTo((600 * 0.15) / 1e6, 12);
    expect(c.cacheRead).toBeCloseTo((400 * 0.075) / 1e6, 12);
    // Anthropic's cache writes are priced; Gemini has no cache-write price, so writes count as input
    const g = costOf(catalog, "gcp.gemini", undefined, "gemini-2.5-pro", { inputTokens: 1000, cacheWriteInputTokens: 100, outputTokens: 0, totalTokens: 1000 });
    expect(g.input).toBeCloseTo((1000 * 1.25) / 1e6, 12);
    expect(g.cacheWrite).toBe(0);
  });

  test("a context tier applies above its threshold; reasoning falls back to the output price", () => {
    const small = costOf(catalog, "gcp.gemini", undefined, "gemini-2.5-pro", { inputTokens: 200000, outputTokens: 100, reasoningTokens: 40, totalTokens: 200100 });
    const large = costOf(catalog, "gcp.gemini", undefined, "gemini-2.5-pro", { inputTokens: 200001, outputTokens: 100, reasoningTokens: 40, totalTokens: 200101 });
    expect(small.input).toBeCloseTo((200000 * 1.25) / 1e6, 9);
    expect(large.input).toBeCloseTo((200001 * 2.5) / 1e6, 9);
    expect(small.output).toBeCloseTo((60 * 10) / 1e6, 12);
    expect(small.reasoning).toBeCloseTo((40 * 10) / 1e6, 12);
  });

  test("the response model first, then the request model; statuses for what is not priced", () => {
    const usage = { inputTokens: 10, outputTokens: 10, totalTokens: 20 };
    expect(costOf(catalog, "openai", "gpt-4o-mini-2024-07-18", "gpt-4o-mini", usage).status).toBe("Exact");
    expect(costOf(catalog, "openai", undefined, "unknown", usage).status).toBe("Missing");
    expect(costOf(catalog, "azure", undefined, "gpt-4o-mini", usage).status).toBe("Missing");
    expect(costOf(catalog, "openai", undefined, "free-model", usage).status).toBe("Unpriced");
    expect(costOf(undefined, "openai", undefined, "gpt-4o-mini", usage).status).toBe("NoCatalog");
  });

  test("later sources override earlier ones field by field", () => {
    const merged = mergeCatalogs([golden, { providers: { openai: { models: { "gpt-4o-mini": { rates: { output: "1" } } } } } }]);
    const c = costOf(merged, "openai", undefined, "gpt-4o-mini", { inputTokens: 1_000_000, outputTokens: 1_000_000, totalTokens: 2_000_000 });
    expect(c.input).toBeCloseTo(0.15, 9);
    expect(c.output).toBeCloseTo(1, 9);
  });
});

describe("usdString", () => {
  test("at most 10 decimals, no exponent, no trailing zeros, as toFixed(10) trimmed would write it", () => {
    expect(usdString(0)).toBe("0");
    expect(usdString(1.8e-6)).toBe("0.0000018");
    expect(usdString(12.5)).toBe("12.5");
    expect(usdString(3)).toBe("3");
    expect(usdString(1e-10)).toBe("0.0000000001");
    expect(usdString(4e-11)).toBe("0"); // below the last decimal
    expect(usdString(0.1 + 0.2)).toBe("0.3"); // no float noise
    expect(usdString(123.0000000001)).toBe("123.0000000001");
    expect(usdString(2e6)).toBe("2000000"); // past 2^53 units of 1e-10: toFixed's path
    expect(usdString(1234567.5)).toBe("1234567.5");
    const trimmedFixed = (v: number) => v.toFixed(10).replace(/0+$/, "").replace(/\.$/, "");
    // every price a catalog holds times every token count a usage can: the digits toFixed(10) gives
    for (const perMillion of [0.0375, 0.075, 0.1, 0.15, 0.6, 1.25, 2.5, 3, 3.75, 10, 15, 60]) {
      for (let tokens = 1; tokens < 2_000_000; tokens = Math.ceil(tokens * 1.37)) {
        const v = (tokens * perMillion) / 1_000_000;
        expect(usdString(v)).toBe(trimmedFixed(v));
      }
    }
  });
});

describe("config.modelCatalog", () => {
  let emu: OpenAIEmulator;
  let gw: TestGateway;
  beforeAll(async () => {
    emu = startOpenAIEmulator();
    gw = await startTestGateway(`
config:
  modelCatalog:
  - inline: '{"providers":{"openai":{"models":{"gpt-4o-mini":{"rates":{"input":"0.15","output":"0.6"}}}}}}'
  - inline:
      providers:
        openai: {models: {gpt-4o-mini: {rates: {output: "0.6"}}}}
binds:
- port: 0
  listeners:
  - routes:
    - backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`);
  });
  afterAll(async () => {
    await gw.stop();
    emu.stop();
  });

  test("the access log carries what each answer cost, from its usage and the catalog", async () => {
    const res = await openaiClient(gw.baseURL()).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    const line = await eventually(() => accessLogs(gw).at(-1));
    const expected = (res.usage!.prompt_tokens * 0.15 + res.usage!.completion_tokens * 0.6) / 1e6;
    expect(Number(line["agw.ai.usage.cost.total"])).toBeCloseTo(expected, 12);
  });

  test("a catalog that is not one is a located config error", async () => {
    const err = await startTestGateway(`
config:
  modelCatalog:
  - inline: '{"providers":{"openai":{"models":{"m":{"rates":{"input":"cheap"}}}}}}'
binds: []
`).catch((e: Error) => e);
    expect(String(err)).toContain("config.modelCatalog[0]");
    expect(String(err)).toContain("expected a price in USD per million tokens");
  });
});
