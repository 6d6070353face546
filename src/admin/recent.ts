/**
 * The admin page's live view: the last finished exchanges, kept in a ring buffer by an outcome
 * listener, and pushed to every open `/api/requests/stream` (server-sent events). An entry holds
 * what the access log holds (no prompt, no completion, no credential).
 */
import type { ExchangeOutcome, OutcomeListener } from "../telemetry/outcome.ts";

export interface RecentRequest {
  id: number;
  /** ISO time the exchange ended */
  time: string;
  method: string;
  path: string;
  listener?: string;
  route?: string;
  provider?: string;
  endpoint?: string;
  requestModel?: string;
  responseModel?: string;
  status?: number;
  errorKind?: string;
  error?: string;
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  reasoningTokens?: number;
  /** USD, when the model has a price */
  cost?: number;
  costStatus?: string;
  durationMs?: number;
  ttftMs?: number;
  attempts: number;
  traceId?: string;
}

export interface RecentRequests {
  readonly listener: OutcomeListener;
  list(): RecentRequest[];
  /** calls `fn` with every new entry until the returned function is called */
  subscribe(fn: (r: RecentRequest) => void): () => void;
}

export function recentRequests(capacity = 200, now: () => number = Date.now): RecentRequests {
  const ring: RecentRequest[] = [];
  let next = 1;
  const subscribers = new Set<(r: RecentRequest) => void>();
  return {
    listener(o) {
      const entry = summarize(o, next++, now());
      if (ring.length >= capacity) ring.shift();
      ring.push(entry);
      for (const fn of subscribers) fn(entry);
    },
    list: () => [...ring],
    subscribe(fn) {
      subscribers.add(fn);
      return () => void subscribers.delete(fn);
    },
  };
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 10) / 10;
}

function summarize(o: Readonly<ExchangeOutcome>, id: number, time: number): RecentRequest {
  const u = o.usage;
  return {
    id,
    time: new Date(time).toISOString(),
    method: o.method,
    path: o.path,
    listener: o.listener,
    route: o.route,
    provider: o.provider,
    endpoint: o.endpoint,
    requestModel: o.requestModel,
    responseModel: o.responseModel,
    status: o.status,
    errorKind: o.errorKind,
    error: o.error,
    inputTokens: u?.inputTokens,
    outputTokens: u?.outputTokens,
    cachedInputTokens: u?.cachedInputTokens,
    reasoningTokens: u?.reasoningTokens,
    cost: o.cost?.status === "Exact" ? o.cost.total : undefined,
    costStatus: o.cost?.status,
    durationMs: round(o.durationMs),
    ttftMs: round(o.firstByteMs),
    attempts: o.attempts,
    traceId: o.trace?.traceId,
  };
}
