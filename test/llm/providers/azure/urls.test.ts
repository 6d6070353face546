/**
 * Azure OpenAI / AI Foundry through the OpenAI SDK: for every resource type and API version the
 * request lands on Azure's URL with the right `api-version` and the key in `api-key`; bodies and
 * streams pass through.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type OpenAI from "openai";
import { azureAdapter, type AzureSpec } from "../../../../src/llm/providers/azure/index.ts";
import { startAzureEmulator, type AzureEmulator } from "../../../emulators/azure.ts";
import { gatewayFor, openaiClient, startTestGateway, type TestGateway } from "../../../helpers/gateway.ts";

const KEY = "0123456789abcdef0123456789abcdef";

let emu: AzureEmulator;

beforeAll(() => {
  emu = startAzureEmulator({ apiKey: KEY });
});

afterAll(() => {
  emu?.stop();
});

/** A gateway with one Azure backend on the emulator (`azure:` settings, or the legacy `azureOpenAI:`), the key as backendAuth. */
const azure = (settings: Record<string, unknown>, provider: "azure" | "azureOpenAI" = "azure") => gatewayFor(provider, emu, { settings, auth: { key: KEY } });

async function withGateway(started: Promise<TestGateway>, fn: (client: OpenAI) => Promise<void>) {
  const gw = await started;
  try {
    await fn(openaiClient(gw.baseURL()));
  } finally {
    await gw.stop();
  }
}

const last = () => emu.requests.at(-1)!;
const hello = { messages: [{ role: "user" as const, content: "Hello" }] };

