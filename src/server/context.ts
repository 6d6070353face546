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
import type { CandidateLoop } from "../llm/failover/loop.ts";

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

/** What the context needs of the Bun server that received the request (one object per bind). */
export interface ContextServer {
  timeout(req: Request, seconds: number): void;
  upgradeTo?(req: Request, data: RelayedSocket, headers?: Record<string, string>): boolean;
  requestIP?(req: Request): { address: string; port: number } | null;
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
  server: ContextServer;
}

export function createContext(init: ContextInit): RequestContext {
  return new RequestContext(init);
}

/**
 * A class, not an object literal: its methods and getters live on the prototype, where a literal
 * made 4 closures, 3 getters and their accessor records for every request (counted with the GC
 * off: 11 of the ~55 functions a JSON request allocated).
 */
export class RequestContext {
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
  backendTimeoutMs: number | undefined = undefined;
  /** whose error shape the client reads, once the route type is known (else: by the path) */
  errorFormat: ClientFormatName | undefined = undefined;
  /**
   * Headers policies put on the answer, whatever it is (CORS, rate-limit state), in the order
   * they were added (outer policies first); the handler adds them when the answer comes
   * (src/policies/answer-headers.ts).
   */
  answerHeaders: Readonly<Record<string, string>>[] | undefined = undefined;
  /** the exchange's candidate loop, when it has several candidates, a retry or an evicting health policy */
  candidateLoop: CandidateLoop | undefined = undefined;
  private readonly server: ContextServer;
  /** how much of a body the gateway buffers: the client's request, an upstream's whole answer (`frontendPolicies.http.maxBufferSize`) */
  readonly bufferLimit: number;
  private body: Promise<Uint8Array> | undefined = undefined;
  private parsed: Promise<Record<string, unknown>> | undefined = undefined;
  private jsonBytes: Uint8Array | undefined = undefined;
  private asked: Promise<string | undefined> | undefined = undefined;
  private shared: Map<string, unknown> | undefined = undefined;

  constructor(init: ContextInit) {
    this.req = init.req;
    this.method = init.req.method;
    this.path = init.path;
    this.query = init.query;
    this.host = init.host;
    this.route = init.route;
    this.matchedPrefix = init.matchedPrefix;
    this.deps = init.deps;
    this.outcome = init.outcome;
    this.usageWanted = init.usageWanted;
    this.streamKeepAliveMs = init.streamKeepAliveMs;
    this.signal = init.req.signal;
    this.server = init.server;
    this.bufferLimit = init.maxBodyBytes;
  }

  /** the client's body, read once within the size limit */
  bytes(): Promise<Uint8Array> {
    return (this.body ??= readBody(this.req, this.bufferLimit));
  }

  /** true once the body was read (a passthrough then forwards those bytes, not the consumed stream) */
  get bodyRead(): boolean {
    return this.body !== undefined;
  }

  /** the bytes json() parsed, once it has: a caller forwarding them unchanged needs no await */
  get parsedBytes(): Uint8Array | undefined {
    return this.jsonBytes;
  }

  /** the client's body as a JSON object (400 when it is not one); parsed once */
  json(): Promise<Record<string, unknown>> {
    return (this.parsed ??= this.parse());
  }

  /** (apart from json(): its closure would give every json() call a scope object) */
  private parse(): Promise<Record<string, unknown>> {
    return this.bytes().then((b) => {
      this.jsonBytes = b;
      return parseJsonObject(b);
    });
  }

  /** the model the client asked for: the native URL path's, else the JSON body's `model`; read once */
  model(): Promise<string | undefined> {
    return (this.asked ??= requestedModel(this));
  }

  /**
   * The client's request is fully received: from now on silence is the upstream's, not the
   * client's. LLM calls can think for minutes before the first byte; the idle timeout is for idle
   * clients, so it is lifted here.
   */
  requestSent(): void {
    this.server.timeout(this.req, 0);
  }

  /** values policies share with later ones (the caller's identity, token claims), by policy key */
  get vars(): Map<string, unknown> {
    return (this.shared ??= new Map());
  }

  /** whether `upgrade` can turn this request into a WebSocket (its server supports it) */
  get canUpgrade(): boolean {
    return this.server.upgradeTo !== undefined;
  }

  /** upgrades the request to a WebSocket relayed to an upstream socket; false when it could not */
  upgrade(data: RelayedSocket, headers?: Record<string, string>): boolean {
    return this.server.upgradeTo?.(this.req, data, headers) ?? false;
  }

  /** the client's address (CEL `source.*`), when the server knows it */
  source(): { address: string; port: number } | undefined {
    return this.server.requestIP?.(this.req) ?? undefined;
  }
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
