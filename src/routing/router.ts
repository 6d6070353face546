/**
 * Route selection with agentgateway's (Gateway API) precedence, compiled once per config:
 *   hostname: exact > longest wildcard suffix > routes without hostnames; then, per match entry,
 *   exact path > prefix path > regex path; longer path; method present; more headers; more query
 *   params; then config order.
 * Prefix matching is per path segment (`/v1` matches `/v1` and `/v1/x`, not `/v10`); regexes must
 * match the whole path.
 */
import type { RawRouteMatch } from "../config/schema.ts";
import type { RouteConfig } from "../config/model.ts";
import { hostnameMatches, isWildcard } from "./hostname.ts";

export interface RequestInfo {
  method: string;
  path: string;
  /** raw query string without `?` ("" when none) */
  query: string;
  /** lower-case host without port */
  host: string;
  headers: Headers;
}

/** The route a request matched, and the path prefix of the match entry that took it (for `urlRewrite`). */
export interface RouteMatch {
  readonly route: RouteConfig;
  /** the entry's `pathPrefix` without trailing "/" ("" for "/"), or its `exact` path; undefined for a regex */
  readonly matchedPrefix: string | undefined;
}

export interface Router {
  match(req: RequestInfo): RouteMatch | undefined;
  readonly routes: readonly RouteConfig[];
}

type ValueTest = (value: string) => boolean;

interface Candidate {
  route: RouteConfig;
  /** what a hit returns (one object per match entry: nothing allocated per request) */
  hit: RouteMatch;
  order: number;
  rank: [number, number, number, number, number];
  test(req: RequestInfo): boolean;
}

export interface RouteInput {
  route: RouteConfig;
  hostnames: readonly string[];
  matches: readonly RawRouteMatch[] | undefined;
}

/** Compiles routes; throws `Error` with a readable message for an invalid regex. */
export function compileRouter(inputs: readonly RouteInput[]): Router {
  const exact = new Map<string, Candidate[]>();
  const wildcards: { pattern: string; candidates: Candidate[] }[] = [];
  const any: Candidate[] = [];
  let order = 0;

  for (const input of inputs) {
    const matches = input.matches && input.matches.length > 0 ? input.matches : [{ path: { pathPrefix: "/" } }];
    const candidates = matches.map((m) => compileMatch(input.route, m, order++));
    if (input.hostnames.length === 0) {
      any.push(...candidates);
      continue;
    }
    for (const raw of input.hostnames) {
      const host = raw.toLowerCase();
      if (isWildcard(host)) {
        let group = wildcards.find((w) => w.pattern === host);
        if (!group) wildcards.push((group = { pattern: host, candidates: [] }));
        group.candidates.push(...candidates);
      } else {
        const list = exact.get(host) ?? [];
        list.push(...candidates);
        exact.set(host, list);
      }
    }
  }

  for (const list of exact.values()) list.sort(byPrecedence);
  for (const w of wildcards) w.candidates.sort(byPrecedence);
  any.sort(byPrecedence);
  wildcards.sort((a, b) => b.pattern.length - a.pattern.length);

  const routes = inputs.map((i) => i.route);
  const single = exact.size === 0 && wildcards.length === 0 && any.length === 1 ? any[0] : undefined;

  return {
    routes,
    match(req) {
      if (single) return single.test(req) ? single.hit : undefined;
      const groups: Candidate[][] = [];
      const ex = exact.get(req.host);
      if (ex) groups.push(ex);
      for (const w of wildcards) if (hostnameMatches(w.pattern, req.host)) groups.push(w.candidates);
      groups.push(any);
      for (const group of groups) {
        for (const c of group) if (c.test(req)) return c.hit;
      }
      return undefined;
    },
  };
}

function byPrecedence(a: Candidate, b: Candidate): number {
  for (let i = 0; i < a.rank.length; i++) {
    const d = b.rank[i]! - a.rank[i]!;
    if (d !== 0) return d;
  }
  return a.order - b.order;
}

function compileMatch(route: RouteConfig, m: RawRouteMatch, order: number): Candidate {
  const path = m.path ?? { pathPrefix: "/" };
  let pathTest: ValueTest;
  let pathRank: number;
  let pathLen: number;
  let matchedPrefix: string | undefined;
  if (path.exact !== undefined) {
    const want = path.exact;
    pathTest = (p) => p === want;
    pathRank = 3;
    pathLen = want.length;
    matchedPrefix = want;
  } else if (path.pathPrefix !== undefined) {
    const prefix = path.pathPrefix.replace(/\/+$/, "");
    pathTest = prefix === "" ? () => true : (p) => p.startsWith(prefix) && (p.length === prefix.length || p[prefix.length] === "/");
    pathRank = 2;
    pathLen = path.pathPrefix.length;
    matchedPrefix = prefix;
  } else {
    const re = fullRegex(path.regex!);
    pathTest = (p) => re.test(p);
    pathRank = 1;
    pathLen = path.regex!.length;
  }

  const method = m.method?.toUpperCase();
  const headers = (m.headers ?? []).map((h) => [h.name.toLowerCase(), valueTest(h.value)] as const);
  const query = (m.query ?? []).map((q) => [q.name, valueTest(q.value)] as const);

  return {
    route,
    hit: { route, matchedPrefix },
    order,
    rank: [pathRank, pathLen, method ? 1 : 0, headers.length, query.length],
    test(req) {
      if (!pathTest(req.path)) return false;
      if (method !== undefined && req.method !== method) return false;
      for (const [name, test] of headers) {
        const v = headerValue(req, name);
        if (v === null || !test(v)) return false;
      }
      if (query.length > 0) {
        const params = queryParams(req.query);
        for (const [name, test] of query) {
          const v = params.get(name);
          if (v === null || !test(v)) return false;
        }
      }
      return true;
    },
  };
}

/*
 * The query parsed once for all the candidates one match tries: the last one parsed is kept
 * (matching is synchronous), so a request whose routes test no query parameter parses nothing,
 * and nothing is made per request for the laziness (a closure and its scope were).
 */
let lastQuery: string | undefined;
let lastParams = new URLSearchParams();

function queryParams(raw: string): URLSearchParams {
  if (raw !== lastQuery) {
    lastParams = new URLSearchParams(raw);
    lastQuery = raw;
  }
  return lastParams;
}

function headerValue(req: RequestInfo, name: string): string | null {
  switch (name) {
    case ":method":
      return req.method;
    case ":path":
      return req.query === "" ? req.path : `${req.path}?${req.query}`;
    case ":authority":
      return req.host;
    default:
      return req.headers.get(name);
  }
}

function valueTest(v: { exact?: string | undefined; regex?: string | undefined }): ValueTest {
  if (v.exact !== undefined) {
    const want = v.exact;
    return (x) => x === want;
  }
  const re = fullRegex(v.regex!);
  return (x) => re.test(x);
}

export function fullRegex(source: string): RegExp {
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    throw new Error(`invalid regex ${JSON.stringify(source)}: ${(err as Error).message}`);
  }
}
