/**
 * The fault guard's log lines: what they say about a fault (name, masked message, where), and at
 * most one a kind per interval. (That a real fault mid-stream leaves the gateway serving is
 * test/e2e/process-faults.test.ts, in the gateway's own process.)
 */
import { afterEach, expect, test } from "bun:test";
import { describeFault, guardProcess, maskCredentials, type FaultGuard } from "../../src/server/fault-guard.ts";
import { createLogger } from "../../src/telemetry/log.ts";

let guard: FaultGuard | undefined;
afterEach(() => {
  guard?.remove();
  guard = undefined;
});

test("credentials in a fault's message are masked, whatever their shape", () => {
  const cases: [string, string][] = [
    ["authorization: Bearer sk-proj-abcdef123456", "authorization: Bearer [redacted]"],
    ["Basic dXNlcjpwYXNz rejected", "Basic [redacted] rejected"],
    ["POST https://generativelanguage.googleapis.com/v1beta/models/x?key=AIzaSyA1234567890abcdefghijklmnopqrstu failed", "POST https://generativelanguage.googleapis.com/v1beta/models/x?key=[redacted] failed"],
    ["keys sk-ant-api03-abcdefgh and AKIAIOSFODNN7EXAMPLE", "keys [redacted] and [redacted]"],
    [`{"api_key": "hunter2-secret", "x-api-key":"abc"}`, `{"api_key": "[redacted]", "x-api-key":"[redacted]"}`],
    ["password=hunter2&user=me", "password=[redacted]&user=me"],
  ];
  for (const [message, masked] of cases) expect(maskCredentials(message)).toBe(masked);
  // words that only look like the start of a key stay
  expect(maskCredentials("skipping the rest: a keyboard token bucket")).toBe("skipping the rest: a keyboard token bucket");
});

test("a fault is described by its name, its message masked then shortened, and the top of its stack", () => {
  const err = new TypeError(`bad ${"x".repeat(400)} Bearer sk-live-0123456789`);
  const d = describeFault(err);
  expect(d.error.startsWith("TypeError: bad xxx")).toBe(true);
  expect(d.error.endsWith("...")).toBe(true);
  expect(d.error).not.toContain("sk-live");
  expect(d.at).toContain("fault-guard.test.ts");
  expect(describeFault("a string with token=abc")).toEqual({ error: "a string with token=[redacted]" });
});

test("each kind of fault is logged at most once in ten seconds, with how many were not", () => {
  let out = "";
  const logger = createLogger({ format: "json", level: "info", sink: { write: (b) => void (out += new TextDecoder().decode(b)) } });
  let now = 0;
  guard = guardProcess(logger, () => now);
  const rejected = Promise.resolve();
  for (let i = 0; i < 3; i++) process.emit("unhandledRejection", new Error(`rejection ${i}`), rejected);
  process.emit("uncaughtException", new Error("exception 0"));
  now = 10_000;
  process.emit("unhandledRejection", new Error("rejection 3"), rejected);
  logger.flush();
  const lines = out.trim().split("\n").map((l) => JSON.parse(l));
  expect(lines.map((l) => [l.level, l.message.split(" (")[0], l.error, l.notLoggedSinceLast])).toEqual([
    ["error", "a promise rejected with no handler", "Error: rejection 0", undefined],
    ["error", "an uncaught exception", "Error: exception 0", undefined],
    ["error", "a promise rejected with no handler", "Error: rejection 3", 2],
  ]);
  expect(guard.count).toBe(5);
});
