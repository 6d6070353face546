/**
 * The read-only view of every provider target's health, for the admin page and metrics:
 *
 *   providerHealth(gateway.config, performance.now())  // one entry per provider target
 *
 * `now` must be on the same clock as the gateway's deps.now (performance.now by default).
 * Targets reached through several routes or virtual models are listed once.
 */
import type { GatewayConfig, ProviderTarget } from "../../config/model.ts";
import { healthView, type ProviderHealthView, type TargetHealth } from "./health.ts";

export type { ProviderHealthView } from "./health.ts";

export function providerHealth(config: GatewayConfig, now: number): ProviderHealthView[] {
  const seen = new Set<TargetHealth>();
  const out: ProviderHealthView[] = [];
  const add = (backend: string, t: ProviderTarget) => {
    if (seen.has(t.health)) return;
    seen.add(t.health);
    out.push(healthView(backend, t.name, t.provider.telemetryName, t.health, now));
  };
  for (const bind of config.binds.values()) {
    for (const listener of bind.listeners) {
      for (const route of listener.router.routes) {
        for (const { backend } of route.backends) {
          if (backend.kind === "ai") for (const group of backend.groups) for (const t of group) add(backend.name, t);
          else if (backend.kind === "llm") for (const m of backend.models) add(backend.name, m.target);
        }
      }
    }
  }
  return out;
}
