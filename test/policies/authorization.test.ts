/** `authorization` rules: allow / deny / require semantics, errors counting as false, levels, located CEL errors. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { apiError, chat, status } from "./helpers.ts";

let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];
beforeAll(() => {
  emu = startOpenAIEmulator();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  emu.stop();
});

const KEYS = `apiKey: {mode: strict, keys: [{key: sk-gold, metadata: {tier: gold}}, {key: sk-free, metadata: {tier: free}}, {key: sk-bare}]}`;

async function gateway(rules: string, where: "llm" | "backend" = "llm"): Promise<TestGateway> {
  const yaml =
    where === "llm"
      ? `
llm:
  port: 0
  policies:
    ${KEYS}
    authorization: {rules: ${rules}}
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
`
      : `
binds:
- port: 0
  listeners:
  - routes:
    - policies: {${KEYS}}
      backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}, policies: {authorization: {rules: ${rules}}}}}]
`;
  const g = await startTestGateway(yaml);
  gateways.push(g);
  return g;
}

const as = (g: TestGateway, key: string, model = "gpt-4o-mini") => status(chat(openaiClient(g.baseURL(), key), model));

describe("authorization", () => {
  test("allow rules: any true allows, none true denies with a 403 naming the rule", async () => {
    const g = await gateway(`['apiKey.tier == "gold"', 'llm.requestModel.startsWith("gpt-4o-mini")']`);
    expect((await as(g, "sk-gold", "o3")).status).toBe(200);
    expect((await as(g, "sk-free", "gpt-4o-mini")).status).toBe(200);
    const e = await apiError(chat(openaiClient(g.baseURL(), "sk-free"), "o3"));
    expect(e.status).toBe(403);
    expect(e.code).toBe("authorization_denied");
    expect(e.message).toContain("none of the 2 allow rules matches");
  });

  test("deny and require; an erroring require denies, an erroring deny does not", async () => {
    const g = await gateway(`[{deny: 'apiKey.tier == "free"'}, {require: 'apiKey.tier != "bronze"'}]`);
    expect((await as(g, "sk-gold")).status).toBe(200);
    const free = await apiError(chat(openaiClient(g.baseURL(), "sk-free")));
    expect(free.message).toContain(`denied by the rule "apiKey.tier == \\"free\\""`);
    // sk-bare has no tier: the deny errors (not denied), the require errors (denied)
    const bare = await apiError(chat(openaiClient(g.baseURL(), "sk-bare")));
    expect(bare.message).toContain("required rule");
    const denyOnly = await gateway(`[{deny: 'apiKey.tier == "free"'}]`);
    expect((await as(denyOnly, "sk-bare")).status).toBe(200);
  });

  test("on a backend: checked before the upstream call", async () => {
    const g = await gateway(`['request.headers["x-team"] == "red"']`, "backend");
    const before = emu.requests.length;
    expect((await as(g, "sk-gold")).status).toBe(403);
    expect(emu.requests.length).toBe(before);
  });

  test("a bad expression is a located config error", async () => {
    await expect(gateway(`['apiKey.tier ==']`)).rejects.toThrow(/test\.yaml:6:29 at llm\.policies\.authorization\.rules\[0\]: invalid CEL expression "apiKey\.tier =="/);
    await expect(gateway(`[{require: 'reqest.path == "/"'}]`)).rejects.toThrow(/rules\[0\]\.require: invalid CEL expression .*Unknown variable: reqest/);
  });
});

describe("authorization on an llm: model", () => {
  test("the model's rules are checked before its provider is called", async () => {
    const g = await startTestGateway(`
llm:
  port: 0
  models:
  - name: gpt-4o-mini
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
    authorization:
      rules:
      - 'request.headers["x-org"] == "engineering"'
`);
    gateways.push(g);
    const before = emu.requests.length;
    expect((await as(g, "x")).status).toBe(403);
    expect(emu.requests.length).toBe(before);
  });
});
