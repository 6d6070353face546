/**
 * The stats endpoint (agentgateway's 15020): `GET /metrics` and `GET /stats/prometheus`, the
 * Prometheus text format, or OpenMetrics text when the scraper's `Accept` asks for it.
 * Other paths answer 404 with an empty body, as agentgateway's.
 */
import type { Server } from "bun";
import type { ListenAddress } from "../config/model.ts";
import type { Logger } from "../telemetry/log.ts";
import type { Registry } from "../telemetry/metrics/registry.ts";
import { serveDefaults } from "./serve-defaults.ts";

const TEXT = "text/plain; version=0.0.4; charset=utf-8";
const OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

export function startStats(addr: ListenAddress, registry: Registry, logger: Logger): Server<undefined> {
  return Bun.serve({
    port: addr.port,
    hostname: addr.hostname,
    ...serveDefaults("metrics", logger),
    fetch(req) {
      const path = new URL(req.url).pathname;
      if (path !== "/metrics" && path !== "/stats/prometheus") return new Response(null, { status: 404 });
      if (req.method !== "GET" && req.method !== "HEAD") return new Response(null, { status: 405 });
      const openMetrics = wantsOpenMetrics(req.headers.get("accept"));
      return new Response(registry.render(openMetrics), { headers: { "content-type": openMetrics ? OPEN_METRICS : TEXT } });
    },
  });
}

/** OpenMetrics when the Accept header lists it with a weight above the plain text format's. */
export function wantsOpenMetrics(accept: string | null): boolean {
  if (!accept?.includes("application/openmetrics-text")) return false;
  const weight = (type: string) => {
    for (const part of accept.split(",")) {
      const [media, ...params] = part.trim().split(";");
      if (media?.trim() !== type) continue;
      const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
      return q ? Number(q.slice(2)) : 1;
    }
    return -1;
  };
  return weight("application/openmetrics-text") >= Math.max(weight("text/plain"), 0);
}
