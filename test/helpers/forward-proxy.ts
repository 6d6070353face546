/**
 * A forward proxy as corporate egress proxies work: plain HTTP requests arrive in absolute form
 * (`POST http://host:port/path HTTP/1.1`) and are relayed to that host; `CONNECT host:port` opens
 * a tunnel whose bytes (TLS) it passes on without reading. It records each request line and
 * whether any plaintext it relayed carried an `authorization` header.
 */
import net from "node:net";

export interface ForwardProxy {
  url: string;
  /** request lines received: `POST http://...` or `CONNECT host:port` */
  readonly lines: string[];
  /** plaintext relayed through the proxy named an authorization header */
  readonly sawAuthorization: boolean;
  stop(): void;
}

export async function startForwardProxy(): Promise<ForwardProxy> {
  const lines: string[] = [];
  let sawAuthorization = false;
  const server = net.createServer((client) => {
    client.once("data", (first) => {
      const head = first.toString("latin1");
      const line = head.slice(0, head.indexOf("\r\n"));
      lines.push(line);
      const [method, target] = line.split(" ") as [string, string];
      if (method === "CONNECT") {
        const [host, port] = target.split(":") as [string, string];
        const upstream = net.connect(Number(port), host, () => {
          client.write("HTTP/1.1 200 Connection established\r\n\r\n");
          client.pipe(upstream).pipe(client);
        });
        upstream.on("error", () => client.destroy());
        return;
      }
      // absolute form to origin form, the rest of the bytes as they came
      const url = new URL(target);
      if (/\r\nauthorization:/i.test(head)) sawAuthorization = true;
      const upstream = net.connect(Number(url.port || 80), url.hostname, () => {
        upstream.write(Buffer.from(head.replace(target, url.pathname + url.search), "latin1"));
        client.pipe(upstream).pipe(client);
      });
      client.on("data", (more) => /\r\nauthorization:/i.test(more.toString("latin1")) && (sawAuthorization = true));
      upstream.on("error", () => client.destroy());
    });
    client.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    lines,
    get sawAuthorization() {
      return sawAuthorization;
    },
    stop: () => void server.close(),
  };
}
