/**
 * Lifts Bun's cap on upstream requests in flight. Bun's `fetch` sends at most 256 requests at
 * once per process (`BUN_CONFIG_MAX_HTTP_REQUESTS`); the 257th waits in Bun's queue until one of
 * them ends. For a gateway whose streams last seconds to minutes that is a silent cap on
 * concurrent users: the 257th client's request does not even reach its provider until some other
 * stream finishes. Bun reads the variable once, as the runtime starts, so setting it from
 * JavaScript (`process.env`, or libc's `setenv`) comes too late; instead the process replaces
 * itself (`execve`: the same pid, arguments, environment and open stdin) with the variable at
 * Bun's maximum, before any other module of the gateway is evaluated. An operator's own value is
 * kept. Windows has no in-place exec: there the gateway logs how to set it (`startupWarning`).
 * src/main.ts calls it through its first import (lift-upstream-limit.ts).
 */

export const UPSTREAM_REQUESTS_VAR = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Bun's maximum: the operating system's file descriptors are then the limit, as for agentgateway */
export const UPSTREAM_REQUESTS_MAX = "65535";

/** Commands that serve nothing (and `--healthcheck`, which a container runs every few seconds): no restart for them. */
const NOT_SERVING = new Set(["-V", "--version", "-h", "--help", "--validate-only", "--healthcheck"]);

/**
 * Runs the same command again with the limit lifted; returns only when that is not needed or not
 * possible here. (The restart costs 25-30 ms before the gateway is ready: measured in
 * docs/operations.md.)
 */
export function reexecWithoutLimit(): void {
  if (process.env[UPSTREAM_REQUESTS_VAR] !== undefined || process.platform === "win32" || typeof process.execve !== "function") return;
  const userArgs = process.argv.slice(2);
  if (userArgs.some((a) => NOT_SERVING.has(a))) return;
  // a compiled binary's argv[1] is its embedded entry point (`/$bunfs/root/...`), not an argument
  const compiled = Bun.main.startsWith("/$bunfs/");
  const args = compiled ? [process.execPath, ...userArgs] : [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  try {
    process.execve(process.execPath, args, { ...process.env, [UPSTREAM_REQUESTS_VAR]: UPSTREAM_REQUESTS_MAX });
  } catch {
    // (a binary on a noexec mount, a sandbox without execve): serve with Bun's default, and say so
  }
}

/** Said once at start-up when upstream requests are still capped at Bun's default. */
export function startupWarning(): string | undefined {
  if (process.env[UPSTREAM_REQUESTS_VAR] !== undefined) return undefined;
  return `at most 256 upstream requests can be in flight at once (Bun's default); set ${UPSTREAM_REQUESTS_VAR}=${UPSTREAM_REQUESTS_MAX} in the environment to lift it`;
}
