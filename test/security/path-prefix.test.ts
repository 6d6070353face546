/**
 * `pathPrefix` with agentgateway's per-provider meaning, on every provider, for chat, streams,
 * embeddings and passthrough: it replaces the base `/v1` for OpenAI and Anthropic, and is
 * prepended to the full native path for Bedrock, Gemini, Vertex and Azure. `pathPrefix: /` used
 * to send Bedrock, Vertex, Gemini and Azure requests to a host called `model` or `publishers`.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { loadConfigText } from "../../src/config/load.ts";
import type { AiBackend, GatewayConfig } from "../../src/config/model.ts";
import { upstreamUrl } from "../../src/http/upstream-url.ts";
import { openaiClient, startTestGateway } from "../helpers/gateway.ts";
import { startRawRecorder, type RawRecorder } from "../helpers/raw-http.ts";
import { PROVIDERS, providerConfig } from "./providers.ts";

let upstream: RawRecorder;
beforeAll(() => {
  upstream = startRawRecorder();
});
afterAll(() => upstream.stop());

// an embedding model every provider's translator accepts (Bedrock picks the request shape by model family)
const EMBED = "amazon.titan-embed-text-v2:0";
const chatBody = { model: "m1", messages: [{ role: "user" as const, content: "hi" }] };

for (const prefix of [undefined, "/", "/proxy", "/proxy/"]) {
  describe(`pathPrefix ${prefix === undefined ? "unset" : JSON.stringify(prefix)}`, () => {
    test("every provider: chat, stream, embeddings and passthrough land on the native path", async () => {
      const gw = await startTestGateway(providerConfig(upstream.host, { pathPrefix: prefix }));
      try {
        const client = openaiClient(gw.baseURL());
        for (const p of PROVIDERS) {
          const headers = { "x-provider": p.name };
          /** the upstream path one call landed on; the client gets the test upstream's 503, relayed */
          const next = async (call: () => Promise<unknown>) => {
            const before = upstream.requests.length;
            const got = await call().then(
              (r) => (r instanceof Response ? r.status : "a success"),
              (e: unknown) => (e instanceof OpenAI.APIError ? e.status : String(e)),
            );
            expect(upstream.requests.length).toBe(before + 1);
            expect({ provider: p.name, got }).toEqual({ provider: p.name, got: 503 });
            return upstream.requests[before]!.target;
          };
          expect(await next(() => client.chat.completions.create(chatBody, { headers }))).toBe(p.chatPath("m1", false, prefix));
          expect(await next(() => client.chat.completions.create({ ...chatBody, stream: true }, { headers }))).toBe(p.chatPath("m1", true, prefix));
          if (p.embeddingsPath) {
            expect(await next(() => client.embeddings.create({ model: EMBED, input: "hi" }, { headers }))).toBe(p.embeddingsPath(EMBED, prefix));
          }
          expect(await next(() => fetch(`${gw.origin()}/v1/files`, { headers }))).toBe(p.passthroughFiles(prefix));
        }
      } finally {
        await gw.stop();
      }
    });
  });
}

describe("without hostOverride, every URL stays on the provider's own host", () => {
  const compiled = (yaml: string): GatewayConfig => {
    const loaded = loadConfigText(yaml, "test.yaml", { env: {} });
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    return loaded.value;
  };
  const HOSTS: Record<string, string> = {
    openai: "api.openai.com",
    anthropic: "api.anthropic.com",
    bedrock: "bedrock-runtime.us-east-1.amazonaws.com",
    gemini: "generativelanguage.googleapis.com",
    vertex: "us-east5-aiplatform.googleapis.com",
    azure: "myres.openai.azure.com",
  };

  for (const prefix of [undefined, "/", "/proxy/"]) {
    test(`pathPrefix ${JSON.stringify(prefix)}: chat and passthrough URLs keep the host`, () => {
      const cfg = compiled(providerConfig("unused", { hostOverride: false, pathPrefix: prefix }));
      const routes = cfg.binds.get(0)!.listeners[0]!.router.routes;
      for (const p of PROVIDERS) {
        const route = routes.find((r) => r.key === p.name)!;
        const target = (route.backends[0]!.backend as AiBackend).groups[0]![0]!;
        const chat = target.provider.chat;
        const chatPath = chat ? chat.path("m1", false) : target.provider.nativePath("completions", "m1")!;
        for (const path of [chatPath, target.passthroughPath("/v1/files"), target.passthroughPath("/anything")]) {
          const url = upstreamUrl(target.origin, path);
          expect(url.host).toBe(HOSTS[p.name]!);
          expect(url.protocol).toBe("https:");
        }
        expect(upstreamUrl(target.origin, chatPath).pathname + upstreamUrl(target.origin, chatPath).search).toBe(p.chatPath("m1", false, prefix));
      }
    });
  }
});
