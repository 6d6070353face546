/**
 * Claude on Vertex AI through the gateway: OpenAI SDK in, Vertex rawPredict / streamRawPredict
 * out, with `backendAuth: gcp` getting its token from a fake Google token endpoint.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { clearGcpTokenCache } from "../../../../src/auth/gcp.ts";
import { loadConfigText } from "../../../../src/config/load.ts";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../../../emulators/anthropic.ts";
import { SA_EMAIL, SA_KEY_ID, startGcpTokenServer, type GcpTokenServer } from "../../../emulators/gcp-token.ts";
import { gatewayFor, openaiClient, providerYaml, startTestGateway, type GatewayForOptions, type TestGateway } from "../../../helpers/gateway.ts";
import * as s from "../anthropic/scripts.ts";

const dir = mkdtempSync(join(tmpdir(), "vertex-test-"));
let emu: AnthropicEmulator;
let google: GcpTokenServer;
let keyFile: string;

beforeAll(async () => {
  emu = startAnthropicEmulator();
  google = await startGcpTokenServer();
  keyFile = join(dir, "sa.json");
  writeFileSync(keyFile, google.serviceAccountKey());
});
afterAll(async () => {
  await emu.stop();
  await google.stop();
});
beforeEach(() => {
  clearGcpTokenCache();
  google.tokenCalls = 0;
  google.assertions.length = 0;
  google.expiresIn = 3599;
  google.reject = undefined;
  google.delayMs = 0;
});

/** One vertex backend on the emulator, with `backendAuth: {gcp: ...}`. */
function vertexConfig(gcp: Record<string, unknown>): GatewayForOptions {
  return { settings: { projectId: "my-project", region: "us-east5", model: "claude-sonnet-4-20250514" }, auth: { gcp } };
}

async function withGateway<T>(opts: GatewayForOptions, fn: (client: OpenAI, gw: TestGateway) => Promise<T>): Promise<T> {
  const gw = await gatewayFor("vertex", emu, opts);
  try {
    return await fn(gw.client, gw);
  } finally {
    await gw.stop();
  }
}

const saAuth = () => ({ credential: { file: keyFile } });
const ask = [{ role: "user" as const, content: "Hello" }];

describe("requests", () => {
  test("streaming: streamRawPredict path, model in the path with @, anthropic_version in the body", async () => {
    await withGateway(vertexConfig(saAuth()), async (client) => {
      emu.enqueue(turn(s.oneTool));
      const message = await client.chat.completions
        .stream({ model: "gpt-4o-mini", messages: ask, tools: [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }] })
        .finalMessage();
      expect(message.tool_calls![0]).toMatchObject({ function: { name: "get_weather", arguments: '{"location": "Boston, MA"}' } });
      const req = emu.requests.at(-1)!;
      expect(req.path + req.query).toBe("/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:streamRawPredict");
      expect(req.json).toEqual({
        anthropic_version: "vertex-2023-10-16",
        messages: [{ role: "user", content: "Hello" }],
        tools: [{ name: "get_weather", input_schema: { type: "object" } }],
        max_tokens: 4096,
        stream: true,
      });
      expect(req.headers.get("authorization")).toBe("Bearer ya29.sa-1");
      expect(req.headers.get("x-api-key")).toBeNull();
    });
  });

  test("non-streaming: rawPredict; usage and content translated", async () => {
    await withGateway(vertexConfig(saAuth()), async (client) => {
      emu.enqueue(turn(s.plainText));
      const r = await client.chat.completions.create({ model: "gpt-4o-mini", messages: ask });
      expect(r.choices[0]!.message.content).toBe(s.PLAIN_TEXT);
      expect(r.usage).toMatchObject({ prompt_tokens: 132, completion_tokens: 12, total_tokens: 144 });
      const req = emu.requests.at(-1)!;
      expect(req.path + req.query).toBe("/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-sonnet-4@20250514:rawPredict");
      expect(req.json.model).toBeUndefined();
    });
  });

  test("the llm: form with vertexProject / vertexRegion", async () => {
    const yaml = `
llm:
  port: 0
  models:
  - name: claude-sonnet
    provider: vertex
    params:
      model: claude-opus-4-1@20250805
      vertexProject: proj-42
      hostOverride: ${emu.host}
    auth:
      gcp:
        credential:
          file: ${keyFile}
`;
    const gw = await startTestGateway(yaml);
    try {
      emu.enqueue(turn(s.plainText));
      await openaiClient(gw.baseURL()).chat.completions.create({ model: "claude-sonnet", messages: ask });
      const req = emu.requests.at(-1)!;
      expect(req.path + req.query).toBe("/v1/projects/proj-42/locations/global/publishers/anthropic/models/claude-opus-4-1@20250805:rawPredict");
    } finally {
      await gw.stop();
    }
  });

  test("Vertex's Google-shaped errors keep their status and message", async () => {
    await withGateway(vertexConfig(saAuth()), async (client) => {
      emu.enqueue({
        kind: "http",
        status: 429,
        json: { error: { code: 429, message: "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model", status: "RESOURCE_EXHAUSTED" } },
      });
      const err = await client.chat.completions.create({ model: "x", messages: ask }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect((err as Error).message).toContain("Quota exceeded");
      expect((err as { code?: string }).code).toBe("RESOURCE_EXHAUSTED");
    });
  });
});

