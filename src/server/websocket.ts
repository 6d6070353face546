/**
 * WebSocket relaying for Bun.serve (the `/v1/realtime` route): the LLM layer opens the upstream
 * socket first (so a refusal is still an HTTP error), then upgrades the client's request with
 * `upgradeTo`; from then on frames go both ways unchanged and either side closing closes the
 * other. The handler's answer for an upgraded request is `UPGRADED` (Bun wants no response then).
 */
import type { Server, ServerWebSocket } from "bun";

/** What an upgraded client socket is attached to. */
export interface RelayedSocket {
  upstream: WebSocket;
  /** frames the upstream sent before the client's socket opened */
  early: (string | ArrayBuffer)[];
  client?: ServerWebSocket<RelayedSocket>;
  /** every frame from the upstream (text frames as strings), for usage accounting */
  onUpstreamText?: (text: string) => void;
  /** once, when the relay is over */
  onClose(code: number, reason: string): void;
}

/** The handler's answer for a request that became a WebSocket. */
export const UPGRADED = new Response(null, { status: 101 });

/** Upgrades `req` to a socket relayed to `data.upstream`; false when it is not an upgrade request. */
export function upgradeTo(server: Server<RelayedSocket>, req: Request, data: RelayedSocket, headers?: Record<string, string>): boolean {
  const ok = server.upgrade(req, { data, headers });
  if (!ok) return false;
  const { upstream } = data;
  upstream.binaryType = "arraybuffer";
  upstream.addEventListener("message", (e: MessageEvent) => {
    const frame = e.data as string | ArrayBuffer;
    if (typeof frame === "string") data.onUpstreamText?.(frame);
    // a client that reads slower than the provider sends: stop reading the provider until the
    // client's buffer drains (`drain` below), so the provider's TCP window does the waiting
    if (data.client) {
      if (data.client.send(frame) === -1) upstream.pause();
    } else data.early.push(frame);
  });
  upstream.addEventListener("close", (e: CloseEvent) => {
    data.client?.close(e.code === 1005 || e.code === 1006 ? 1011 : e.code, e.reason);
    data.onClose(e.code, e.reason);
  });
  upstream.addEventListener("error", () => data.client?.close(1011, "upstream connection failed"));
  return true;
}

/** what the gateway queues for a provider that reads slower than its client sends: as Bun's limit the other way */
const MAX_UPSTREAM_BACKLOG = 16 * 1024 * 1024;

export const relayHandler = {
  /**
   * Past 16 MB buffered for a client (`backpressureLimit`) Bun drops frames without a word, which
   * would leave a realtime session open with audio or events missing. The provider is paused long
   * before (the message listener above); should frames still pile up, the connection is closed
   * instead, and `close` below closes the provider's socket.
   */
  closeOnBackpressureLimit: true,
  drain(ws: ServerWebSocket<RelayedSocket>) {
    ws.data.upstream.resume();
  },
  open(ws: ServerWebSocket<RelayedSocket>) {
    ws.data.client = ws;
    for (const frame of ws.data.early.splice(0)) ws.send(frame);
  },
  message(ws: ServerWebSocket<RelayedSocket>, message: string | Buffer) {
    const { upstream } = ws.data;
    if (upstream.readyState !== WebSocket.OPEN) return;
    // the other way round: a provider that does not read would have the gateway queue whatever
    // the client sends, without bound (a WebSocket client's buffer has no limit)
    if (upstream.bufferedAmount > MAX_UPSTREAM_BACKLOG) {
      // a provider that reads nothing would not answer a close either
      upstream.terminate();
      return ws.close(1013, "the provider is not reading what the client sends");
    }
    upstream.send(typeof message === "string" ? message : new Uint8Array(message));
  },
  close(ws: ServerWebSocket<RelayedSocket>, code: number, reason: string) {
    const { upstream } = ws.data;
    if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) upstream.close(code === 1005 || code === 1006 ? 1000 : code, reason);
    ws.data.onClose(code, reason);
  },
};
