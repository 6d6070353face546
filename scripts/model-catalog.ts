#!/usr/bin/env bun
/**
 * Builds the bundled model catalog (src/telemetry/cost/bundled-catalog.json) from models.dev's
 * data, converted as agentgateway converts it (`refresh.rs`): deprecated models and models
 * without a price are skipped, `cost.{input,output,cache_read,cache_write,reasoning,input_audio,
 * output_audio}` (USD per million tokens) become the catalog's rates rounded to 6 decimals,
 * context tiers become `tiers[{contextOver}]`, and models.dev's provider ids become the gateway's
 * telemetry names.
 *
 *   bun scripts/model-catalog.ts --api api.json --date 2026-07-02 [--source models.dev/api.json]
 *   bun scripts/model-catalog.ts --providers <models.dev checkout>/providers --date 2026-07-02 --source "models.dev@<commit>"
 *
 * `--api` reads https://models.dev/api.json (saved to a file); `--providers` reads the TOML files
 * of a models.dev repository checkout (the same data the API is built from).
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

/** models.dev provider id -> telemetry name, for the providers this gateway speaks to. */
const PROVIDERS: Record<string, string> = {
  openai: "openai",
  anthropic: "anthropic",
  google: "gcp.gemini",
  "google-vertex": "gcp.vertex_ai",
  "google-vertex-anthropic": "gcp.vertex_ai",
  "amazon-bedrock": "aws.bedrock",
  azure: "azure",
  // OpenAI-compatible services reached through `custom` providers with `providerOverride`
  deepseek: "deepseek",
  groq: "groq",
  mistral: "mistral",
  xai: "xai",
  cohere: "cohere",
};

const RATE_KEYS: Record<string, string> = {
  input: "input",
  output: "output",
  cache_read: "cacheRead",
  cache_write: "cacheWrite",
  reasoning: "reasoning",
  input_audio: "inputAudio",
  output_audio: "outputAudio",
};

interface SourceModel {
  status?: string;
  cost?: Record<string, unknown> & { tiers?: { tier?: { type?: string; size?: number }; [k: string]: unknown }[] };
}

type Rates = Record<string, string>;
type CatalogModel = { rates: Rates; tiers?: { contextOver: number; rates: Rates }[] };

function money(v: unknown): string | undefined {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return undefined;
  return String(Math.round(v * 1e6) / 1e6);
}

function rates(cost: Record<string, unknown>): Rates {
  const out: Rates = {};
  for (const [from, to] of Object.entries(RATE_KEYS)) {
    const m = money(cost[from]);
    if (m !== undefined) out[to] = m;
  }
  return out;
}

function convert(model: SourceModel): CatalogModel | undefined {
  if (model.status === "deprecated" || !model.cost) return undefined;
  const base = rates(model.cost);
  if (Object.keys(base).length === 0) return undefined;
  const tiers = (model.cost.tiers ?? [])
    .filter((t) => (t.tier?.type ?? "context") === "context" && typeof t.tier?.size === "number")
    .map((t) => ({ contextOver: t.tier!.size!, rates: rates(t) }))
    .sort((a, b) => a.contextOver - b.contextOver);
  return tiers.length > 0 ? { rates: base, tiers } : { rates: base };
}

function tomlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? tomlFiles(full) : name.endsWith(".toml") ? [full] : [];
  });
}

/** models.dev's API shape (provider -> models) from either source. */
function readSource(args: Map<string, string>): Record<string, Record<string, SourceModel>> {
  const api = args.get("--api");
  if (api) {
    const json = JSON.parse(readFileSync(api, "utf8")) as Record<string, { models?: Record<string, SourceModel> }>;
    return Object.fromEntries(Object.entries(json).map(([id, p]) => [id, p.models ?? {}]));
  }
  const root = args.get("--providers");
  if (!root) throw new Error("give --api <api.json> or --providers <dir>");
  const out: Record<string, Record<string, SourceModel>> = {};
  for (const id of Object.keys(PROVIDERS)) {
    const dir = join(root, id, "models");
    try {
      statSync(dir);
    } catch {
      continue;
    }
    out[id] = Object.fromEntries(tomlFiles(dir).map((f) => [relative(dir, f).replace(/\.toml$/, ""), Bun.TOML.parse(readFileSync(f, "utf8")) as SourceModel]));
  }
  return out;
}

/** One model per line: small, and a price change is a one-line diff. */
function render(doc: { catalog: { providers: Record<string, { models: Record<string, CatalogModel> }> } } & Record<string, unknown>): string {
  const head = Object.entries(doc).filter(([k]) => k !== "catalog").map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const providers = Object.entries(doc.catalog.providers).map(([id, p]) => {
    const models = Object.entries(p.models).map(([m, v]) => `      ${JSON.stringify(m)}: ${JSON.stringify(v)}`);
    return `    ${JSON.stringify(id)}: {"models": {\n${models.join(",\n")}\n    }}`;
  });
  return `{\n${head.join("\n")}\n  "catalog": {"providers": {\n${providers.join(",\n")}\n  }}\n}\n`;
}

function main(): void {
  const argv = process.argv.slice(2);
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) args.set(argv[i]!, argv[i + 1]!);
  const date = args.get("--date");
  if (!date) throw new Error("give --date YYYY-MM-DD (when the prices were read)");
  const providers: Record<string, { models: Record<string, CatalogModel> }> = {};
  let count = 0;
  for (const [id, models] of Object.entries(readSource(args))) {
    const target = PROVIDERS[id];
    if (!target) continue;
    const into = (providers[target] ??= { models: {} }).models;
    for (const name of Object.keys(models).sort()) {
      const m = convert(models[name]!);
      if (m && !into[name]) {
        into[name] = m;
        count++;
      }
    }
  }
  const out = resolve(import.meta.dir, "../src/telemetry/cost/bundled-catalog.json");
  const doc = { date, source: args.get("--source") ?? "https://models.dev/api.json", license: "models.dev data, MIT License", catalog: { providers } };
  writeFileSync(out, render(doc));
  console.log(`${count} models from ${Object.keys(providers).length} providers -> ${out}`);
}

main();
