/**
 * The config watcher: an edit made after the config was loaded but before watching began (a
 * gateway still starting) is reported, and one content is reported once.
 */
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { watchConfigFile } from "../../src/config/watch.ts";
import { eventually } from "../helpers/gateway.ts";

test("an edit made before watching began is reported once; a later edit too", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "agw-watch-")), "config.yaml");
  writeFileSync(file, "binds: []\n# edited while starting\n");
  const seen: string[] = [];
  const stop = watchConfigFile(file, "binds: []\n", (text) => seen.push(text), 20);
  try {
    await eventually(() => seen.length === 1 || undefined, 3000, "the early edit was not reported");
    expect(seen[0]).toBe("binds: []\n# edited while starting\n");
    writeFileSync(file, "binds: []\n# later\n");
    await eventually(() => seen.length === 2 || undefined, 5000, "the later edit was not reported");
    expect(seen[1]).toBe("binds: []\n# later\n");
  } finally {
    stop();
  }
});
