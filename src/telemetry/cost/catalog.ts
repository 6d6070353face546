/**
 * The model cost catalog (`config.modelCatalog`, agentgateway's `Catalog` shape): list prices in
 * USD per million tokens, per provider (its telemetry name: `openai`, `anthropic`, `aws.bedrock`,
 * `gcp.gemini`, `gcp.vertex_ai`, `azure`...) and model id, with context tiers. Sources merge in
 * order, later ones overriding earlier ones model by model (rates field by field, tiers replaced).
 */
import { z } from "zod";

/** A decimal string, USD per 1,000,000 tokens, at most 6 fractional digits. */
const Money = z.string().regex(/^\d+(\.\d{1,6})?$/, { error: "expected a price in USD per million tokens as a decimal string, such as \"0.15\"" });

const Rates = z
  .strictObject({
    input: Money.optional(),
    output: Money.optional(),
    cacheRead: Money.optional(),
    cacheWrite: Money.optional(),
    reasoning: Money.optional(),
    inputAudio: Money.optional(),
    outputAudio: Money.optional(),
  })
  .meta({ id: "CatalogRates" });

const Tier = z.strictObject({ contextOver: z.int().min(0), rates: Rates }).meta({ id: "CatalogTier" });

const Model = z
  .strictObject({ rates: Rates.optional(), tiers: z.array(Tier).optional(), tags: z.array(z.string()).optional() })
  .superRefine((m, ctx) => {
    const over = (m.tiers ?? []).map((t) => t.contextOver);
    if (over.some((v, i) => i > 0 && v <= over[i - 1]!)) ctx.addIssue({ code: "custom", message: "tiers must have strictly increasing contextOver" });
  })
  .meta({ id: "CatalogModel" });

export const CatalogSchema = z
  .strictObject({ providers: z.record(z.string(), z.strictObject({ models: z.record(z.string(), Model) })) })
  .meta({ id: "Catalog" });

export type RawCatalog = z.output<typeof CatalogSchema>;
export type RateName = keyof z.output<typeof Rates>;

/** `config.modelCatalog`: files (read when the config loads) or inline catalogs (a JSON string or an object). */
export const ModelCatalogSources = z
  .array(z.union([z.strictObject({ file: z.string() }), z.strictObject({ inline: z.union([z.string(), CatalogSchema]) })]))
  .meta({ id: "ModelCatalogSources" });

/** Per-million-token rates as numbers. */
export type NumericRates = Partial<Record<RateName, number>>;

export interface PricedModel {
  rates: NumericRates;
  /** highest `contextOver` first */
  tiers: { contextOver: number; rates: NumericRates }[];
}

/** Provider -> model -> prices, merged from every source. */
export type Catalog = ReadonlyMap<string, ReadonlyMap<string, PricedModel>>;

export function mergeCatalogs(sources: readonly RawCatalog[]): Catalog {
  const out = new Map<string, Map<string, PricedModel>>();
  for (const source of sources) {
    for (const [provider, p] of Object.entries(source.providers)) {
      const models = out.get(provider) ?? new Map<string, PricedModel>();
      out.set(provider, models);
      for (const [id, m] of Object.entries(p.models)) {
        const before = models.get(id);
        const tiers = (m.tiers ?? []).map((t) => ({ contextOver: t.contextOver, rates: numeric(t.rates) })).reverse();
        models.set(id, {
          rates: { ...before?.rates, ...numeric(m.rates ?? {}) },
          tiers: tiers.length > 0 || !before ? tiers : before.tiers,
        });
      }
    }
  }
  return out;
}

function numeric(rates: z.output<typeof Rates>): NumericRates {
  const out: NumericRates = {};
  for (const [k, v] of Object.entries(rates)) if (v !== undefined) out[k as RateName] = Number(v);
  return out;
}
