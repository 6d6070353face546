/**
 * What an answer cost, from its token usage and the catalog's list prices (agentgateway's
 * algorithm): the response model's prices, else the request model's; tokens split into input,
 * cache read/write, output, reasoning; a context tier's prices once the prompt is above it.
 * The gateway's usage counts cached tokens inside the input (OpenAI's convention, for every
 * provider), so cached tokens are priced apart only where the model has a cache price.
 */
import type { Usage } from "../../llm/types.ts";
import type { Catalog, NumericRates, PricedModel } from "./catalog.ts";

/** How the price was found: agentgateway's statuses (they label its cost metrics). */
export type CostStatus = "Exact" | "Unpriced" | "Missing" | "NoCatalog";

export interface Cost {
  status: CostStatus;
  /** USD */
  total: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export function costOf(catalog: Catalog | undefined, provider: string, models: readonly (string | undefined)[], usage: Usage | undefined): Cost {
  const zero = { total: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  if (!catalog) return { status: "NoCatalog", ...zero };
  const byModel = catalog.get(provider);
  let priced: PricedModel | undefined;
  for (const m of models) if (m !== undefined && (priced = byModel?.get(m))) break;
  if (!priced) return { status: "Missing", ...zero };
  if (Object.keys(priced.rates).length === 0 && priced.tiers.length === 0) return { status: "Unpriced", ...zero };
  if (!usage) return { status: "Exact", ...zero };
  return { status: "Exact", ...lineItems(priced, usage) };
}

function lineItems(priced: PricedModel, u: Usage): Omit<Cost, "status"> {
  let cacheRead = u.cachedInputTokens ?? 0;
  let cacheWrite = u.cacheWriteInputTokens ?? 0;
  const context = u.inputTokens;
  const rates: NumericRates = { ...priced.rates, ...priced.tiers.find((t) => context > t.contextOver)?.rates };
  let input = u.inputTokens;
  // priced apart where the model has a price for it; otherwise billed as plain input
  if (rates.cacheRead !== undefined) input -= cacheRead;
  else cacheRead = 0;
  if (rates.cacheWrite !== undefined) input -= cacheWrite;
  else cacheWrite = 0;
  const reasoning = u.reasoningTokens ?? 0;
  const output = u.outputTokens - reasoning;
  const usd = (tokens: number, rate: number | undefined) => (rate === undefined ? 0 : (Math.max(0, tokens) * rate) / 1_000_000);
  const items = {
    input: usd(input, rates.input),
    output: usd(output, rates.output),
    cacheRead: usd(cacheRead, rates.cacheRead),
    cacheWrite: usd(cacheWrite, rates.cacheWrite),
    reasoning: usd(reasoning, rates.reasoning ?? rates.output),
  };
  return { total: items.input + items.output + items.cacheRead + items.cacheWrite + items.reasoning, ...items };
}

/**
 * USD as agentgateway writes cost in logs and spans: a decimal string with at most 10 decimals,
 * no float noise, no exponent, no trailing zeros. Zero (most of the six parts of a cost) and the
 * trimming without a regex: this runs six times per traced request.
 */
export function usdString(value: number): string {
  if (value === 0) return "0";
  const s = value.toFixed(10);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--; // "0"
  if (s.charCodeAt(end - 1) === 46) end--; // "."
  return end === s.length ? s : s.slice(0, end) || "0";
}
