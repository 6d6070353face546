/** The readiness endpoint (agentgateway's `/healthz/ready` on 15021): 200 once the binds listen. */
import type { Server } from "bun";
import type { ListenAddress } from "../config/model.ts";
import type { Logger } from "../telemetry/log.ts";
import { serveDefaults } from "./serve-defaults.ts";

export function startReadiness(addr: ListenAddress, ready: () => boolean, logger: Logger): Server<undefined> {
  return Bun.serve({
    port: addr.port,
    hostname: addr.hostname,
    ...serveDefaults("readiness", logger),
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path !== "/healthz/ready") return new Response("not found\n", { status: 404 });
      if (req.method !== "GET" && req.method !== "HEAD") return new Response("method not allowed\n", { status: 405 });
      return ready() ? new Response("ready\n") : new Response("not ready, pending: binds\n", { status: 500 });
    },
  });
}
