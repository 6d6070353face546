/** Every whole config in the agent pages (docs/agents/*.md) loads, and the partial ones load in place of the first's backend. */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatIssues } from "../../src/config/errors.ts";
import { loadConfigText } from "../../src/config/load.ts";

const dir = join(import.meta.dir, "../../docs/agents");
const env = { GEMINI_API_KEY: "k", VLLM_API_KEY: "k", READINESS_ADDR: "off" };

for (const file of readdirSync(dir)) {
  describe(`docs/agents/${file}`, () => {
    const blocks = [...readFileSync(join(dir, file), "utf8").matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const whole = blocks.filter((b) => /^(binds|llm):/m.test(b));
    test("has a whole config", () => expect(whole.length).toBeGreaterThan(0));
    blocks.forEach((block, i) => {
      test(`config ${i + 1} loads`, () => {
        // a partial block is one backend: put it in the first whole config's place
        const text = whole.includes(block) ? block : whole[0]!.replace(/      - ai:[\s\S]*$/, block.replace(/^#.*\n/gm, ""));
        const loaded = loadConfigText(text, file, { env });
        if (!loaded.ok) throw new Error(formatIssues(loaded.errors));
        expect(loaded.ok).toBe(true);
      });
    });
  });
}
