/**
 * The start-up warning for a gateway still capped at Bun's 256 upstream requests (where it
 * cannot restart itself: Windows, or a failed exec). The restart itself is tested end to end in
 * test/e2e/upstream-concurrency.test.ts.
 */
import { afterEach, expect, test } from "bun:test";
import { startupWarning, UPSTREAM_REQUESTS_VAR } from "../../src/server/upstream-request-limit.ts";

const before = process.env[UPSTREAM_REQUESTS_VAR];
afterEach(() => {
  if (before === undefined) delete process.env[UPSTREAM_REQUESTS_VAR];
  else process.env[UPSTREAM_REQUESTS_VAR] = before;
});

test("without the variable the warning names it and the value that lifts the cap", () => {
  delete process.env[UPSTREAM_REQUESTS_VAR];
  expect(startupWarning()).toBe("at most 256 upstream requests can be in flight at once (Bun's default); set BUN_CONFIG_MAX_HTTP_REQUESTS=65535 in the environment to lift it");
});

test("with the variable set (by the restart or by the operator) nothing is said", () => {
  process.env[UPSTREAM_REQUESTS_VAR] = "512";
  expect(startupWarning()).toBeUndefined();
});
