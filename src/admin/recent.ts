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

/**
 * The listener runs for every exchange while the admin address is on (the default), and the page
 * is looked at rarely: an entry keeps its end time as a number and is turned into the API's shape
 * (an ISO time) only when listed or sent to a live view, and the ring is an array written in
 * place (no Date, ISO string or shift of 200 entries a request).
 */
export function recentRequests(capacity = 200, now: () => number = Date.now): RecentRequests {
  const ring: Entry[] = [];
  /** where the next entry goes once the ring is full (the oldest entry) */
  let oldest = 0;
  let next = 1;
  const subscribers = new Set<(r: RecentRequest) => void>();
  return {
    listener(o) {
      const entry = summarize(o, next++, now());
      if (ring.length < capacity) ring.push(entry);
      else {
        ring[oldest] = entry;
        oldest = (oldest + 1) % capacity;
      }
      if (subscribers.size === 0) return;
      const shown = recentRequest(entry);
      for (const fn of subscribers) fn(shown);
    },
    list: () => [...ring.slice(oldest), ...ring.slice(0, oldest)].map(recentRequest),
    subscribe(fn) {
      subscribers.add(fn);
      return () => void subscribers.delete(fn);
    },
  };
}

/** An entry as kept: its end time as ms since the epoch. */
type Entry = Omit<RecentRequest, "time"> & { ended: number };

function recentRequest(e: Entry): RecentRequest {
  const { id, ended, ...rest } = e;
  return { id, time: new Date(ended).toISOString(), ...rest };
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 10) / 10;
}

function summarize(o: Readonly<ExchangeOutcome>, id: number, ended: number): Entry {
  const u = o.usage;
  return {
    id,
    ended,
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
