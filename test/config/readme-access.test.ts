/** Every config in the README's "Access control and limits" section loads as written. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { formatIssues } from "../../src/config/errors.ts";
import { loadConfigText } from "../../src/config/load.ts";

const readme = readFileSync(join(import.meta.dir, "../../README.md"), "utf8");
const section = readme.slice(readme.indexOf("## Access control and limits"), readme.indexOf("## Operations"));
const blocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const env = { REDIS_URL: "redis://127.0.0.1:1", TEAM_A_KEY: "sk-a", TEAM_B_KEY: "sk-b", OPENAI_API_KEY: "sk-x", READINESS_ADDR: "off" };
const files: Record<string, string> = {
  "/docs/htpasswd": "alice:$apr1$r31Aa0Zb$Uvb4kHFbuEa1Px3uOkATw.\n",
  "/docs/prices.json": '{"providers":{"openai":{"models":{"gpt-4o":{"rates":{"input":"2.5","output":"10"}}}}}}',
};

describe("README: access control and limits", () => {
  test("the section has an example per policy", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const p of ["apiKey", "extAuthz", "jwtAuth", "basicAuth", "cors", "authorization", "localRateLimit", "budgets", "redis"]) expect(section).toContain(`${p}:`);
  });
  test.each(blocks.map((b, i) => [i, b] as const))("example %d loads", (_i, yaml) => {
    const loaded = loadConfigText(yaml, "README.md", { env, baseDir: "/docs", readFile: (p) => files[p] ?? (() => { throw Object.assign(new Error("ENOENT"), { code: "ENOENT" }); })() });
    if (!loaded.ok) throw new Error(formatIssues(loaded.errors));
  });
});
