/**
 * `bun run demo` as a new user runs it, on a machine where port 3000 is already taken (dev
 * servers commonly hold it): it must still run every snippet, on a port of its own.
 */
import { expect, test } from "bun:test";
import { resolve } from "node:path";

test("the demo runs every snippet even when port 3000 is taken", async () => {
  let holder: ReturnType<typeof Bun.serve> | undefined;
  try {
    holder = Bun.serve({ port: 3000, hostname: "::", fetch: () => new Response("a dev server") });
  } catch {
    // something else already holds 3000: the situation under test
  }
  try {
    const proc = Bun.spawn([process.execPath, "examples/demo.ts"], { cwd: resolve(import.meta.dir, "../.."), stdout: "pipe", stderr: "pipe" });
    const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
    expect(code).toBe(0);
    const m = /through the gateway on http:\/\/localhost:(\d+)\/v1/.exec(out);
    expect(m).not.toBeNull();
    expect(m![1]).not.toBe("3000");
    expect(out).toContain("port 3000 is in use");
    expect(out).toContain("tool call: get_weather(");
    expect(out).toMatch(/\(1536 dimensions\)/);
    expect(out).toContain("gpt-4o-mini");
  } finally {
    holder?.stop(true);
  }
}, 30_000);
