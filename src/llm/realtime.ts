/**
 * `/v1/realtime`: the OpenAI Realtime API's WebSocket, relayed to OpenAI or Azure (any provider
 * whose native path has a realtime endpoint). The upstream socket is opened first with the
 * gateway's credentials (backendAuth, provider header fix-ups) on a header set built from
 * scratch: the client's headers are not copied, so a client's key (its `Authorization`, `api-key`,
 * or the browser form, an `openai-insecure-api-key.<key>` subprotocol) never reaches the upstream
 * when the gateway has credentials of its own; without backendAuth the client's Authorization
 * passes, as on every other route. Subprotocols other than the key go on, and the one the
 * upstream chose is answered to the client. Usage from `response.done` events goes to the
 * exchange's record, finished when either side closes.
 */
import type { ProviderTarget } from "../config/model.ts";
import { HttpError } from "../http/errors.ts";
import { upstreamUrl } from "../http/upstream-url.ts";
import { runSend } from "../policies/chain.ts";
import type { RequestContext } from "../server/context.ts";
import { UPGRADED, type RelayedSocket } from "../server/websocket.ts";
import type { Usage, UpstreamRequest } from "./types.ts";
import { usageFromOpenAI } from "./usage.ts";

const KEY_PROTOCOL = "openai-insecure-api-key.";
const OPEN_TIMEOUT_MS = 15_000;

export async function serveRealtime(ctx: RequestContext, targets: readonly ProviderTarget[]): Promise<Response> {
  if (ctx.req.headers.get("upgrade")?.toLowerCase() !== "websocket" || !ctx.canUpgrade) {
    throw new HttpError(426, "the realtime API is a WebSocket: send an upgrade request", { code: "upgrade_required", headers: { upgrade: "websocket" } });
  }
  const model = new URLSearchParams(ctx.query).get("model") ?? undefined;
  ctx.outcome.requested("realtime", model);
  let lastError: unknown;
  for (const target of targets) {
    try {
      const upstream = await connect(ctx, target, model);
      return attach(ctx, target, upstream);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError instanceof HttpError ? lastError : new HttpError(502, "could not open the upstream realtime socket", { code: "upstream_unreachable" });
}

async function connect(ctx: RequestContext, target: ProviderTarget, model: string | undefined): Promise<WebSocket> {
  const path = target.pathOverride ?? target.provider.nativePath("realtime", target.model ?? model);
  if (path === undefined) throw new HttpError(400, `provider ${target.provider.telemetryName} has no realtime API`, { code: "unsupported_route" });
  const query = target.model !== undefined ? withModel(ctx.query, target.model) : ctx.query;
  const headers = new Headers();
  const beta = ctx.req.headers.get("openai-beta");
  if (beta) headers.set("openai-beta", beta);
  if (!target.stripClientAuth) {
    const auth = ctx.req.headers.get("authorization");
    if (auth) headers.set("authorization", auth);
  }
  const req: UpstreamRequest = { url: upstreamUrl(target.origin, path, query), method: "GET", headers, body: null };
  await runSend(ctx.route.policies, req, ctx);
  await runSend(target.policies, req, ctx);
  target.provider.finalizeHeaders?.(req.headers);
  ctx.outcome.attempt(target.provider.telemetryName, target.name, "llm");
  const url = req.url.href.replace(/^http/, "ws");
  const protocols = clientProtocols(ctx.req.headers);
  const ws = new WebSocket(url, { headers: req.headers, protocols, ...(target.tls ? { tls: target.tls } : {}) });
  await opened(ws);
  return ws;
}

/** The client's subprotocols without the one that carries its key. */
function clientProtocols(headers: Headers): string[] {
  return (headers.get("sec-websocket-protocol") ?? "")
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "" && !p.startsWith(KEY_PROTOCOL));
}

function withModel(query: string, model: string): string {
  const q = new URLSearchParams(query);
  q.set("model", model);
  return q.toString();
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.close();
      reject(new HttpError(504, "the upstream realtime socket did not open in time", { code: "upstream_timeout" }));
    }, OPEN_TIMEOUT_MS);
    ws.addEventListener("open", () => {
      clearTimeout(timer);
      resolve();
    });
    ws.addEventListener("error", () => {
      clearTimeout(timer);
      reject(new HttpError(502, "the upstream refused the realtime socket", { code: "upstream_unreachable" }));
    });
  });
}

function attach(ctx: RequestContext, _target: ProviderTarget, upstream: WebSocket): Response {
  let usage: Usage | undefined;
  let closed = false;
  const data: RelayedSocket = {
    upstream,
    early: [],
    onUpstreamText(text) {
      if (!text.includes('"response.done"')) return;
      try {
        const u = usageFromOpenAIRealtime((JSON.parse(text) as { response?: { usage?: unknown } }).response?.usage);
        if (u) usage = add(usage, u);
      } catch {
        // not JSON: relayed all the same
      }
    },
    onClose(code, reason) {
      if (closed) return;
      closed = true;
      if (upstream.readyState === WebSocket.OPEN) upstream.close();
      ctx.outcome.answered(101, { usage });
      if (code !== 1000 && code !== 1005) ctx.outcome.failed(101, "stream", `socket closed ${code}${reason ? `: ${reason}` : ""}`);
      ctx.outcome.finish();
    },
  };
  const protocol = upstream.protocol;
  if (!ctx.upgrade(data, protocol ? { "sec-websocket-protocol": protocol } : undefined)) {
    upstream.close();
    throw new HttpError(400, "the request could not be upgraded to a WebSocket", { code: "upgrade_failed" });
  }
  ctx.outcome.answered(101);
  return UPGRADED;
}

/** Realtime usage: `input_tokens` / `output_tokens` (and the chat names some servers use). */
function usageFromOpenAIRealtime(raw: unknown): Usage | undefined {
  const u = raw as { input_tokens?: unknown; output_tokens?: unknown; total_tokens?: unknown } | undefined;
  if (!u || typeof u !== "object") return undefined;
  if (typeof u.input_tokens !== "number") return usageFromOpenAI(raw);
  const output = typeof u.output_tokens === "number" ? u.output_tokens : 0;
  return { inputTokens: u.input_tokens, outputTokens: output, totalTokens: typeof u.total_tokens === "number" ? u.total_tokens : u.input_tokens + output };
}

function add(a: Usage | undefined, b: Usage): Usage {
  if (!a) return b;
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens };
}
