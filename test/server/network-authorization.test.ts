/**
 * `frontendPolicies.networkAuthorization` over real connections: CEL rules on the client's
 * address and port (with the `cidr()` functions agentgateway's examples use) decide before any
 * route or policy runs; a refused client gets a 403 in the OpenAI shape and its connection closed,
 * and the provider is never called. Plus the CIDR functions themselves (IPv4, IPv6, IPv4-mapped).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { compileCel } from "../../src/cel/index.ts";
import { loadConfigText } from "../../src/config/load.ts";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];

beforeAll(() => {
  emu = startOpenAIEmulator();
});
afterAll(async () => {
  for (const g of gateways) await g.stop();
  await emu.stop();
});

const withRules = async (rules: string) => {
  const gw = await startTestGateway(`
frontendPolicies:
  networkAuthorization:
    rules: ${rules}
binds:
- port: 0
  listeners:
  - routes:
    - backends:
      - ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}
`);
  gateways.push(gw);
  return gw;
};
const ask = (gw: TestGateway) => new OpenAI({ baseURL: `${gw.origin()}/v1`, apiKey: "k", maxRetries: 0 }).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });

describe("networkAuthorization", () => {
  test("a client outside the allowed ranges is refused with a 403 and its connection closed; the provider is not called", async () => {
    const gw = await withRules(`[{allow: 'cidr("10.0.0.0/8").containsIP(source.address)'}]`);
    const before = emu.requests.length;
    const err = (await ask(gw).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((err.error as { code?: string }).code).toBe("network_authorization_denied");
    expect(err.message).toContain("does not allow it");
    expect(emu.requests.length).toBe(before);
    const res = await fetch(`${gw.origin()}/v1/models`);
    expect(res.status).toBe(403);
    expect(res.headers.get("connection")).toBe("close");
  });

  test("an allowed range lets the request through (loopback, as this client connects)", async () => {
    const gw = await withRules(`[{allow: 'cidr("127.0.0.0/8").containsIP(source.address) || cidr("::1/128").containsIP(source.address)'}]`);
    expect((await ask(gw)).choices).toHaveLength(1);
  });

  test("deny and require rules see the client's port", async () => {
    const denied = await withRules(`[{deny: 'source.port > 1024'}]`);
    expect(((await ask(denied).catch((e: unknown) => e)) as { status?: number }).status).toBe(403);
    const required = await withRules(`[{require: 'source.port > 1024'}]`);
    expect((await ask(required)).choices).toHaveLength(1);
  });

  test("a rule that does not compile fails the load, located", () => {
    const r = loadConfigText(`frontendPolicies:\n  networkAuthorization:\n    rules: [{allow: 'cidr("10.0.0.0/8").containsIP('}]\nbinds: []\n`, "cfg.yaml", { env: { READINESS_ADDR: "off" } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]!.path).toBe("frontendPolicies.networkAuthorization.rules[0].allow");
  });
});

describe("cidr() in CEL", () => {
  const run = (src: string, vars: object = {}) => compileCel(src).run(vars);
  test.each([
    ['cidr("10.0.0.0/8").containsIP("10.255.0.1")', true],
    ['cidr("10.0.0.0/8").containsIP("11.0.0.1")', false],
    ['cidr("10.0.0.0/8").containsIP("::ffff:10.1.2.3")', true],
    ['cidr("192.168.1.0/24").containsIP(ip("192.168.1.77"))', true],
    ['cidr("2001:db8::/32").containsIP("2001:db8:ffff::1")', true],
    ['cidr("2001:db8::/32").containsIP("2001:db9::1")', false],
    ['cidr("fe80::/10").containsIP("10.0.0.1")', false],
    ['cidr("10.0.0.0/8").containsCIDR("10.4.0.0/16")', true],
    ['cidr("10.0.0.0/16").containsCIDR("10.0.0.0/8")', false],
    ['cidr("0.0.0.0/0").containsIP("203.0.113.9")', true],
  ] as const)("%s is %p", (src, expected) => {
    expect(run(src)).toBe(expected);
  });

  test("bad addresses and prefixes fail the expression", () => {
    for (const src of ['cidr("10.0.0.0/33")', 'cidr("10.0.0.0")', 'cidr("10.0.0.256/8")', 'ip("1::2::3")', 'ip("::1:2:3:4:5:6:7:8")']) expect(() => run(src)).toThrow();
  });
});
