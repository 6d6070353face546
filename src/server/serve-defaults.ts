/**
 * What every `Bun.serve` of the gateway shares. Production mode: in its development mode (the
 * default unless NODE_ENV=production, in the compiled binary too) Bun answers a handler's
 * uncaught error with a 50 KB HTML page carrying the error, its stack frames, file paths and the
 * working directory (measured on the admin address). Instead, a handler that threw answers a
 * plain 500 and the error is logged as the bug it is (described as the fault guard describes one).
 */
import type { Logger } from "../telemetry/log.ts";
import { describeFault } from "./fault-guard.ts";

const plainInternalError = () => new Response("internal error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });

/** `answer`: the 500 the server's clients read (the binds answer in the OpenAI error shape). */
export function serveDefaults(what: string, logger: Logger, answer: () => Response = plainInternalError): { development: false; error(err: Error): Response } {
  return {
    development: false,
    error(err) {
      logger.error(`${what}: a request failed (a gateway bug, please report it)`, describeFault(err));
      return answer();
    },
  };
}
