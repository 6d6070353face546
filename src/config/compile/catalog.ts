/**
 * `config.modelCatalog`: the sources read and merged in order (a source that cannot be read or
 * parsed is reported where it is). Without the field, the bundled catalog of list prices
 * (src/telemetry/cost/bundled-catalog.json, with its date) prices every exchange;
 * `modelCatalog: []` turns pricing off.
 */
import type { z } from "zod";
import { bundledCatalog } from "../../telemetry/cost/bundled.ts";
import { CatalogSchema, mergeCatalogs, type Catalog, type ModelCatalogSources, type RawCatalog } from "../../telemetry/cost/catalog.ts";
import type { GatewayConfig } from "../model.ts";
import type { CompileContext } from "./context.ts";

export function compileCatalog(ctx: CompileContext, sources: z.output<typeof ModelCatalogSources> | undefined): Pick<GatewayConfig, "catalog" | "catalogSource"> {
  if (!sources) {
    const bundled = bundledCatalog();
    return { catalog: bundled.catalog, catalogSource: { kind: "bundled", date: bundled.date, models: countModels(bundled.catalog) } };
  }
  if (sources.length === 0) return { catalog: undefined, catalogSource: { kind: "none", models: 0 } };
  const catalogs: RawCatalog[] = [];
  sources.forEach((source, i) => {
    const path = ["config", "modelCatalog", i];
    const text = "file" in source ? ctx.readFile(source.file, [...path, "file"]) : typeof source.inline === "string" ? source.inline : undefined;
    if (text === undefined) {
      if ("inline" in source && typeof source.inline !== "string") catalogs.push(source.inline);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      ctx.issue(path, `the model catalog is not JSON: ${(err as Error).message}`);
      return;
    }
    const parsed = CatalogSchema.safeParse(json);
    if (parsed.success) catalogs.push(parsed.data);
    else ctx.issue(path, `not a model catalog: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`);
  });
  const catalog = mergeCatalogs(catalogs);
  return { catalog, catalogSource: { kind: "config", models: countModels(catalog) } };
}

function countModels(catalog: Catalog): number {
  let n = 0;
  for (const models of catalog.values()) n += models.size;
  return n;
}
