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

/** The costs without a price (shared: a record's cost is read, never changed). */
const NOTHING = { total: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
const UNKNOWN: Readonly<Record<Exclude<CostStatus, "Exact">, Cost>> = {
  NoCatalog: Object.freeze({ status: "NoCatalog", ...NOTHING }),
  Missing: Object.freeze({ status: "Missing", ...NOTHING }),
  Unpriced: Object.freeze({ status: "Unpriced", ...NOTHING }),
};

/**
 * The cost of `usage` at the prices of `responseModel`, else of `requestModel`. This runs as
 * every exchange with usage finishes: no objects but the answer's (it made six, two closures
 * and two arrays).
 */
export function costOf(catalog: Catalog | undefined, provider: string, responseModel: string | undefined, requestModel: string | undefined, usage: Usage | undefined): Cost {
  if (!catalog) return UNKNOWN.NoCatalog;
  const byModel = catalog.get(provider);
  const priced = (responseModel !== undefined ? byModel?.get(responseModel) : undefined) ?? (requestModel !== undefined ? byModel?.get(requestModel) : undefined);
  if (!priced) return UNKNOWN.Missing;
  if (priced.tiers.length === 0 && !hasRates(priced.rates)) return UNKNOWN.Unpriced;
  return lineItems(priced, usage);
}

function hasRates(rates: NumericRates): boolean {
  for (const _ in rates) return true;
  return false;
}

function lineItems(priced: PricedModel, u: Usage | undefined): Cost {
  if (!u) return { status: "Exact", ...NOTHING };
  // a context tier's rates replace the model's, name by name (tiers: highest contextOver first)
  let tier: NumericRates | undefined;
  for (const t of priced.tiers) {
    if (u.inputTokens > t.contextOver) {
      tier = t.rates;
      break;
    }
  }
  const base = priced.rates;
  let cacheRead = u.cachedInputTokens ?? 0;
  let cacheWrite = u.cacheWriteInputTokens ?? 0;
  let input = u.inputTokens;
  // priced apart where the model has a price for it; otherwise billed as plain input
  const cacheReadRate = tier?.cacheRead ?? base.cacheRead;
  const cacheWriteRate = tier?.cacheWrite ?? base.cacheWrite;
  if (cacheReadRate !== undefined) input -= cacheRead;
  else cacheRead = 0;
  if (cacheWriteRate !== undefined) input -= cacheWrite;
  else cacheWrite = 0;
  const reasoning = u.reasoningTokens ?? 0;
  const outputRate = tier?.output ?? base.output;
  const cost: Cost = {
    status: "Exact",
    total: 0,
    input: usd(input, tier?.input ?? base.input),
    output: usd(u.outputTokens - reasoning, outputRate),
    cacheRead: usd(cacheRead, cacheReadRate),
    cacheWrite: usd(cacheWrite, cacheWriteRate),
    reasoning: usd(reasoning, tier?.reasoning ?? base.reasoning ?? outputRate),
  };
  cost.total = cost.input + cost.output + cost.cacheRead + cost.cacheWrite + cost.reasoning;
  return cost;
}

function usd(tokens: number, rate: number | undefined): number {
  return rate === undefined ? 0 : (Math.max(0, tokens) * rate) / 1_000_000;
}

/**
 * USD as agentgateway writes cost in logs and spans: a decimal string with at most 10 decimals,
 * no float noise, no exponent, no trailing zeros. This runs up to six times per traced request,
 * so the digits are those of the amount in units of 1e-10 USD, an integer below 2^53 for any cost
 * under 900,000 USD, with the point put in (80 ns against 150-200 for `toFixed(10)` and
 * trimming, which stays for larger amounts). Zero, most of the six parts of a cost, returns at
 * once.
 */
export function usdString(value: number): string {
  if (value === 0) return "0";
  const units = Math.round(value * 1e10);
  if (units === 0) return "0";
  if (!(units > 0 && units <= Number.MAX_SAFE_INTEGER)) return trimmedFixed(value);
  const digits = String(units);
  const point = digits.length - 10;
  const stop = Math.max(point, 0);
  let end = digits.length;
  while (end > stop && digits.charCodeAt(end - 1) === 48) end--; // trailing "0"s
  if (point <= 0) return `0.${ZEROS.slice(0, -point)}${digits.slice(0, end)}`;
  return end === point ? digits.slice(0, point) : `${digits.slice(0, point)}.${digits.slice(point, end)}`;
}

const ZEROS = "0000000000";

function trimmedFixed(value: number): string {
  const s = value.toFixed(10);
  let end = s.length;
  while (s.charCodeAt(end - 1) === 48) end--; // "0"
  if (s.charCodeAt(end - 1) === 46) end--; // "."
  return end === s.length ? s : s.slice(0, end) || "0";
}
