/**
 * Running compiled policies. Exchange middlewares are composed once per route; the lifecycle
 * hooks run in order over a list (route filters first on the way up, last on the way back).
 */
import type { ProviderTarget } from "../config/model.ts";
import type { UpstreamRequest } from "../llm/types.ts";
import type { RequestContext } from "../server/context.ts";
import type { BodyDraft, Middleware, Next, Policy } from "./types.ts";

/**
 * The `handle` hooks of a listener or route around `last` (what follows them). Callers pass the
 * same `last` every time (a module-level function), so the chain is linked once for it: no
 * closure per request and hook.
 */
export type Chain = (ctx: RequestContext, last: Next) => Promise<Response>;

/** The chain of policies without `handle` hooks (most): `last` itself. The handler calls on without it when it sees this one. */
export const noMiddleware: Chain = (ctx, last) => last(ctx);

/** The `handle` hooks of `policies`, in order, around `last`. */
export function composeChain(policies: readonly Policy[]): Chain {
  const handles = policies.map((p) => p.handle).filter((h): h is Middleware => h !== undefined);
  if (handles.length === 0) return noMiddleware;
  let linked: { last: Next; first: Next } | undefined;
  return (ctx, last) => {
    if (linked?.last !== last) linked = { last, first: link(handles, last) };
    return linked.first(ctx);
  };
}

/** `handles[0]` calling on to `handles[1]` ... then `last`, as one Next. */
function link(handles: readonly Middleware[], last: Next): Next {
  let next = last;
  for (let i = handles.length - 1; i >= 0; i--) {
    const handle = handles[i]!;
    const after = next;
    next = (ctx) => handle(ctx, after);
  }
  return next;
}

export function runPrepare(policies: readonly Policy[], draft: BodyDraft, ctx: RequestContext): void {
  for (const p of policies) p.prepare?.(draft, ctx);
}

/*
 * The hook runners below that may wait (`hubRequest`, `send`) run synchronously while every hook
 * answers at once (most do: headers, keys, prompts) and return a promise only from the first hook
 * that returns one; undefined means done. Callers await only a promise: each await, and each
 * async function, is a microtask turn on every request.
 */

export function runHubRequest(policies: readonly Policy[], draft: BodyDraft, ctx: RequestContext, target: ProviderTarget, from = 0): Promise<void> | undefined {
  for (let i = from; i < policies.length; i++) {
    const pending = policies[i]!.hubRequest?.(draft, ctx, target);
    if (pending) return resumeHubRequest(pending, policies, draft, ctx, target, i + 1);
  }
  return undefined;
}

/*
 * The continuations live in their own functions: a function whose locals a closure captures gets
 * a scope object on every call, taken or not, and a captured loop variable one per iteration
 * (counted with bench/allocations.ts; docs/performance.md, "Limits by spec, scope objects and
 * async layers"). The same holds for every `...Later` helper on the request path.
 */
function resumeHubRequest(pending: Promise<void>, policies: readonly Policy[], draft: BodyDraft, ctx: RequestContext, target: ProviderTarget, next: number): Promise<void> {
  return pending.then(() => runHubRequest(policies, draft, ctx, target, next));
}

/** The `upstreamBody` hooks over a translated body; the body itself when there are none. */
export function runUpstreamBody(policies: readonly Policy[], body: string | Uint8Array, ctx: RequestContext): string | Uint8Array {
  let out = body;
  for (const p of policies) if (p.upstreamBody) out = p.upstreamBody(out, ctx);
  return out;
}

export function runSend(policies: readonly Policy[], req: UpstreamRequest, ctx: RequestContext, from = 0): Promise<void> | undefined {
  for (let i = from; i < policies.length; i++) {
    const pending = policies[i]!.send?.(req, ctx);
    if (pending) return resumeSend(pending, policies, req, ctx, i + 1);
  }
  return undefined;
}

function resumeSend(pending: Promise<void>, policies: readonly Policy[], req: UpstreamRequest, ctx: RequestContext, next: number): Promise<void> {
  return pending.then(() => runSend(policies, req, ctx, next));
}

export function runPresent(policies: readonly Policy[], headers: Headers, ctx: RequestContext, status = 200): void {
  for (const p of policies) p.present?.(headers, ctx, status);
}

/**
 * The `present` hooks on an answer, then the `presentBody` ones: the same Response, or a new one
 * with the replaced body (the old body is cancelled). Streams keep their body.
 */
export function presentResponse(policies: readonly Policy[], res: Response, ctx: RequestContext): Response {
  runPresent(policies, res.headers, ctx, res.status);
  let body: string | Uint8Array | undefined;
  for (const p of policies) {
    if (!p.presentBody || isStreamed(res.headers)) continue;
    body = p.presentBody(res.headers, ctx, res.status) ?? body;
  }
  if (body === undefined) return res;
  res.body?.cancel().catch(() => {});
  const headers = new Headers(res.headers);
  headers.delete("content-length"); // the new body has its own length
  return new Response(body, { status: res.status, statusText: res.statusText, headers });
}

/** SSE and AWS event streams: answers whose body is relayed as it comes. */
function isStreamed(headers: Headers): boolean {
  const type = headers.get("content-type") ?? "";
  return type.includes("text/event-stream") || type.includes("vnd.amazon.eventstream") || type.includes("ndjson");
}

/** A copy-on-write draft of the client's body: the client's object is never changed. */
export function bodyDraft(client: Record<string, unknown>): BodyDraft {
  return new Draft(client);
}

/** A class for the same reason as the request context's (src/server/context.ts): no closures per request. */
class Draft implements BodyDraft {
  private current: Record<string, unknown>;
  private copied = false;

  constructor(private readonly client: Record<string, unknown>) {
    this.current = client;
  }

  get body(): Readonly<Record<string, unknown>> {
    return this.current;
  }

  get changed(): boolean {
    return this.copied;
  }

  set(key: string, value: unknown): void {
    this.own()[key] = value;
  }

  delete(key: string): void {
    if (key in this.current) delete this.own()[key];
  }

  private own(): Record<string, unknown> {
    if (!this.copied) {
      this.current = { ...this.client };
      this.copied = true;
    }
    return this.current;
  }
}
