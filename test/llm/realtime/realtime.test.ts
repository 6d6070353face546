/**
 * `/v1/realtime` relayed as a WebSocket to OpenAI and Azure emulators: frames both ways, the
 * gateway's credentials on the upstream socket and never the client's (its Authorization header
 * or its key subprotocol), usage from response.done in the access log, refusals as HTTP errors.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { accessLogs, eventually, gatewayFor, startTestGateway, type ProviderGateway } from "../../helpers/gateway.ts";

interface Seen {
  url: string;
  headers: Headers;
}

/** A realtime upstream: checks the key, echoes every frame, answers "bye" with response.done. */
function startRealtimeEmulator(key: string, header: "authorization" | "api-key") {
  const seen: Seen[] = [];
  const server = Bun.serve<{ id: number }>({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req, srv) {
      seen.push({ url: req.url, headers: req.headers });
      const got = header === "authorization" ? req.headers.get("authorization") : req.headers.get("api-key");
      if (got !== (header === "authorization" ? `Bearer ${key}` : key)) return new Response("unauthorized", { status: 401 });
      const offered = (req.headers.get("sec-websocket-protocol") ?? "").split(",").map((p) => p.trim());
      return srv.upgrade(req, { data: { id: seen.length }, headers: offered.includes("realtime") ? { "sec-websocket-protocol": "realtime" } : {} }) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      open(ws) {
        ws.send(JSON.stringify({ type: "session.created", session: { id: "sess_1" } }));
      },
      message(ws, msg) {
        const text = String(msg);
        if (text === "bye") {
          ws.send(JSON.stringify({ type: "response.done", response: { usage: { input_tokens: 11, output_tokens: 7, total_tokens: 18 } } }));
          ws.close(1000, "done");
        } else ws.send(`echo:${text}`);
      },
    },
  });
  return { host: `127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) };
}

function open(url: string, opts: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<number> }> {
  const ws = new WebSocket(url, { headers: opts.headers, protocols: opts.protocols });
  const frames: string[] = [];
  ws.addEventListener("message", (e) => frames.push(String(e.data)));
  const closed = new Promise<number>((r) => ws.addEventListener("close", (e) => r(e.code)));
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", () => resolve({ ws, frames, closed }));
    ws.addEventListener("error", () => reject(new Error("socket failed")));
  });
}

describe("realtime on OpenAI", () => {
  let emu: ReturnType<typeof startRealtimeEmulator>;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startRealtimeEmulator("sk-gateway", "authorization");
    gw = await gatewayFor("openAI", emu, { auth: { key: "sk-gateway" } });
  });
  afterAll(async () => {
    await gw.stop();
    emu.stop();
  });

  test("frames relay both ways; the upstream sees the gateway's key, not the client's", async () => {
    const url = `${gw.origin().replace("http", "ws")}/v1/realtime?model=gpt-realtime`;
    const { ws, frames, closed } = await open(url, { headers: { authorization: "Bearer client-secret", "openai-beta": "realtime=v1" }, protocols: ["realtime", "openai-insecure-api-key.client-secret-2"] });
    expect(ws.protocol).toBe("realtime");
    ws.send("hello");
    await eventually(() => frames.length >= 2);
    expect(frames).toEqual(['{"type":"session.created","session":{"id":"sess_1"}}', "echo:hello"]);
    ws.send("bye");
    expect(await closed).toBe(1000);
    const up = emu.seen.at(-1)!;
    expect(new URL(up.url).pathname).toBe("/v1/realtime");
    expect(new URL(up.url).searchParams.get("model")).toBe("gpt-realtime");
    expect(up.headers.get("authorization")).toBe("Bearer sk-gateway");
    expect(up.headers.get("openai-beta")).toBe("realtime=v1");
    expect(up.headers.get("sec-websocket-protocol")).toBe("realtime");
    const log = await eventually(() => accessLogs(gw).find((l) => l["http.path"] === "/v1/realtime"));
    expect(log["gen_ai.usage.input_tokens"]).toBe(11);
    expect(log["gen_ai.usage.output_tokens"]).toBe(7);
  });

  test("the llm: form routes the socket on the model in its query", async () => {
    const llm = await startTestGateway(`
llm:
  port: 0
  models:
  - name: gpt-realtime
    provider: openai
    params: {apiKey: sk-gateway, baseUrl: "http://${emu.host}/v1"}
`);
    try {
      const { ws, frames } = await open(`${llm.origin().replace("http", "ws")}/v1/realtime?model=gpt-realtime`);
      await eventually(() => frames.length >= 1);
      ws.close();
      expect(emu.seen.at(-1)!.headers.get("authorization")).toBe("Bearer sk-gateway");
    } finally {
      await llm.stop();
    }
  });

  test("a plain GET is told to upgrade (426)", async () => {
    const res = await fetch(`${gw.origin()}/v1/realtime?model=m`);
    expect(res.status).toBe(426);
  });
});

describe("realtime on Azure", () => {
  let emu: ReturnType<typeof startRealtimeEmulator>;
  let gw: ProviderGateway;
  beforeAll(async () => {
    emu = startRealtimeEmulator("azure-key", "api-key");
    gw = await gatewayFor("azure", emu, { settings: { resourceName: "res", resourceType: "openAI", model: "rt-deploy" }, auth: { key: "azure-key" } });
  });
  afterAll(async () => {
    await gw.stop();
    emu.stop();
  });

  test("the deployment's realtime endpoint with the key in api-key; a refused upstream is an HTTP error", async () => {
    const { ws, frames } = await open(`${gw.origin().replace("http", "ws")}/v1/realtime?model=x`, { headers: { "api-key": "client-key" } });
    await eventually(() => frames.length >= 1);
    ws.close();
    const up = emu.seen.at(-1)!;
    expect(new URL(up.url).pathname).toBe("/openai/v1/realtime");
    expect(new URL(up.url).searchParams.get("model")).toBe("rt-deploy");
    expect(up.headers.get("api-key")).toBe("azure-key");

    const wrong = await gatewayFor("azure", emu, { settings: { resourceName: "res", resourceType: "openAI" }, auth: { key: "wrong-key" } });
    try {
      const res = await fetch(`${wrong.origin()}/v1/realtime?model=x`, {
        headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
      });
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("upstream_unreachable");
    } finally {
      await wrong.stop();
    }
  });
});
