/**
 * The bench scenarios by name. Provider scenarios live one per file in this folder and export a
 * `Scenario`; a file that is missing (a provider not built yet) is skipped.
 */
import type { Scenario } from "../scenario.ts";
import { openaiJson, openaiStream, openaiStreamUntouched } from "./openai.ts";
import { resilienceJson, resilienceStream } from "./resilience.ts";

/** Scenarios compared with the same gateway without the feature (`baseline`). */
export const featureScenarios: Scenario[] = [resilienceJson, resilienceStream];

const PROVIDER_FILES = ["anthropic", "bedrock", "gemini", "anthropic-client"];

export async function providerScenarios(): Promise<Scenario[]> {
  const found: Scenario[] = [];
  for (const name of PROVIDER_FILES) {
    const file = new URL(`./${name}.ts`, import.meta.url).pathname;
    if (!(await Bun.file(file).exists())) continue;
    const mod = (await import(file)) as Record<string, unknown>;
    for (const v of Object.values(mod)) if (isScenario(v)) found.push(v);
  }
  return found;
}

export async function loadScenario(name: string): Promise<Scenario> {
  const all = [openaiJson, openaiStream, openaiStreamUntouched, ...featureScenarios, ...(await providerScenarios())];
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`unknown scenario ${name} (known: ${all.map((x) => x.name).join(", ")})`);
  return s;
}

function isScenario(v: unknown): v is Scenario {
  return typeof v === "object" && v !== null && "upstream" in v && "config" in v && "gatewayRequest" in v;
}

export { openaiJson, openaiStream, openaiStreamUntouched };
