/**
 * `backendAuth.azure`: Entra ID tokens from a client secret, a managed identity (IMDS) or the
 * implicit chain (here: workload identity), fetched from fake identity endpoints, cached, renewed,
 * and sent as `Authorization: Bearer` (never moved to `api-key`).
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startAzureEmulator, type AzureEmulator } from "../emulators/azure.ts";
import { startAzureTokenEmulator, type AzureTokenEmulator } from "../emulators/azure-token.ts";
import { gatewayFor, openaiClient, type GatewayForOptions, type TestGateway } from "../helpers/gateway.ts";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID = "0b1e4a5c-1111-4222-8333-944445555666";
const SECRET = "Zx8Q~super.secret-value_123";
const FEDERATED = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YWk6Z3cifQ.sig";

let ids: AzureTokenEmulator;
let azure: AzureEmulator;
const savedEnv: Record<string, string | undefined> = {};
const ENV_KEYS = ["AZURE_AUTHORITY_HOST", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"];

beforeAll(() => {
  ids = startAzureTokenEmulator({ tenantId: TENANT, clientId: CLIENT_ID, clientSecret: SECRET, federatedToken: FEDERATED });
  // the emulator accepts whatever the identity endpoints issued
  azure = startAzureEmulator({ apiKey: "unused-key", entraTokens: ids.tokens });
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  process.env.AZURE_AUTHORITY_HOST = ids.origin;
  process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = ids.origin;
});

afterEach(() => {
  for (const k of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"]) delete process.env[k];
});

afterAll(() => {
  for (const k of ENV_KEYS) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
  ids?.stop();
  azure?.stop();
});

/** An Azure backend on the emulator with `backendAuth: {azure: <auth>}`. */
function config(auth: Record<string, unknown>): GatewayForOptions {
  return { settings: "{resourceName: myres, resourceType: openAI, model: gpt-4o-mini}", auth: { azure: auth } };
}

const clientSecret = (secret = SECRET) => ({ explicitConfig: { clientSecret: { tenant_id: TENANT, client_id: CLIENT_ID, client_secret: secret } } });
const hello = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "Hello" }] };
const lastAuth = () => azure.requests.at(-1)!.headers.get("authorization");

async function withGateway(opts: GatewayForOptions, fn: (gw: TestGateway) => Promise<void>) {
  const gw = await gatewayFor("azure", azure, opts);
  try {
    await fn(gw);
  } finally {
    await gw.stop();
  }
}

describe("backendAuth.azure", () => {
  test("client secret: one token for many requests, sent as a bearer, renewed when it expires", async () => {
    await withGateway(config(clientSecret()), async (gw) => {
      const before = ids.calls.length;
      ids.lifetimes.push(3599);
      const client = openaiClient(gw.baseURL(), "client-key-ignored");
      await client.chat.completions.create(hello);
      await client.chat.completions.create({ ...hello, stream: true }).then(async (s) => {
        for await (const _ of s) {
          // drain
        }
      });
      await client.embeddings.create({ model: "text-embedding-3-small", input: "x" });
      const calls = ids.calls.slice(before);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.tenant).toBe(TENANT);
      expect(calls[0]!.form!.get("client_id")).toBe(CLIENT_ID);
      expect(calls[0]!.form!.get("scope")).toBe("https://cognitiveservices.azure.com/.default");
      const token = ids.tokens.at(-1)!;
      expect(lastAuth()).toBe(`Bearer ${token}`);
      // an Entra token is not an API key: no api-key header, and the client's key never goes up
      expect(azure.requests.at(-1)!.headers.get("api-key")).toBeNull();
    });
  });

  test("a token that is about to expire is replaced before use", async () => {
    await withGateway(config(clientSecret()), async (gw) => {
      const before = ids.tokens.length;
      ids.lifetimes.push(0, 3599); // the first token is already due for renewal
      const client = openaiClient(gw.baseURL());
      await client.chat.completions.create(hello);
      const first = ids.tokens[before]!;
      expect(lastAuth()).toBe(`Bearer ${first}`);
      await client.chat.completions.create(hello);
      const second = ids.tokens[before + 1]!;
      expect(lastAuth()).toBe(`Bearer ${second}`);
      await client.chat.completions.create(hello);
      expect(lastAuth()).toBe(`Bearer ${second}`);
      expect(ids.tokens.length).toBe(before + 2);
    });
  });

  test("concurrent first requests share one token fetch", async () => {
    await withGateway(config(clientSecret()), async (gw) => {
      const before = ids.calls.length;
      const client = openaiClient(gw.baseURL());
      await Promise.all(Array.from({ length: 8 }, () => client.chat.completions.create(hello)));
      expect(ids.calls.length - before).toBe(1);
    });
  });

  test("a refused secret is a 401 that names Entra's reason, never the secret", async () => {
    await withGateway(config(clientSecret("wrong-secret-value")), async (gw) => {
      const requestsBefore = azure.requests.length;
      const err = await openaiClient(gw.baseURL()).chat.completions.create(hello).catch((e) => e);
      expect(err.status).toBe(401);
      expect(err.error.message).toContain("AADSTS7000215");
      expect(err.error.message).not.toContain("wrong-secret-value");
      expect(gw.rawLog()).not.toContain("wrong-secret-value");
      expect(azure.requests.length).toBe(requestsBefore);
    });
  });

  test("managed identity: a user-assigned identity's token from IMDS", async () => {
    await withGateway(config({ explicitConfig: { managedIdentity: { userAssignedIdentity: { clientId: CLIENT_ID } } } }), async (gw) => {
      await openaiClient(gw.baseURL()).chat.completions.create(hello);
      const call = ids.calls.at(-1)!;
      expect(call.kind).toBe("imds");
      expect(call.headers.get("metadata")).toBe("true");
      expect(call.query!.get("resource")).toBe("https://cognitiveservices.azure.com");
      expect(call.query!.get("client_id")).toBe(CLIENT_ID);
      expect(lastAuth()).toBe(`Bearer ${ids.tokens.at(-1)}`);
    });
  });

  test("implicit: the environment's workload identity (federated token file) is used", async () => {
    const dir = mkdtempSync(join(tmpdir(), "azure-wi-"));
    const file = join(dir, "token");
    writeFileSync(file, `${FEDERATED}\n`);
    process.env.AZURE_TENANT_ID = TENANT;
    process.env.AZURE_CLIENT_ID = CLIENT_ID;
    process.env.AZURE_FEDERATED_TOKEN_FILE = file;
    await withGateway(config({ implicit: {} }), async (gw) => {
      await openaiClient(gw.baseURL()).chat.completions.create(hello);
      const call = ids.calls.at(-1)!;
      expect(call.kind).toBe("clientCredentials");
      expect(call.form!.get("client_assertion")).toBe(FEDERATED);
      expect(call.form!.get("client_secret")).toBeNull();
      expect(lastAuth()).toBe(`Bearer ${ids.tokens.at(-1)}`);
    });
  });

  test("implicit with nothing in the environment falls back to the system-assigned managed identity", async () => {
    await withGateway(config({ implicit: {} }), async (gw) => {
      await openaiClient(gw.baseURL()).chat.completions.create(hello);
      const call = ids.calls.at(-1)!;
      expect(call.kind).toBe("imds");
      expect(call.query!.get("client_id")).toBeNull();
    });
  });
});
