/**
 * Writes (or checks) `schema/config.json`, the editor schema generated from the zod schema.
 *   bun src/config/schema-gen.ts --write | --check
 */
import { z } from "zod";
import { ConfigSchema } from "./schema.ts";

export function generateJsonSchema(): string {
  const json = z.toJSONSchema(ConfigSchema, { target: "draft-2020-12", io: "input", unrepresentable: "any" });
  return `${JSON.stringify(json, null, 2)}\n`;
}

if (import.meta.main) {
  const path = new URL("../../schema/config.json", import.meta.url).pathname;
  const fresh = generateJsonSchema();
  if (process.argv.includes("--check")) {
    const file = Bun.file(path);
    const current = (await file.exists()) ? await file.text() : "";
    if (current !== fresh) {
      console.error("schema/config.json is stale: run `bun run schema` and commit the result");
      process.exit(1);
    }
    console.log("schema/config.json is up to date");
  } else {
    await Bun.write(path, fresh);
    console.log(`wrote ${path}`);
  }
}
