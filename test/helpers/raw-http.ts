/**
 * HTTP at the byte level, for tests that must see exactly what went over the wire: a recorder
 * that keeps each request line as sent (no URL parser in between to normalise it away), and a
 * client that sends request lines no HTTP library would produce.
 */
import type { Socket } from "bun";
import { rawHttpResponse } from "../emulators/openai.ts";

export interface RawRequest {
  method: string;
  /** the request target exactly as sent */
  target: string;
  /** header lines as sent, names lower-cased */
  headers: [string, string][];
  body: string;
}

export interface RawRecorder {
  host: string;
  port: number;
  requests: RawRequest[];
  /** TCP connections accepted, including ones that never sent a request */
  readonly connections: number;
  stop(): void;
}

export interface RawAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

const DEFAULT_ANSWER: RawAnswer = {
  status: 503,
  headers: { "content-type": "application/json" },
  body: '{"error":{"message":"recorded by the test upstream","type":"api_error","param":null,"code":null}}',
};

/** A raw HTTP/1.1 server: records each complete request, answers it, closes the connection. */
export function startRawRecorder(answer: (req: RawRequest) => RawAnswer = () => DEFAULT_ANSWER): RawRecorder {
  const requests: RawRequest[] = [];
  let connections = 0;
  const server = Bun.listen<{ buf: string; done: boolean }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        connections++;
        socket.data = { buf: "", done: false };
      },
      data(socket: Socket<{ buf: string; done: boolean }>, chunk) {
        if (socket.data.done) return;
        socket.data.buf += new TextDecoder().decode(chunk);
        const req = parseComplete(socket.data.buf);
        if (!req) return;
        socket.data.done = true;
        requests.push(req);
        const a = answer(req);
        socket.write(rawHttpResponse(a.status, { connection: "close", ...(a.headers ?? {}) }, a.body ?? ""));
        socket.end();
      },
    },
  });
  return {
    host: `127.0.0.1:${server.port}`,
    port: server.port,
    requests,
    get connections() {
      return connections;
    },
    stop: () => server.stop(true),
  };
}

/** A request once its head and whole body (content-length or chunked) have arrived. */
function parseComplete(text: string): RawRequest | undefined {
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd === -1) return undefined;
  const [line, ...lines] = text.slice(0, headEnd).split("\r\n");
  const [method, target] = line!.split(" ");
  const headers = lines.map((l) => {
    const i = l.indexOf(":");
    return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
  });
  const rest = text.slice(headEnd + 4);
  const length = headers.find(([n]) => n === "content-length")?.[1];
  const chunked = headers.some(([n, v]) => n === "transfer-encoding" && v.includes("chunked"));
  if (length !== undefined && rest.length < Number(length)) return undefined;
  if (chunked && !rest.endsWith("0\r\n\r\n")) return undefined;
  return { method: method!, target: target!, headers, body: rest };
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `head` (request line and headers, CRLF-separated, without the blank line) and an optional body. */
export function rawRequest(port: number, head: string, body = ""): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`no complete answer to ${JSON.stringify(head.split("\r\n")[0])}`)), 10_000);
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          const length = body ? `\r\ncontent-length: ${new TextEncoder().encode(body).byteLength}` : "";
          s.write(`${head}${length}\r\nconnection: close\r\n\r\n${body}`);
        },
        data(_s, d) {
          buf += new TextDecoder().decode(d);
        },
        close() {
          clearTimeout(timer);
          const headEnd = buf.indexOf("\r\n\r\n");
          const [line, ...lines] = buf.slice(0, headEnd === -1 ? buf.length : headEnd).split("\r\n");
          const headers: Record<string, string> = {};
          for (const l of lines) {
            const i = l.indexOf(":");
            if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
          }
          resolve({ status: Number(line?.split(" ")[1] ?? 0), headers, body: headEnd === -1 ? "" : dechunk(buf.slice(headEnd + 4), headers) });
        },
        error(_s, err) {
          clearTimeout(timer);
          reject(err);
        },
      },
    }).catch(reject);
  });
}

function dechunk(body: string, headers: Record<string, string>): string {
  if (!headers["transfer-encoding"]?.includes("chunked")) return body;
  let out = "";
  let pos = 0;
  for (;;) {
    const eol = body.indexOf("\r\n", pos);
    if (eol === -1) return out;
    const size = parseInt(body.slice(pos, eol), 16);
    if (!size) return out;
    out += body.slice(eol + 2, eol + 2 + size);
    pos = eol + 2 + size + 2;
  }
}
