/** `basicAuth` over real HTTP: htpasswd inline and from a watched file, WWW-Authenticate, modes, the credential stripped. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { eventually, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { apiError, BODY, chat } from "./helpers.ts";

let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];
beforeAll(() => {
  emu = startOpenAIEmulator();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  emu.stop();
});

const APR = "alice:$apr1$r31Aa0Zb$Uvb4kHFbuEa1Px3uOkATw."; // alice / password
// inside the config text a literal `$` is written `$$` (the whole file is env-expanded, as in agentgateway)
const APR_IN_YAML = APR.replaceAll("$", "$$$$");
const basic = (user: string, pw: string) => `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;

async function gateway(policy: string): Promise<TestGateway> {
  const g = await startTestGateway(`
llm:
  port: 0
  policies:
    basicAuth: ${policy}
    authorization: {rules: ['basicAuth == null || basicAuth.username != "mallory"']}
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
`);
  gateways.push(g);
  return g;
}

const post = (g: TestGateway, auth?: string) =>
  fetch(`${g.baseURL()}/chat/completions`, { method: "POST", body: BODY, headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) } });

describe("basicAuth", () => {
  test("strict: valid credentials pass (and go no further); missing or wrong ones are a 401 with WWW-Authenticate", async () => {
    const g = await gateway(`{mode: strict, realm: LLM, htpasswd: "${APR_IN_YAML}"}`);
    const ok = await post(g, basic("alice", "password"));
    expect(ok.status).toBe(200);
    expect(emu.requests.at(-1)!.headers.get("authorization")).toBe("Bearer sk-upstream");
    for (const auth of [undefined, basic("alice", "wrong"), basic("bob", "password"), "Basic !!!"]) {
      const res = await post(g, auth);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toBe('Basic realm="LLM"');
      const body = (await res.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe("authentication_error");
      expect(body.error.message).not.toContain("wrong"); // the password tried is never echoed
    }
    // the SDK surfaces it as an AuthenticationError
    const client = new OpenAI({ baseURL: g.baseURL(), apiKey: "x", maxRetries: 0 });
    expect(await apiError(chat(client))).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  test("optional (default): no credentials pass, the default realm is Restricted", async () => {
    const g = await gateway(`{htpasswd: "${APR_IN_YAML}"}`);
    expect((await post(g)).status).toBe(200);
    const res = await post(g, basic("alice", "nope"));
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="Restricted"');
  });

  test("a file is watched: a user added to it can log in without a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agw-htpasswd-"));
    const file = join(dir, "users");
    writeFileSync(file, `${APR}\n`);
    const g = await gateway(`{mode: strict, htpasswd: {file: "${file}"}}`);
    expect((await post(g, basic("sha", "password"))).status).toBe(401);
    await Bun.sleep(20);
    writeFileSync(file, `${APR}\nsha:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n`);
    await eventually(async () => (await post(g, basic("sha", "password"))).status === 200, 5000, "the new user is accepted");
  });

  test("an unsupported entry is a located config error", async () => {
    await expect(gateway(`{htpasswd: "bob:rl0uE1y0y8Yeo"}`)).rejects.toThrow(/test\.yaml:\d+.*unsupported hash/s);
  });
});
