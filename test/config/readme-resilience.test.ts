/** Every config in the README's failover and shaping/guarding sections loads as written. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatIssues } from "../../src/config/errors.ts";
import { loadConfigText } from "../../src/config/load.ts";

const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Failover, retries and health"), readme.indexOf("## Provider notes"));
const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const env = { OPENAI_API_KEY: "sk-x", ANTHROPIC_API_KEY: "sk-ant-x", READINESS_ADDR: "off", AWS_REGION: "us-east-1" };

describe("README: failover, shaping and guards", () => {
  test("an example for each feature", () => {
    expect(blocks.length).toBe(4);
    for (const f of ["retry:", "health:", "groups:", "virtualModels:", "weighted:", "failover:", "prompts:", "promptCaching:", "modelAliases:", "promptGuard:", "webhook:", "openAIModeration:", "bedrockGuardrails:", "googleModelArmor:", "azureContentSafety:", "requestHeaderModifier:", "responseHeaderModifier:"]) {
      expect(section).toContain(f);
    }
  });
  test.each(blocks.map((b, i) => [i, b] as const))("example %d loads", (_i, yaml) => {
    const loaded = loadConfigText(yaml, "README.md", { env });
    if (!loaded.ok) throw new Error(formatIssues(loaded.errors));
  });
});
