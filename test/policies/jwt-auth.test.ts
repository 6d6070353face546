/**
 * `jwtAuth` through the SDK: algorithms, issuer/audience/expiry messages, several providers, a JWKS
 * served by a test server and rotated mid-test (an unknown kid fetches the set again), inline and
 * file JWKS, claims in CEL, and the token removed upstream unless backendAuth passthrough asks.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { apiError, BODY, chat, status } from "./helpers.ts";

let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];
let jwksServer: ReturnType<typeof Bun.serve>;
let served: { keys: JWK[] } = { keys: [] };
let fetches = 0;

type Signer = { kid: string; alg: string; key: CryptoKey; jwk: JWK };
async function signer(alg: string, kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, key: privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg } };
}
const NOW = Math.floor(Date.now() / 1000);
function token(s: Signer, claims: Record<string, unknown> = {}, iss = "https://idp.example.com"): Promise<string> {
  return new SignJWT({ sub: "alice", aud: "llm-gateway", iss, exp: NOW + 600, email: "alice@example.com", ...claims }).setProtectedHeader({ alg: s.alg, kid: s.kid }).sign(s.key);
}

let rs: Signer, es: Signer, ed: Signer, ps: Signer, other: Signer;
beforeAll(async () => {
  emu = startOpenAIEmulator();
  [rs, es, ed, ps, other] = await Promise.all([signer("RS256", "rs"), signer("ES256", "es"), signer("EdDSA", "ed"), signer("PS256", "ps"), signer("RS256", "other")]);
  served = { keys: [rs.jwk, es.jwk, ed.jwk, ps.jwk] };
  jwksServer = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: () => {
      fetches++;
      return Response.json(served);
    },
  });
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  jwksServer.stop(true);
  emu.stop();
});

async function gateway(policy: string, extra = ""): Promise<TestGateway> {
  const g = await startTestGateway(`
llm:
  port: 0
  policies:
    jwtAuth: ${policy}
${extra}
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream, baseUrl: "http://${emu.host}/v1"}
`);
  gateways.push(g);
  return g;
}
const remote = () => `{mode: strict, issuer: "https://idp.example.com", audiences: [llm-gateway], jwks: {url: "http://127.0.0.1:${jwksServer.port}/jwks"}}`;
const call = async (g: TestGateway, t: string) => status(chat(openaiClient(g.baseURL(), t)));

describe("jwtAuth", () => {
  test("RS256, ES256, EdDSA and PS256 tokens verify against a URL JWKS; the token does not go upstream", async () => {
    const g = await gateway(remote());
    for (const s of [rs, es, ed, ps]) expect((await call(g, await token(s))).status).toBe(200);
    expect(emu.requests.at(-1)!.headers.get("authorization")).toBe("Bearer sk-upstream");
  });

  test("failures say what is wrong, never the token", async () => {
    const g = await gateway(remote());
    const cases: [Promise<string>, string][] = [
      [token(rs, { exp: NOW - 180 }), "token expired 3 minutes ago"],
      [token(rs, {}, "https://evil.example.com"), `token issuer "https://evil.example.com" is not accepted here`],
      [token(rs, { aud: "someone-else" }), "token audience is not accepted here"],
      [token(rs, { exp: undefined }), "token is missing the required claim 'exp'"],
      [token(other), `token is signed with a key the issuer does not publish (kid "other")`],
      [Promise.resolve("not-a-jwt"), "the bearer token is not a valid JWT"],
    ];
    for (const [t, message] of cases) {
      const tok = await t;
      const e = await apiError(chat(openaiClient(g.baseURL(), tok)));
      expect(e.status).toBe(401);
      expect(e.message).toContain(message);
      expect(e.message).not.toContain(tok);
    }
    const tampered = (await token(rs)).replace(/\.[^.]+$/, ".AAAA");
    expect((await apiError(chat(openaiClient(g.baseURL(), tampered)))).message).toContain("signature is invalid");
    expect(g.rawLog()).not.toContain((await token(rs)).split(".")[2]!);
  });

  test("rotation: a token signed with a new key is accepted once the set is fetched again", async () => {
    const g = await gateway(remote());
    expect((await call(g, await token(rs))).status).toBe(200);
    const next = await signer("ES384", "rotated");
    served = { keys: [next.jwk] };
    await Bun.sleep(1100); // refetches on an unknown kid are at most once a second
    const before = fetches;
    expect((await call(g, await token(next))).status).toBe(200);
    expect(fetches).toBe(before + 1);
    expect((await call(g, await token(rs))).status).toBe(401); // the old key left the set
    served = { keys: [rs.jwk, es.jwk, ed.jwk, ps.jwk] };
  });

  test("several providers, inline and file JWKS, claims in CEL, optional and permissive modes, passthrough", async () => {
    const dir = mkdtempSync(join(tmpdir(), "agw-jwks-"));
    writeFileSync(join(dir, "other.json"), JSON.stringify({ keys: [other.jwk] }));
    const g = await gateway(
      `
      mode: strict
      providers:
      - {issuer: "https://idp.example.com", jwks: '${JSON.stringify({ keys: [rs.jwk] })}'}
      - {issuer: "https://other.example.com", jwks: {file: "${join(dir, "other.json")}"}, jwtValidationOptions: {requiredClaims: []}}`,
      `    authorization: {rules: ['jwt.email.endsWith("@example.com")']}`,
    );
    expect((await call(g, await token(rs))).status).toBe(200);
    expect((await call(g, await token(other, { exp: undefined }, "https://other.example.com"))).status).toBe(200);
    expect((await call(g, await token(rs, { email: "mallory@evil.test" }))).status).toBe(403);

    const optional = await gateway(`{issuer: "https://idp.example.com", jwks: '${JSON.stringify({ keys: [rs.jwk] })}'}`);
    const noToken = await fetch(`${optional.baseURL()}/chat/completions`, { method: "POST", body: BODY });
    expect(noToken.status).toBe(200); // no token: fine
    expect((await call(optional, "garbage")).status).toBe(401);
    const permissive = await gateway(`{mode: permissive, issuer: "https://idp.example.com", jwks: '${JSON.stringify({ keys: [rs.jwk] })}'}`);
    expect((await call(permissive, "garbage")).status).toBe(200);

    const pass = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - policies:
        jwtAuth: {mode: strict, issuer: "https://idp.example.com", jwks: '${JSON.stringify({ keys: [rs.jwk] })}'}
        backendAuth: {passthrough: {}}
      backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`);
    gateways.push(pass);
    const t = await token(rs);
    expect((await call(pass, t)).status).toBe(200);
    expect(emu.requests.at(-1)!.headers.get("authorization")).toBe(`Bearer ${t}`);
  });

  test("an invalid inline JWKS is a located config error", async () => {
    await expect(gateway(`{issuer: x, jwks: '{"nokeys": 1}'}`)).rejects.toThrow(/llm\.policies\.jwtAuth\.jwks: invalid JWKS: expected a JSON Web Key Set/);
  });
});