describe("gcp service-account auth", () => {
  test("the JWT: RS256 with the key id, signed by the key, claims for the cloud-platform scope", async () => {
    const before = Math.floor(Date.now() / 1000);
    await withGateway(vertexConfig(saAuth()), async (client) => {
      emu.enqueue(turn(s.plainText));
      await client.chat.completions.create({ model: "x", messages: ask });
    });
    expect(google.assertions).toHaveLength(1);
    const jwt = google.assertions[0]!;
    expect(jwt.signatureValid).toBe(true);
    expect(jwt.header).toEqual({ alg: "RS256", typ: "JWT", kid: SA_KEY_ID });
    expect(jwt.claims).toMatchObject({ iss: SA_EMAIL, scope: "https://www.googleapis.com/auth/cloud-platform", aud: google.tokenUri });
    const { iat, exp } = jwt.claims as { iat: number; exp: number };
    expect(iat).toBeGreaterThanOrEqual(before - 1);
    expect(exp - iat).toBe(3600);
  });

  test("the token is cached across requests, and concurrent requests share one fetch", async () => {
    google.delayMs = 50;
    await withGateway(vertexConfig(saAuth()), async (client) => {
      for (let i = 0; i < 5; i++) emu.enqueue(turn(s.plainText));
      await Promise.all(Array.from({ length: 5 }, () => client.chat.completions.create({ model: "x", messages: ask })));
      expect(google.tokenCalls).toBe(1);
      emu.enqueue(turn(s.plainText));
      await client.chat.completions.create({ model: "x", messages: ask });
      expect(google.tokenCalls).toBe(1);
      expect(emu.requests.slice(-6).every((r) => r.headers.get("authorization") === "Bearer ya29.sa-1")).toBe(true);
    });
  });

  test("an expired token is renewed before use", async () => {
    google.expiresIn = 0; // expired on arrival: the next request waits for a new one
    await withGateway(vertexConfig(saAuth()), async (client) => {
      emu.enqueue(turn(s.plainText), turn(s.plainText));
      await client.chat.completions.create({ model: "x", messages: ask });
      await client.chat.completions.create({ model: "x", messages: ask });
      expect(google.tokenCalls).toBe(2);
      expect(emu.requests.at(-1)!.headers.get("authorization")).toBe("Bearer ya29.sa-2");
    });
  });

  test("a refused credential is a 401 that says why and leaks nothing", async () => {
    google.reject = { status: 400, error: "invalid_grant", description: "Invalid JWT Signature." };
    await withGateway(vertexConfig(saAuth()), async (client, gw) => {
      const before = emu.requests.length;
      const err = await client.chat.completions.create({ model: "x", messages: ask }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
      expect((err as Error).message).toContain("invalid_grant: Invalid JWT Signature.");
      expect(emu.requests.length).toBe(before);
      const key = JSON.parse(google.serviceAccountKey()).private_key as string;
      const secretBits = key.split("\n")[3]!;
      for (const text of [JSON.stringify((err as { error: unknown }).error), gw.rawLog()]) {
        expect(text).not.toContain(secretBits);
        expect(text).not.toContain("eyJ"); // no JWT
      }
    });
  });

  test("an unreachable token endpoint is a 503", async () => {
    const closed = join(dir, "closed.json");
    writeFileSync(closed, google.serviceAccountKey({ token_uri: "http://127.0.0.1:9/token", client_email: "other@my-project.iam.gserviceaccount.com" }));
    await withGateway(vertexConfig({ credential: { file: closed } }), async (client) => {
      const err = await client.chat.completions.create({ model: "x", messages: ask }).then(() => undefined, (e: unknown) => e);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect((err as Error).message).toContain("token endpoint http://127.0.0.1:9 is unreachable");
    });
  });

  test("idToken: target_audience instead of a scope, the ID token as bearer", async () => {
    await withGateway(vertexConfig({ type: "idToken", audience: "https://my-service.a.run.app", credential: { file: keyFile } }), async (client) => {
      emu.enqueue(turn(s.plainText));
      await client.chat.completions.create({ model: "x", messages: ask });
      expect(google.assertions.at(-1)!.claims).toMatchObject({ target_audience: "https://my-service.a.run.app", aud: google.tokenUri });
      expect(google.assertions.at(-1)!.claims.scope).toBeUndefined();
      const bearer = emu.requests.at(-1)!.headers.get("authorization")!;
      const claims = JSON.parse(Buffer.from(bearer.split(".")[1]!, "base64url").toString());
      expect(claims.aud).toBe("https://my-service.a.run.app");
    });
  });

  test("a credential that is not a Google key fails config loading, naming the field", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ type: "external_account", audience: "//iam.googleapis.com/x" }));
    const loaded = loadConfigText(providerYaml("vertex", emu, vertexConfig({ credential: { file: bad } })), "t.yaml", { env: {} });
    expect(loaded.ok).toBe(false);
    const text = JSON.stringify(!loaded.ok && loaded.errors);
    expect(text).toContain("credential");
    expect(text).toContain("external_account");
  });
});