async function exercise(client: OpenAI, model: string) {
  const seen: { path: string; query: string }[] = [];
  const note = () => seen.push({ path: last().path, query: last().query });

  const chat = await client.chat.completions.create({ model, ...hello });
  expect(chat.choices[0]!.message.content).toBe('Hello! You said: "Hello".');
  note();

  const stream = await client.chat.completions.create({ model, ...hello, stream: true });
  let text = "";
  let finish: string | null = null;
  for await (const c of stream) {
    text += c.choices[0]?.delta.content ?? "";
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  expect([text, finish]).toEqual(['Hello! You said: "Hello". ', "stop"]);
  note();

  const emb = await client.embeddings.create({ model: "text-embedding-3-small", input: ["a", "b"] });
  expect(emb.data).toHaveLength(2);
  note();

  const resp = await client.responses.create({ model, input: "Hi there" });
  expect(resp.output_text).toBe("Azure answered: Hi there");
  note();
  return seen;
}

describe("azure URL schemes", () => {
  test("openAI, apiVersion v1 (the default): /openai/v1/..., no api-version", async () => {
    await withGateway(azure({ resourceName: "myres", resourceType: "openAI", model: "gpt-4o-mini" }), async (client) => {
      expect(await exercise(client, "gpt-4o-mini")).toEqual([
        { path: "/openai/v1/chat/completions", query: "" },
        { path: "/openai/v1/chat/completions", query: "" },
        { path: "/openai/v1/embeddings", query: "" },
        { path: "/openai/v1/responses", query: "" },
      ]);
      // the key travels as api-key, never as a bearer
      expect(last().headers.get("api-key")).toBe(KEY);
      expect(last().headers.get("authorization")).toBeNull();
    });
  });

  test("openAI, apiVersion preview: /openai/v1/...?api-version=preview", async () => {
    await withGateway(azure({ resourceName: "myres", resourceType: "openAI", apiVersion: "preview" }), async (client) => {
      const seen = await exercise(client, "gpt-4o");
      expect(seen.map((s) => s.query)).toEqual(["?api-version=preview", "?api-version=preview", "?api-version=preview", "?api-version=preview"]);
      expect(seen[0]!.path).toBe("/openai/v1/chat/completions");
    });
  });

  test("openAI, a dated apiVersion: deployment paths named after the model", async () => {
    await withGateway(azure({ resourceName: "myres", resourceType: "openAI", apiVersion: "2024-10-21", model: "my-gpt4o-deployment" }), async (client) => {
      expect(await exercise(client, "ignored")).toEqual([
        { path: "/openai/deployments/my-gpt4o-deployment/chat/completions", query: "?api-version=2024-10-21" },
        { path: "/openai/deployments/my-gpt4o-deployment/chat/completions", query: "?api-version=2024-10-21" },
        // embeddings keep the client's model: its deployment
        { path: "/openai/deployments/text-embedding-3-small/embeddings", query: "?api-version=2024-10-21" },
        { path: "/openai/responses", query: "?api-version=2024-10-21" },
      ]);
    });
  });

  test("foundry with a project: /api/projects/{project}/openai/v1/...", async () => {
    await withGateway(azure({ resourceName: "myhub", resourceType: "foundry", projectName: "proj-1" }), async (client) => {
      const seen = await exercise(client, "gpt-4.1");
      expect(seen.map((s) => s.path)).toEqual([
        "/api/projects/proj-1/openai/v1/chat/completions",
        "/api/projects/proj-1/openai/v1/chat/completions",
        "/api/projects/proj-1/openai/v1/embeddings",
        "/api/projects/proj-1/openai/v1/responses",
      ]);
      expect(seen.every((s) => s.query === "")).toBe(true);
    });
  });

  test("aiServices without a project name uses the resource name as the project", async () => {
    await withGateway(azure({ resourceName: "mysvc", resourceType: "aiServices" }), async (client) => {
      await client.chat.completions.create({ model: "gpt-4o", ...hello });
      expect(last().path).toBe("/api/projects/mysvc/openai/v1/chat/completions");
    });
  });

  test("the legacy azureOpenAI form", async () => {
    await withGateway(azure({ host: "myres.openai.azure.com", apiVersion: "2024-06-01", model: "dep-1" }, "azureOpenAI"), async (client) => {
      await client.chat.completions.create({ model: "x", ...hello });
      expect(last().path).toBe("/openai/deployments/dep-1/chat/completions");
      expect(last().query).toBe("?api-version=2024-06-01");
      expect(last().headers.get("api-key")).toBe(KEY);
    });
  });

  test("models: an unpinned backend lists the upstream's models (v1 and dated API)", async () => {
    await withGateway(azure({ resourceName: "myres", resourceType: "openAI" }), async (client) => {
      const list = await client.models.list();
      expect(list.data.map((m) => m.id)).toContain("gpt-4o-mini");
      expect(last().path).toBe("/openai/v1/models");
    });
    await withGateway(azure({ resourceName: "myres", resourceType: "openAI", apiVersion: "2024-10-21" }), async (client) => {
      await client.models.list();
      expect(last().path).toBe("/openai/models");
      expect(last().query).toBe("?api-version=2024-10-21");
    });
  });

  test("the body passes through: pinned model set, client fields untouched, usage asked upstream", async () => {
    await withGateway(azure({ resourceName: "myres", resourceType: "openAI", model: "gpt-4o-mini" }), async (client) => {
      const stream = await client.chat.completions.create({ model: "whatever", ...hello, stream: true, temperature: 0.3, logit_bias: { "50256": -100 } });
      for await (const _ of stream) {
        // drain
      }
      expect(last().json).toMatchObject({ model: "gpt-4o-mini", temperature: 0.3, logit_bias: { "50256": -100 }, stream: true, stream_options: { include_usage: true } });
    });
  });

  test("the llm: short form (azureResourceName, azureApiVersion)", async () => {
    const yaml = [
      "llm:",
      "  port: 0",
      "  models:",
      "  - name: gpt-4o",
      "    provider: azure",
      "    params:",
      "      model: prod-gpt4o",
      "      azureResourceName: myres",
      "      azureResourceType: openAI",
      "      azureApiVersion: 2025-01-01-preview",
      `      hostOverride: ${emu.host}`,
      `      apiKey: ${KEY}`,
      "",
    ].join("\n");
    await withGateway(startTestGateway(yaml), async (client) => {
      await client.chat.completions.create({ model: "gpt-4o", ...hello });
      expect(last().path).toBe("/openai/deployments/prod-gpt4o/chat/completions");
      expect(last().query).toBe("?api-version=2025-01-01-preview");
      expect(last().headers.get("api-key")).toBe(KEY);
    });
  });

  test("Azure's own errors reach the SDK unchanged (wrong key: 401)", async () => {
    const gw = await gatewayFor("azure", emu, { settings: { resourceName: "myres", resourceType: "openAI" } });
    try {
      const err = await openaiClient(gw.baseURL(), "not-the-key").chat.completions.create({ model: "gpt-4o", ...hello }).catch((e) => e);
      expect(err.status).toBe(401);
      expect(err.error.message).toContain("Access denied due to invalid subscription key");
      // the client's own key was moved to api-key too
      expect(last().headers.get("api-key")).toBe("not-the-key");
    } finally {
      await gw.stop();
    }
  });
});

describe("azure hosts (no hostOverride)", () => {
  const base = (spec: AzureSpec) => azureAdapter.defaultBase(spec);
  test("each resource type has its own host and base path", () => {
    expect(base({ resourceName: "myres", resourceType: "openAI" })).toEqual({ origin: "https://myres.openai.azure.com", basePath: "/openai/v1" });
    expect(base({ resourceName: "myres", resourceType: "openAI", apiVersion: "2024-10-21" })).toEqual({ origin: "https://myres.openai.azure.com", basePath: "/openai" });
    expect(base({ resourceName: "hub", resourceType: "foundry", projectName: "p" })).toEqual({ origin: "https://hub.services.ai.azure.com", basePath: "/api/projects/p/openai/v1" });
    expect(base({ resourceName: "svc", resourceType: "aiServices" })).toEqual({ origin: "https://svc.services.ai.azure.com", basePath: "/api/projects/svc/openai/v1" });
    expect(base({ legacyHost: "legacy.openai.azure.com", apiVersion: "2024-06-01" })).toEqual({ origin: "https://legacy.openai.azure.com", basePath: "/openai" });
  });
});
