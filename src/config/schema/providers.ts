/**
 * Provider schemas composed from the provider registry: an `ai` backend's `provider:` object
 * (exactly one registered key) and the `llm:` form's provider names. Adding a provider changes
 * nothing here.
 */
import { z } from "zod";
import { CustomConfig } from "../../llm/providers/custom/spec.ts";
import { PRESETS } from "../../llm/providers/custom/index.ts";
import { PROVIDERS } from "../../llm/providers/index.ts";
import { exactlyOne, notYet } from "./parts.ts";

const keys = PROVIDERS.map((p) => p.key);

export const AIProvider = z
  .strictObject({
    ...Object.fromEntries(PROVIDERS.map((p) => [p.key, p.schema.optional()])),
    copilot: notYet("copilot"),
  })
  .superRefine(exactlyOne(keys, "provider"))
  .meta({ id: "AIProvider" });

const builtinNames = PROVIDERS.flatMap((p) => p.llmNames);
const presetNames = Object.keys(PRESETS);

export const LlmProviderRef = z
  .union(
    [
      z.enum(builtinNames as [string, ...string[]]).meta({ id: "BuiltinProvider" }),
      z.enum(presetNames as [string, ...string[]]).meta({ id: "ProviderPreset" }),
      z.strictObject({ reference: z.string().min(1) }),
      z.strictObject({ custom: CustomConfig }),
      z.strictObject({ copilot: notYet("copilot") }),
    ],
    {
      error: `expected a provider: ${builtinNames.filter((n) => n !== "openAI").join(", ")}, a preset (${presetNames.join(", ")}), {reference: name} or {custom: {formats: [...]}}`,
    },
  )
  .meta({ id: "LlmProvider" });
