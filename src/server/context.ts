/**
 * The context of one exchange, shared by the policy chain, the LLM layer and the plain proxy:
 * the normalised request, the route it matched, lazy access to the body (read once, within the
 * size limit) and to the model the client asked for, the cancellation signal, and the outcome
 * record. Time and randomness come from `deps`, so tests can pin them.
 */
import type { RouteConfig } from "../config/model.ts";
import type { ClientFormatName } from "../llm/formats/types.ts";
import type { RelayedSocket } from "./websocket.ts";
import { parseJsonObject, readBody } from "../http/body.ts";
import { modelFromPath } from "../llm/requested-model.ts";
import type { OutcomeRecorder } from "../telemetry/outcome.ts";

/** What the gateway takes from its environment, injectable for exact tests. */
export interface Deps {
  /** uniform in [0, 1): weighted picks, shuffles */
  random(): number;
  /** ms, monotonic (performance.now) */
  now(): number;
  /** ms since the epoch (Date.now): `created` timestamps, token expiry */
  wallClock(): number;
}

export const systemDeps: Deps = { random: Math.random, now: () => performance.now(), wallClock: Date.now };

export interface RequestContext {
  readonly req: Request;
  readonly method: string;
  /** normalised (see src/http/request-path.ts) */
  readonly path: string;
  /** raw query without `?` */
  readonly query: string;
  /** lower-case Host without port */
  readonly host: string;
  readonly route: RouteConfig;
  /** the path prefix (or exact path) the route matched the client's path by; undefined for a regex */
  readonly matchedPrefix: string | undefined;
  readonly deps: Deps;
  readonly outcome: OutcomeRecorder;
  /** ms of silence after which a stream gets a `: keep-alive` comment (undefined: off) */
  readonly streamKeepAliveMs: number | undefined;
  /** something configured for every exchange reads token usage (the access log's usage fields, metrics) */
  readonly usageWanted: boolean;
  /** aborts on client disconnect and on the deadlines policies set; policies may narrow it */
  signal: AbortSignal;
  /** each upstream call's own deadline (timeout.backendRequestTimeout), ms */
  backendTimeoutMs: number | undefined;
  /** the client's body, read once within the size limit */
  bytes(): Promise<Uint8Array>;
  /** true once the body was read (a passthrough then forwards those bytes, not the consumed stream) */
  readonly bodyRead: boolean;
  /** the bytes json() parsed, once it has: a caller forwarding them unchanged needs no await */
  readonly parsedBytes: Uint8Array | undefined;
  /** the client's body as a JSON object (400 when it is not one); parsed once */
  json(): Promise<Record<string, unknown>>;
  /** the model the client asked for: the native URL path's, else the JSON body's `model`; read once */
  model(): Promise<string | undefined>;
  /** the client's request is fully received: from now on silence is the upstream's, not the client's */
  requestSent(): void;
  /** values policies share with later ones (the caller's identity, token claims), by policy key */
  readonly vars: Map<string, unknown>;
  /** whose error shape the client reads, once the route type is known (else: by the path) */
  errorFormat: ClientFormatName | undefined;
  /** upgrades the request to a WebSocket relayed to an upstream socket (undefined: not possible here) */
  readonly upgrade: ((data: RelayedSocket, headers?: Record<string, string>) => boolean) | undefined;
  /** the client's address (CEL `source.*`), when the server knows it */
  source(): { address: string; port: number } | undefined;
}

export interface ContextInit {
  req: Request;
  path: string;
  query: string;
  host: string;
  route: RouteConfig;
  matchedPrefix?: string | undefined;
  deps: Deps;
  outcome: OutcomeRecorder;
  usageWanted: boolean;
  streamKeepAliveMs: number | undefined;
  maxBodyBytes: number;
  requestSent(): void;
  upgrade?: ((data: RelayedSocket, headers?: Record<string, string>) => boolean) | undefined;
  source?: () => { address: string; port: number } | null | undefined;
}

export function createContext(init: ContextInit): RequestContext {
  let bytes: Promise<Uint8Array> | undefined;
  let json: Promise<Record<string, unknown>> | undefined;
  let parsedBytes: Uint8Array | undefined;
  let model: Promise<string | undefined> | undefined;
  let vars: Map<string, unknown> | undefined;
  const ctx: RequestContext = {
    req: init.req,
    method: init.req.method,
    path: init.path,
    query: init.query,
    host: init.host,
    route: init.route,
    matchedPrefix: init.matchedPrefix,
    deps: init.deps,
    outcome: init.outcome,
    usageWanted: init.usageWanted,
    streamKeepAliveMs: init.streamKeepAliveMs,
    signal: init.req.signal,
    backendTimeoutMs: undefined,
    bytes: () => (bytes ??= readBody(init.req, init.maxBodyBytes)),
    get bodyRead() {
      return bytes !== undefined;
    },
    get parsedBytes() {
      return parsedBytes;
    },
    json: () =>
      (json ??= ctx.bytes().then((b) => {
        parsedBytes = b;
        return parseJsonObject(b);
      })),
    model: () => (model ??= requestedModel(ctx)),
    requestSent: init.requestSent,
    errorFormat: undefined,
    upgrade: init.upgrade,
    get vars() {
      return (vars ??= new Map());
    },
    source: () => init.source?.() ?? undefined,
  };
  return ctx;
}

async function requestedModel(ctx: RequestContext): Promise<string | undefined> {
  const fromPath = modelFromPath(ctx.path);
  if (fromPath !== undefined) return fromPath;
  if (ctx.method === "GET" || ctx.method === "HEAD" || ctx.req.body === null) return undefined;
  // whatever the content type says: the LLM layer reads a JSON body the same way, and a policy
  // must see the model that will be served (curl -d sends JSON as form data)
  try {
    const body = await ctx.json();
    return typeof body.model === "string" ? body.model : undefined;
  } catch {
    return undefined; // not JSON: the LLM layer answers that with its own error
  }
}
