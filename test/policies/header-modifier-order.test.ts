/**
 * `requestHeaderModifier` and `responseHeaderModifier` on a route and on its backend: remove, set
 * and add, in that order; on the way up the route's run first and the backend's after them, on
 * the way back the backend's first and the route's last, whatever produced the answer (a chat
 * answer, a stream, embeddings, a passthrough).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { gatewayFor, type ProviderGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
let gw: ProviderGateway;

beforeAll(async () => {
  emu = startOpenAIEmulator();
  gw = await gatewayFor("openAI", emu, {
    policies: `
      requestHeaderModifier:
        remove: [x-client-drop]
        set: {x-route: r, x-both: route}
        add: {x-multi: route}
      responseHeaderModifier:
        remove: [x-upstream-secret]
        set: {x-resp: route, x-both: route}
    `,
    backend: `
      policies:
        requestHeaderModifier: {set: {x-both: backend}, add: {x-multi: backend}}
        responseHeaderModifier: {set: {x-both: backend, x-backend: b}, add: {x-upstream-secret: from-backend}}
    `,
  });
});
afterAll(async () => {
  await gw.stop();
  emu.stop();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gw.baseURL()}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
const chat = { model: "m", messages: [{ role: "user", content: "hi" }] };

describe("requestHeaderModifier", () => {
  test("the route's remove, set and add, then the backend's; other client headers untouched", async () => {
    const res = await post("/chat/completions", chat, { "x-client-drop": "1", "x-client-keep": "2", "x-multi": "client" });
    expect(res.status).toBe(200);
    const h = emu.requests.at(-1)!.headers;
    expect(h.get("x-client-drop")).toBeNull();
    expect(h.get("x-client-keep")).toBe("2");
    expect(h.get("x-route")).toBe("r");
    expect(h.get("x-both")).toBe("backend");
    expect(h.get("x-multi")).toBe("client, route, backend");
  });

  test("passthrough requests get the same headers", async () => {
    await fetch(`${gw.baseURL()}/files`, { headers: { "x-client-drop": "1" } });
    const r = emu.requests.at(-1)!;
    expect(r.path).toBe("/v1/files");
    expect(r.headers.get("x-client-drop")).toBeNull();
    expect(r.headers.get("x-route")).toBe("r");
    expect(r.headers.get("x-both")).toBe("backend");
    expect(r.headers.get("x-multi")).toBe("route, backend");
  });
});

describe("responseHeaderModifier", () => {
  const expectModified = (res: Response) => {
    expect(res.headers.get("x-backend")).toBe("b");
    expect(res.headers.get("x-both")).toBe("route"); // the route's set runs last
    expect(res.headers.get("x-resp")).toBe("route");
    expect(res.headers.get("x-upstream-secret")).toBeNull(); // added by the backend's, removed by the route's
  };

  test("a chat answer", async () => {
    const res = await post("/chat/completions", chat);
    expect(res.status).toBe(200);
    expectModified(res);
    expect(((await res.json()) as { object: string }).object).toBe("chat.completion");
  });

  test("a stream", async () => {
    const res = await post("/chat/completions", { ...chat, stream: true });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expectModified(res);
    expect(await res.text()).toEndWith("data: [DONE]\n\n");
  });

  test("embeddings", async () => {
    const res = await post("/embeddings", { model: "text-embedding-3-small", input: "x" });
    expect(res.status).toBe(200);
    expectModified(res);
  });

  test("a passthrough answer, an upstream error included", async () => {
    const res = await fetch(`${gw.baseURL()}/files`);
    expect(res.status).toBe(404);
    expectModified(res);
  });
});
