/**
 * The order in which a request tries its candidates: priority groups first to last; inside a
 * group, a weighted random order (each next member drawn with a probability proportional to its
 * weight among those left), so load spreads by weight and every member is still a fallback.
 * Randomness comes from deps.random, so tests pin the order exactly.
 */
import type { ProviderTarget } from "../../config/model.ts";

export interface WeightedTarget {
  target: ProviderTarget;
  /** > 0; members with weight 0 are never picked first, only as last resorts */
  weight: number;
}

/** Every member of `groups` once, in the order a request tries them. */
export function orderCandidates(groups: readonly (readonly WeightedTarget[])[], random: () => number): ProviderTarget[] {
  const out: ProviderTarget[] = [];
  for (const group of groups) {
    if (group.length === 1) out.push(group[0]!.target);
    else weightedOrder(group, random, out);
  }
  return out;
}

// (loops, not filter/reduce/splice: this runs on every request to a group of several members)
function weightedOrder(group: readonly WeightedTarget[], random: () => number, out: ProviderTarget[]): void {
  const left: WeightedTarget[] = [];
  let total = 0;
  for (const m of group) {
    if (m.weight <= 0) continue;
    left.push(m);
    total += m.weight;
  }
  while (left.length > 0) {
    let r = random() * total;
    let i = 0;
    while (i < left.length - 1 && r >= left[i]!.weight) r -= left[i++]!.weight;
    const picked = left[i]!;
    for (let j = i + 1; j < left.length; j++) left[j - 1] = left[j]!;
    left.length--;
    total -= picked.weight;
    out.push(picked.target);
  }
  for (const m of group) if (m.weight <= 0) out.push(m.target);
}

/** The groups of an `ai` backend (every provider weighs the same). */
export function equalWeights(groups: readonly (readonly ProviderTarget[])[]): WeightedTarget[][] {
  return groups.map((g) => g.map((target) => ({ target, weight: 1 })));
}
