/**
 * The serving process outlives its own bugs. Bun ends a process on a promise rejection nobody
 * handles and on an exception thrown from a timer or an event callback (measured, Bun 1.4.5:
 * exit code 1 within the same event-loop turn). For a gateway that means one faulty exchange
 * cuts every other client's stream. Once the gateway serves, such a fault is logged (an error
 * line that says it is a bug, with the error's name, message and where it was thrown) and the
 * process goes on, as agentgateway's (a panic ends one task) and Envoy's would. Before serving,
 * the default stays: a gateway that cannot start should exit.
 */
import type { Logger } from "../telemetry/log.ts";

/** at most one line per kind and interval: a fault on every request must not flood the log */
const LOG_EVERY_MS = 10_000;
const MAX_MESSAGE = 300;
/** frames of the stack kept (the first few say where; the rest is the runtime's) */
const MAX_FRAMES = 4;

export interface FaultGuard {
  /** faults caught since the guard was installed */
  readonly count: number;
  /** removes the handlers (tests) */
  remove(): void;
}

export function guardProcess(logger: Logger, now: () => number = Date.now): FaultGuard {
  let count = 0;
  /** each kind of fault is logged at most once an interval, with how many were not logged since */
  const caught = (kind: string) => {
    let lastLogged = -Infinity;
    let unlogged = 0;
    return (fault: unknown) => {
      count++;
      const t = now();
      if (t - lastLogged < LOG_EVERY_MS) {
        unlogged++;
        return;
      }
      lastLogged = t;
      logger.error(`${kind} (a gateway bug, please report it): logged, the gateway keeps serving`, {
        ...describeFault(fault),
        ...(unlogged > 0 ? { notLoggedSinceLast: unlogged } : {}),
      });
      unlogged = 0;
    };
  };
  const onRejection = caught("a promise rejected with no handler");
  const onException = caught("an uncaught exception");
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return {
    get count() {
      return count;
    },
    remove() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onException);
    },
  };
}

/**
 * What a log line may say about a fault: its name, its message (anything shaped like a credential
 * masked, since a message can quote a header or a URL; then shortened) and the top of its stack.
 */
export function describeFault(fault: unknown): { error: string; at?: string } {
  if (!(fault instanceof Error)) return { error: clip(maskCredentials(String(fault))) };
  const frames = (fault.stack ?? "")
    .split("\n")
    .filter((l) => /^\s+at /.test(l))
    .slice(0, MAX_FRAMES)
    .map((l) => l.trim().slice(3));
  return { error: `${fault.name}: ${clip(maskCredentials(fault.message))}`, ...(frames.length > 0 ? { at: frames.join(" < ") } : {}) };
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}...` : s;
}

/** bearer and basic credentials, provider key shapes, and `key=`/`token:` style values */
const CREDENTIALS: [RegExp, string][] = [
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, "$1 [redacted]"],
  [/\b(?:sk|pk|rk)[-_][A-Za-z0-9_-]{8,}|\b(?:AKIA|ASIA)[A-Z0-9]{16}\b|\bAIza[0-9A-Za-z_-]{30,}|\bxox[abp]-[A-Za-z0-9-]{8,}/g, "[redacted]"],
  [/\b((?:api[-_]?)?key|token|secret|password|signature|sig|x-api-key|authorization)(["']?\s*[=:]\s*["']?)(?!Bearer\b|Basic\b|\[redacted\])[^\s"'&,;]+/gi, "$1$2[redacted]"],
];

export function maskCredentials(s: string): string {
  for (const [shape, mask] of CREDENTIALS) s = s.replace(shape, mask);
  return s;
}
