/**
 * One upstream call: fetch with the route's deadline and the client's cancellation, TLS options,
 * and failures mapped to agentgateway's statuses (503 unreachable, 504 timeout). Messages name
 * the upstream by origin only: never a path, query or header that could carry a credential.
 */
import type { FetchTls } from "../config/model.ts";
import { HttpError } from "./errors.ts";

export type RequestBody = NonNullable<RequestInit["body"]>;

export interface CallOptions {
  method: string;
  url: URL;
  headers: Headers;
  body: RequestBody | null;
  tls: FetchTls | undefined;
  /** aborts the call: client disconnect and/or deadline */
  signal: AbortSignal;
}

export async function callUpstream(o: CallOptions): Promise<Response> {
  try {
    return await fetch(o.url, {
      method: o.method,
      headers: o.headers,
      body: o.body,
      signal: o.signal,
      redirect: "manual",
      // Bun: keep-alive pooling is on by default; `tls` carries backendTLS
      ...(o.tls ? { tls: o.tls } : {}),
    } as RequestInit);
  } catch (err) {
    throw upstreamFailure(err, o.url);
  }
}

export function upstreamFailure(err: unknown, url: URL): HttpError {
  const e = err as { name?: string; code?: string; message?: string };
  const where = url.origin;
  if (e?.name === "TimeoutError") {
    return new HttpError(504, `upstream ${where} did not answer in time`, { code: "upstream_timeout" });
  }
  if (e?.name === "AbortError") {
    // the client went away; nobody reads this answer
    return new HttpError(499, "client closed the request", { code: "client_closed_request" });
  }
  const code = e?.code ?? "";
  const reason =
    code === "ConnectionRefused" || code === "ECONNREFUSED"
      ? "connection refused"
      : code === "ConnectionClosed" || code === "ECONNRESET"
        ? "connection closed before the response"
        : /certificate|tls|ssl/i.test(`${code} ${e?.message}`)
          ? `TLS failure (${code || "handshake"})`
          : code === "FailedToOpenSocket" || code === "ENOTFOUND" || code === "DNSException"
            ? "host not found"
            : code || "network error";
  return new HttpError(503, `upstream ${where} is unreachable: ${reason}`, { code: "upstream_unreachable" });
}

/** The signal for one exchange: the client's disconnect, plus the deadline when one is set. */
export function exchangeSignal(client: AbortSignal, timeoutMs: number | undefined): AbortSignal {
  return timeoutMs === undefined ? client : AbortSignal.any([client, AbortSignal.timeout(timeoutMs)]);
}
