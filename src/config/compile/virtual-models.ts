/**
 * `llm.virtualModels`: each target model resolved once against `llm.models` (most specific
 * entry first, any visibility: internal models exist for this), giving a provider target whose
 * upstream model is the entry's pinned `params.model`, else the target's name. Weighted targets
 * are one group drawn by weight; failover targets are groups by priority, lowest first. Either
 * way every target is a fallback for the others (the candidate loop, src/llm/failover/).
 * Conditional targets are routes of one target each, with their compiled `when`.
 */
import { celField } from "../../cel/index.ts";
import type { WeightedTarget } from "../../llm/failover/order.ts";
import type { YamlPath } from "../errors.ts";
import type { LlmModelEntry, ProviderTarget, VirtualModel, VirtualRoute } from "../model.ts";
import type { RawLlmVirtualModel } from "../schema/llm-virtual.ts";
import type { CompileContext } from "./context.ts";

export function compileVirtualModels(ctx: CompileContext, raw: readonly RawLlmVirtualModel[], models: readonly LlmModelEntry[]): Map<string, VirtualModel> {
  const out = new Map<string, VirtualModel>();
  for (const [i, vm] of raw.entries()) {
    const path: YamlPath = ["llm", "virtualModels", i];
    if (out.has(vm.name)) ctx.issue([...path, "name"], `duplicate virtual model '${vm.name}'`);
    const resolve = (model: string, at: YamlPath): ProviderTarget | undefined => {
      const entry = models.find((m) => m.matches(model));
      if (!entry) ctx.issue(at, `virtual model target '${model}' matches no entry of llm.models`);
      // the same provider target (and health) with the target's model as the upstream model
      return entry && { ...entry.target, model: entry.target.model ?? model };
    };
    const routes = vm.routing.conditional ? conditionalRoutes(ctx, vm.routing.conditional.targets, resolve, [...path, "routing", "conditional", "targets"]) : unconditional(targetGroups(vm.routing, resolve, [...path, "routing"]));
    const first = routes[0]?.groups[0]?.[0]?.target;
    if (!first) continue;
    const listing: LlmModelEntry = { name: vm.name, matches: (m) => m === vm.name, headerMatches: [], visibility: "public", target: first };
    out.set(vm.name, { name: vm.name, routes, listing });
  }
  return out;
}

function unconditional(groups: WeightedTarget[][] | undefined): VirtualRoute[] {
  return groups && groups.length > 0 ? [{ when: undefined, groups }] : [];
}

function conditionalRoutes(
  ctx: CompileContext,
  targets: readonly { when?: string | null | undefined; model: string }[],
  resolve: (model: string, at: YamlPath) => ProviderTarget | undefined,
  path: YamlPath,
): VirtualRoute[] {
  const routes: VirtualRoute[] = [];
  for (const [i, t] of targets.entries()) {
    const target = resolve(t.model, [...path, i, "model"]);
    const when = t.when ? celField(ctx, t.when, [...path, i, "when"]) : undefined;
    if (target) routes.push({ when, groups: [[{ target, weight: 1 }]] });
  }
  return routes;
}

function targetGroups(
  routing: RawLlmVirtualModel["routing"],
  resolve: (model: string, at: YamlPath) => ProviderTarget | undefined,
  path: YamlPath,
): WeightedTarget[][] | undefined {
  if (routing.weighted) {
    const group: WeightedTarget[] = [];
    for (const [i, t] of routing.weighted.targets.entries()) {
      const target = resolve(t.model, [...path, "weighted", "targets", i, "model"]);
      if (target) group.push({ target, weight: t.weight ?? 1 });
    }
    return [group];
  }
  if (routing.failover) {
    const byPriority = new Map<number, WeightedTarget[]>();
    for (const [i, t] of routing.failover.targets.entries()) {
      const target = resolve(t.model, [...path, "failover", "targets", i, "model"]);
      if (!target) continue;
      const group = byPriority.get(t.priority) ?? [];
      group.push({ target, weight: 1 });
      byPriority.set(t.priority, group);
    }
    return [...byPriority.entries()].sort((a, b) => a[0] - b[0]).map(([, g]) => g);
  }
  return undefined;
}
