/**
 * Which provider serves an LLM request, and what happens when it cannot: the candidates in
 * order (groups are priority levels; inside a group a random order, so load spreads), and one
 * loop that tries them until one gives an answer to present. The loop decides before anything
 * reaches the client, so nothing is ever sent twice; after the first byte there is no failover.
 *
 * What moves a request on (failover on 429, 5xx, connection failures and timeouts, retries,
 * eviction of unhealthy providers) is src/llm/failover/: loop.ts (the loop), health.ts
 * (eviction), order.ts (the order), retry-hints.ts (what providers' retry headers ask).
 */
import type { AiBackend, ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import type { RequestContext } from "../server/context.ts";
import { runCandidates, type Attempt } from "./failover/loop.ts";
import { equalWeights, orderCandidates, type WeightedTarget } from "./failover/order.ts";

/** Each backend's groups as weighted targets, made once per config (not per request). */
const weighted = new WeakMap<AiBackend, WeightedTarget[][]>();

/** The candidates of an `ai` backend: groups in priority order, each group's members shuffled. */
export function candidates(backend: AiBackend, random: () => number): ProviderTarget[] {
  let groups = weighted.get(backend);
  if (!groups) weighted.set(backend, (groups = equalWeights(backend.groups)));
  const out = orderCandidates(groups, random);
  if (out.length === 0) throw new HttpError(503, `ai backend '${backend.name}' has no usable provider`, { code: "no_healthy_backend" });
  return out;
}

/**
 * Tries `attempt(ctx, target, arg)` on each candidate in turn. An attempt either resolves (the
 * answer to present: success or the provider's error) or throws; src/llm/failover/loop.ts decides
 * what moves on. The answer names its provider in `x-agw-provider`. (`arg` rather than a closure
 * over it: the chat attempt is a module-level function, one closure fewer on every request.)
 */
export function firstAnswer<A>(ctx: RequestContext, targets: readonly ProviderTarget[], attempt: Attempt<A>, arg: A): Promise<Response> {
  return runCandidates(ctx, targets, attempt, arg);
}
