/**
 * Which provider serves an LLM request, and what happens when it cannot: the candidates in
 * order (groups are priority levels; inside a group the order is shuffled, so load spreads), and
 * one loop that tries them until one gives an answer to present. The loop decides before anything
 * reaches the client, so nothing is ever sent twice; after the first byte there is no failover.
 *
 * What moves a request on to the next candidate is one function (`failsOver`): today an upstream
 * that cannot be reached at all (nothing was sent). Retries, eviction of unhealthy providers and
 * failover on 429/5xx plug in here.
 */
import type { AiBackend, ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import type { RequestContext } from "../server/context.ts";

/** The candidates of an `ai` backend: groups in priority order, each group's members shuffled. */
export function candidates(backend: AiBackend, random: () => number): ProviderTarget[] {
  const out: ProviderTarget[] = [];
  for (const group of backend.groups) {
    if (group.length <= 1) {
      out.push(...group);
      continue;
    }
    const g = [...group];
    for (let i = g.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [g[i], g[j]] = [g[j]!, g[i]!];
    }
    out.push(...g);
  }
  if (out.length === 0) throw new HttpError(503, `ai backend '${backend.name}' has no usable provider`, { code: "no_healthy_backend" });
  return out;
}

/**
 * Tries `attempt` on each candidate in turn. An attempt either resolves (the answer to present:
 * success or the provider's error) or throws; a failure `failsOver` allows moves on while there
 * is another candidate, anything else reaches the client.
 */
export async function firstAnswer(ctx: RequestContext, targets: readonly ProviderTarget[], attempt: (target: ProviderTarget) => Promise<Response>): Promise<Response> {
  if (targets.length === 1) return attempt(targets[0]!); // nothing to fail over to: no extra frame
  for (let i = 0; ; i++) {
    const target = targets[i]!;
    try {
      return await attempt(target);
    } catch (err) {
      if (i === targets.length - 1 || !failsOver(err) || ctx.signal.aborted) throw err;
    }
  }
}

/** Nothing reached the provider: another one may serve the same request. */
function failsOver(err: unknown): boolean {
  return err instanceof HttpError && err.code === "upstream_unreachable";
}
