/**
 * How long a provider asks to be left alone, from its answer's headers (agentgateway reads the
 * same ones): `retry-after-ms`, `retry-after` (seconds or an HTTP date), `x-ratelimit-reset`
 * (seconds, or a Unix time when it is more than 30 days), else the soonest of OpenAI's
 * `x-ratelimit-reset-requests` / `-tokens` durations (`6m0s`, `1s`, `20ms`) and Anthropic's
 * `anthropic-ratelimit-*-reset` times. Undefined when the answer says nothing usable.
 */

const THIRTY_DAYS_S = 30 * 24 * 3600;
const RESET_DURATIONS = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens", "x-ratelimit-reset-requests-day", "x-ratelimit-reset-tokens-minute"];
const ANTHROPIC_RESETS = ["anthropic-ratelimit-requests-reset", "anthropic-ratelimit-tokens-reset", "anthropic-ratelimit-input-tokens-reset", "anthropic-ratelimit-output-tokens-reset"];

export function retryAfterMs(headers: Headers, wallClock: number): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Number(ms);
  const after = headers.get("retry-after");
  if (after !== null) {
    const v = after.trim();
    if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
    const at = Date.parse(v);
    if (!Number.isNaN(at)) return Math.max(0, at - wallClock);
  }
  const reset = headers.get("x-ratelimit-reset");
  if (reset !== null && /^\d+(\.\d+)?$/.test(reset.trim())) {
    const n = Number(reset);
    return n > THIRTY_DAYS_S ? Math.max(0, n * 1000 - wallClock) : n * 1000;
  }
  let soonest: number | undefined;
  const consider = (v: number | undefined) => {
    if (v !== undefined && (soonest === undefined || v < soonest)) soonest = v;
  };
  for (const name of RESET_DURATIONS) consider(goDuration(headers.get(name)));
  for (const name of ANTHROPIC_RESETS) {
    const v = headers.get(name);
    const at = v === null ? NaN : Date.parse(v);
    if (!Number.isNaN(at)) consider(Math.max(0, at - wallClock));
  }
  return soonest;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, "µs": 0.001, ns: 0.000001 };

/** A Go-style duration (`1m30s`, `6m0s`, `20ms`, `1.5s`) in ms; undefined when it is not one. */
export function goDuration(text: string | null): number | undefined {
  if (text === null) return undefined;
  const v = text.trim();
  if (!/^(\d+(\.\d+)?(h|ms|m|s|us|µs|ns))+$/.test(v)) return undefined;
  let total = 0;
  for (const [, n, u] of v.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)) total += Number(n) * UNIT_MS[u!]!;
  return total;
}
