/**
 * `policies.ai` on a route: the route-type table, request defaults and overrides, model aliases.
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
      ai:
        routes: {"/v1/chat/completions": completions, "*": passthrough}
        defaults: {temperature: 0.2, user: gateway}
        overrides: {max_tokens: 64}
        modelAliases: {fast: gpt-4o-mini, "claude-*": gpt-4o}
    `,
  });
});
afterAll(async () => {
  await gw.stop();
  emu.stop();
});

const last = () => emu.requests.at(-1)!;

describe("policies.ai", () => {
  test("routes table, defaults, overrides and model aliases", async () => {
    const c = gw.client;
    await c.chat.completions.create({ model: "fast", messages: [{ role: "user", content: "hi" }], temperature: 0.9, max_tokens: 4000 });
    expect(last().json).toMatchObject({ model: "gpt-4o-mini", temperature: 0.9, user: "gateway", max_tokens: 64 });
    await c.chat.completions.create({ model: "claude-3-opus", messages: [{ role: "user", content: "hi" }] });
    expect(last().json.model).toBe("gpt-4o");
    // with an explicit routes table, /v1/models is passthrough (the upstream's own answer)
    const models = await c.models.list();
    expect(models.data.map((m) => m.id)).toContain("text-embedding-3-small");
  });
});

describe("modelAliases order", () => {
  test("exact names first, then patterns, the longest first, wherever the `*` is", async () => {
    const { compileAliases } = await import("../../src/policies/ai.ts");
    const alias = compileAliases({ "claude-*": "x", "claude-3-*": "y", "claude-3-opus": "z", "*-mini": "m", "*": "any" })!;
    expect(alias("claude-3-opus")).toBe("z");
    expect(alias("claude-3-haiku")).toBe("y");
    expect(alias("claude-2")).toBe("x");
    expect(alias("gpt-4o-mini")).toBe("m");
    expect(alias("other")).toBe("any");
  });
});
