/**
 * The admin address (agentgateway's 15000, loopback only by default): the page at `/ui` (one
 * static page served from the binary, a view per address: `/ui/config`, `/ui/listeners`,
 * `/ui/backends`, `/ui/limits`, `/ui/requests`), its JSON (`/api/...`), `/config_dump`, and
 * `POST /quitquitquit` (graceful shutdown, as SIGTERM).
 *
 * On a loopback address the server answers only requests whose Host is a loopback name (a web
 * page elsewhere cannot reach it through DNS rebinding), and `POST`s only from its own page or
 * from clients that send no Origin (curl).
 */
import type { Server } from "bun";
import type { GatewayConfig, ListenAddress } from "../config/model.ts";
import { buildInfo } from "../build-info.ts";
import { bindsView, configDump, configSecrets, settingsView, stateView } from "./dump.ts";
import type { RecentRequests } from "./recent.ts";
import { redactedConfig } from "./redact.ts";
import { UI_ASSETS, UI_VIEWS } from "./ui/assets.ts";
import type { Logger } from "../telemetry/log.ts";
import { serveDefaults } from "../server/serve-defaults.ts";

export interface AdminOptions {
  config(): GatewayConfig;
  recent: RecentRequests;
  /** POST /quitquitquit */
  quit?: (() => void) | undefined;
  logger: Logger;
}

const SECURITY_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

export function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || hostname.startsWith("127.");
}

export function startAdmin(addr: ListenAddress, opts: AdminOptions): Server<undefined> {
  const loopbackOnly = isLoopback(addr.hostname);
  return Bun.serve({
    port: addr.port,
    hostname: addr.hostname,
    idleTimeout: 30,
    ...serveDefaults("admin page", opts.logger),
    fetch(req, server) {
      const url = new URL(req.url);
      if (loopbackOnly && !isLoopback(hostOnly(req.headers.get("host") ?? ""))) return text("the admin page answers on loopback names only (localhost, 127.0.0.1, [::1])\n", 421);
      if (req.method === "POST") return post(req, url, opts);
      if (req.method !== "GET" && req.method !== "HEAD") return text("method not allowed\n", 405);
      if (url.pathname === "/api/requests/stream") {
        server.timeout(req, 0);
        return eventStream(opts.recent, req.signal);
      }
      return get(url.pathname, opts);
    },
  });
}

function get(path: string, opts: AdminOptions): Response {
  if (path === "/") return new Response(null, { status: 302, headers: { location: "/ui", ...SECURITY_HEADERS } });
  if (path === "/favicon.ico") return new Response(null, { status: 204, headers: SECURITY_HEADERS });
  const asset = UI_ASSETS.get(path);
  if (asset) return new Response(asset.body, { headers: { "content-type": asset.type, ...SECURITY_HEADERS } });
  if (path === "/ui" || path === "/ui/" || (path.startsWith("/ui/") && UI_VIEWS.has(path.slice(4)))) {
    return new Response(UI_ASSETS.get("/ui/index.html")!.body, { headers: { "content-type": "text/html; charset=utf-8", ...SECURITY_HEADERS } });
  }
  const config = opts.config();
  switch (path) {
    case "/config_dump":
    case "/api/config/effective":
      return json(configDump(config), true);
    case "/api/config":
      return json(config.source ? redactedConfig(config.source.text.reveal(), configSecrets(config)) : null, true);
    case "/api/runtime":
      return json({ build: buildInfo, ui: { gatewayMode: "standalone", configStoreMode: "readOnly" }, settings: settingsView(config) });
    case "/api/listeners":
      return json(bindsView(config));
    case "/api/state":
      return json(stateView(config));
    case "/api/requests":
      return json(opts.recent.list());
  }
  return text("not found\n", 404);
}

function post(req: Request, url: URL, opts: AdminOptions): Response {
  const origin = req.headers.get("origin");
  // `Origin: null` (a sandboxed frame, a file:// page) names no origin: refused as a cross-origin one
  if (origin !== null && URL.parse(origin)?.host !== req.headers.get("host")) return text("cross-origin requests are refused\n", 403);
  if (url.pathname === "/quitquitquit" && opts.quit) {
    setTimeout(opts.quit, 10);
    return text("shutdown now\n", 200);
  }
  return text("not found\n", 404);
}

/**
 * How far a live view may fall behind: a client that stops reading (a paused terminal running
 * curl, a stuck tab) had every new exchange queued for it without end. Past this its stream is
 * ended; a browser's EventSource reconnects and gets the kept entries again.
 */
const MAX_BEHIND_BYTES = 1 << 20;

/** Server-sent events: the entries already kept, then each new one (`id:` is its sequence number). */
function eventStream(recent: RecentRequests, signal: AbortSignal): Response {
  const enc = new TextEncoder();
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (r: { id: number }) => {
        // desiredSize is minus the bytes queued and not yet taken by the connection
        if ((controller.desiredSize ?? 0) < -MAX_BEHIND_BYTES) {
          cleanup();
          return controller.error(new Error("the live view fell too far behind"));
        }
        controller.enqueue(enc.encode(`id: ${r.id}\nevent: request\ndata: ${JSON.stringify(r)}\n\n`));
      };
      controller.enqueue(enc.encode(": ready\nretry: 2000\n\n"));
      for (const r of recent.list()) send(r);
      const unsubscribe = recent.subscribe(send);
      const ping = setInterval(() => controller.enqueue(enc.encode(": keep-alive\n\n")), 15_000);
      cleanup = () => {
        unsubscribe();
        clearInterval(ping);
      };
      signal.addEventListener("abort", () => {
        cleanup();
        try {
          controller.close();
        } catch {}
      });
    },
    cancel: () => cleanup(),
  }, { highWaterMark: 0, size: (chunk) => chunk?.byteLength ?? 0 });
  return new Response(body, { headers: { "content-type": "text/event-stream", "cache-control": "no-store", "x-content-type-options": "nosniff" } });
}

function hostOnly(host: string): string {
  if (host.startsWith("[")) return host.slice(0, host.indexOf("]") + 1);
  const colon = host.lastIndexOf(":");
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}

function json(value: unknown, pretty = false): Response {
  return new Response(pretty ? `${JSON.stringify(value, null, 2)}\n` : JSON.stringify(value), { headers: { "content-type": "application/json", ...SECURITY_HEADERS } });
}

function text(body: string, status: number): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS } });
}
