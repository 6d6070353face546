/**
 * The bundled model catalog: list prices of the supported providers' models, converted from
 * models.dev's data (the source agentgateway refreshes from) by scripts/model-catalog.ts, with the
 * date they were read. Used when a config has no `config.modelCatalog`; parsed once, on first use.
 */
import data from "./bundled-catalog.json" with { type: "json" };
import { CatalogSchema, mergeCatalogs, type Catalog } from "./catalog.ts";

let cached: { catalog: Catalog; date: string; source: string } | undefined;

export function bundledCatalog(): { catalog: Catalog; date: string; source: string } {
  return (cached ??= { catalog: mergeCatalogs([CatalogSchema.parse(data.catalog)]), date: data.date, source: data.source });
}
