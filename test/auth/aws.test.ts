/**
 * `backendAuth.aws` and the default AWS credential chain: each source against a fake of its
 * endpoint or files, refresh before expiry, and the chain's credentials signing real requests
 * that AWS's own verifier (in the Bedrock emulator) accepts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { credentialChain, CredentialError, type CredentialDeps } from "../../src/auth/aws-credentials.ts";
import { DEFAULT_SOURCES, sigV4Authorizer } from "../../src/auth/aws.ts";
import { bedrockAdapter } from "../../src/llm/providers/bedrock/index.ts";
import { startBedrockEmulator, verifySignature, type BedrockEmulator } from "../emulators/bedrock.ts";
import { CONTAINER_PATH, fakeCredentials, startCredentialEndpoints, type CredentialEndpoints } from "../emulators/aws-credentials.ts";
import { gatewayFor, openaiClient, startTestGateway } from "../helpers/gateway.ts";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../emulators/anthropic.ts";
import * as s from "../llm/providers/anthropic/scripts.ts";

let ep: CredentialEndpoints;
let emu: BedrockEmulator;
const dir = mkdtempSync(join(tmpdir(), "aws-chain-"));
beforeAll(() => {
  ep = startCredentialEndpoints();
  emu = startBedrockEmulator();
});
afterAll(() => {
  ep.stop();
  emu.stop();
});
afterEach(() => {
  ep.credentials = fakeCredentials(1);
  ep.containerToken = undefined;
  ep.role = "gateway-instance-role";
});

/** An environment with every source off unless a test turns it on. */
function deps(env: Record<string, string> = {}, clock = { now: Date.now() }): CredentialDeps {
  return {
    env: { AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"), AWS_CONFIG_FILE: join(dir, "none"), AWS_EC2_METADATA_DISABLED: "true", ...env },
    homeDir: dir,
    now: () => clock.now,
    fetch: (url, init) => fetch(url, init),
  };
}

const chain = (d: CredentialDeps) => credentialChain(DEFAULT_SOURCES, d);

describe("sources", () => {
  test("environment variables", async () => {
    const creds = await chain(deps({ AWS_ACCESS_KEY_ID: "AKIAENV", AWS_SECRET_ACCESS_KEY: "envsecret", AWS_SESSION_TOKEN: "envtoken" }))();
    expect(creds).toEqual({ accessKeyId: "AKIAENV", secretAccessKey: "envsecret", sessionToken: "envtoken" });
  });

  test("shared credentials and config files, AWS_PROFILE choosing the profile", async () => {
    const credentials = join(dir, "credentials");
    const config = join(dir, "config");
    writeFileSync(credentials, "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = defaultsecret\n\n[dev]\n# a comment\naws_access_key_id=AKIADEV\naws_secret_access_key=devsecret\naws_session_token=devtoken\n");
    writeFileSync(config, "[default]\nregion = us-east-1\n\n[profile cfg]\nregion = eu-west-1\naws_access_key_id = AKIACFG\naws_secret_access_key = cfgsecret\ns3 =\n  max_concurrent_requests = 20\n");
    const files = { AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config };
    expect(await chain(deps(files))()).toEqual({ accessKeyId: "AKIADEFAULT", secretAccessKey: "defaultsecret", sessionToken: undefined });
    expect(await chain(deps({ ...files, AWS_PROFILE: "dev" }))()).toEqual({ accessKeyId: "AKIADEV", secretAccessKey: "devsecret", sessionToken: "devtoken" });
    expect((await chain(deps({ ...files, AWS_PROFILE: "cfg" }))()).accessKeyId).toBe("AKIACFG");
    const missing = await chain(deps({ ...files, AWS_PROFILE: "nope" }))().catch((e) => e);
    expect(missing).toBeInstanceOf(CredentialError);
    expect(missing.message).toContain("'nope' was not found");
  });

  test("~/.aws is the default location", async () => {
    const home = mkdtempSync(join(tmpdir(), "aws-home-"));
    Bun.spawnSync(["mkdir", "-p", join(home, ".aws")]);
    writeFileSync(join(home, ".aws", "credentials"), "[default]\naws_access_key_id = AKIAHOME\naws_secret_access_key = homesecret\n");
    const d = deps();
    delete d.env.AWS_SHARED_CREDENTIALS_FILE;
    delete d.env.AWS_CONFIG_FILE;
    expect((await chain({ ...d, homeDir: home })()).accessKeyId).toBe("AKIAHOME");
  });

  test("credential_process, and profiles the gateway cannot resolve say why", async () => {
    const script = join(dir, "creds.sh");
    writeFileSync(script, `#!/bin/sh\necho '{"Version": 1, "AccessKeyId": "ASIAPROC", "SecretAccessKey": "procsecret", "SessionToken": "proctoken", "Expiration": "2099-01-01T00:00:00Z"}'\n`);
    chmodSync(script, 0o755);
    const config = join(dir, "config-proc");
    writeFileSync(config, `[profile proc]\ncredential_process = ${script}\n\n[profile assumed]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n`);
    expect(await chain(deps({ AWS_CONFIG_FILE: config, AWS_PROFILE: "proc" }))()).toEqual({ accessKeyId: "ASIAPROC", secretAccessKey: "procsecret", sessionToken: "proctoken" });
    const err = await chain(deps({ AWS_CONFIG_FILE: config, AWS_PROFILE: "assumed" }))().catch((e) => e);
    expect(err.message).toContain("role_arn");
  });

  test("web identity (EKS IRSA): the token file goes to STS, its credentials come back", async () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "eyJhbGciOiJSUzI1NiJ9.fake.jwt\n");
    const creds = await chain(deps({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/gw", AWS_ENDPOINT_URL_STS: ep.origin }))();
    expect(creds).toEqual({ accessKeyId: ep.credentials.AccessKeyId, secretAccessKey: ep.credentials.SecretAccessKey, sessionToken: ep.credentials.Token });
    expect(ep.lastStsForm?.get("WebIdentityToken")).toBe("eyJhbGciOiJSUzI1NiJ9.fake.jwt");
    expect(ep.lastStsForm?.get("RoleArn")).toBe("arn:aws:iam::123456789012:role/gw");
  });

  test("container credentials (ECS / EKS Pod Identity) with the authorization token file", async () => {
    ep.containerToken = "Bearer pod-identity-token";
    const tokenFile = join(dir, "eks-token");
    writeFileSync(tokenFile, "Bearer pod-identity-token");
    const creds = await chain(deps({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ep.origin}${CONTAINER_PATH}`, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: tokenFile }))();
    expect(creds.accessKeyId).toBe(ep.credentials.AccessKeyId);
    const refused = await chain(deps({ AWS_CONTAINER_CREDENTIALS_FULL_URI: "http://10.0.0.5/creds" }))().catch((e) => e);
    expect(refused.message).toContain("loopback");
  });

  test("instance metadata (IMDSv2 only): session token first, then the role's credentials", async () => {
    const d = deps({ AWS_EC2_METADATA_SERVICE_ENDPOINT: ep.origin });
    delete d.env.AWS_EC2_METADATA_DISABLED;
    const tokens = ep.calls.imdsToken;
    const creds = await chain(d)();
    expect(creds).toEqual({ accessKeyId: ep.credentials.AccessKeyId, secretAccessKey: ep.credentials.SecretAccessKey, sessionToken: ep.credentials.Token });
    expect(ep.calls.imdsToken - tokens).toBe(1);
  });

  test("nothing configured: an error that lists the ways to configure credentials", async () => {
    const d = deps({ AWS_EC2_METADATA_SERVICE_ENDPOINT: "http://127.0.0.1:9" });
    delete d.env.AWS_EC2_METADATA_DISABLED;
    const err = await chain(d)().catch((e) => e);
    expect(err).toBeInstanceOf(CredentialError);
    expect(err.message).toContain("AWS_ACCESS_KEY_ID");
    expect(err.message).toContain("AWS_PROFILE");
  });
});

describe("refresh", () => {
  test("temporary credentials are refreshed in the background five minutes before they expire", async () => {
    const clock = { now: Date.now() };
    ep.credentials = fakeCredentials(1, 10 * 60_000);
    const get = chain({ ...deps({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ep.origin}${CONTAINER_PATH}` }, clock) });
    const calls = ep.calls.container;
    const [a, b, c] = await Promise.all([get(), get(), get()]);
    expect(ep.calls.container - calls).toBe(1); // one fetch for concurrent callers
    expect(a).toEqual(b);
    expect(a).toEqual(c);
    clock.now += 4 * 60_000;
    expect(await get()).toEqual(a); // fresh enough: no call
    expect(ep.calls.container - calls).toBe(1);

    ep.credentials = fakeCredentials(2, 60 * 60_000);
    clock.now += 2 * 60_000; // 4 minutes left: still valid, refreshed behind the scenes
    expect((await get()).accessKeyId).toBe(a.accessKeyId);
    await Bun.sleep(50);
    expect((await get()).accessKeyId).toBe(ep.credentials.AccessKeyId);
    expect(ep.calls.container - calls).toBe(2);
  });

  test("expired credentials are never used: the caller waits for new ones", async () => {
    const clock = { now: Date.now() };
    ep.credentials = fakeCredentials(3, 10 * 60_000);
    const get = chain(deps({ AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ep.origin}${CONTAINER_PATH}` }, clock));
    await get();
    ep.credentials = fakeCredentials(4, 60 * 60_000);
    clock.now += 11 * 60_000;
    expect((await get()).accessKeyId).toBe(ep.credentials.AccessKeyId);
  });
});

describe("signing", () => {
  test("a signed request passes AWS's own SigV4 verifier (ARN path, query, session token)", async () => {
    const creds = { accessKeyId: "ASIASIGNTEST", secretAccessKey: "signing/secret+key", sessionToken: "token/with+chars==" };
    const authorize = sigV4Authorizer(() => creds, "eu-central-1", "bedrock");
    const url = new URL(`http://127.0.0.1:1234/model/${encodeURIComponent("arn:aws:bedrock:eu-central-1:123456789012:inference-profile/eu.anthropic.claude-3-7-sonnet-20250219-v1:0")}/converse?x=a b&y=1`);
    const headers = new Headers({ "content-type": "application/json", "user-agent": "OpenAI/JS 7", "x-amz-date": "19990101T000000Z" });
    const req = { url, method: "POST", headers, body: '{"messages":[]}' };
    for (let i = 0; i < 2; i++) {
      // twice: the second signature comes from the cached signing key
      await authorize(req, { clientHeaders: new Headers(), signal: new AbortController().signal, bodyLimit: 1 << 20 });
      headers.set("host", url.host);
      const sent = new Request(url.toString(), { method: "POST", headers, body: req.body });
      expect(await verifySignature(sent, url, req.body, creds, "eu-central-1")).toBeUndefined();
    }
    // the same signature over another body is refused, as a signature mismatch (not e.g. an expired date)
    const tampered = await verifySignature(new Request(url.toString(), { method: "POST", headers, body: req.body }), url, '{"messages":[1]}', creds, "eu-central-1");
    expect(tampered).toEqual({
      type: "InvalidSignatureException",
      message: expect.stringMatching(/^The request signature we calculated does not match the signature you provided\./),
    });
  });

  test("a Bedrock provider without backendAuth signs with the default chain for its own region", async () => {
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: "AKIAIMPLICIT", AWS_SECRET_ACCESS_KEY: "implicitsecret", AWS_SESSION_TOKEN: "" });
    try {
      const authorize = bedrockAdapter.defaultAuth!({ region: "ap-northeast-1" })!;
      const url = new URL("https://bedrock-runtime.ap-northeast-1.amazonaws.com/model/apac.anthropic.claude-sonnet-4-20250514-v1%3A0/converse");
      const headers = new Headers();
      await authorize({ url, method: "POST", headers, body: "{}" }, { clientHeaders: new Headers(), signal: new AbortController().signal, bodyLimit: 1 << 20 });
      expect(headers.get("authorization")).toContain("Credential=AKIAIMPLICIT/");
      expect(headers.get("authorization")).toContain("/ap-northeast-1/bedrock/aws4_request");
      headers.set("host", url.host);
      const sent = new Request(url.toString(), { method: "POST", headers, body: "{}" });
      expect(await verifySignature(sent, url, "{}", { accessKeyId: "AKIAIMPLICIT", secretAccessKey: "implicitsecret" }, "ap-northeast-1")).toBeUndefined();
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  test("the default chain through the gateway: container credentials sign a request Bedrock accepts", async () => {
    const saved = { ...process.env };
    ep.credentials = fakeCredentials(7);
    for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]) delete process.env[k];
    Object.assign(process.env, {
      AWS_SHARED_CREDENTIALS_FILE: join(dir, "none"),
      AWS_CONFIG_FILE: join(dir, "none"),
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${ep.origin}${CONTAINER_PATH}`,
    });
    emu.credentials = { accessKeyId: ep.credentials.AccessKeyId, secretAccessKey: ep.credentials.SecretAccessKey, sessionToken: ep.credentials.Token };
    const gw = await gatewayFor("bedrock", emu, { settings: { region: emu.region, model: "amazon.nova-lite-v1:0" }, auth: { aws: {} } });
    try {
      const res = await openaiClient(gw.baseURL()).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] });
      expect(res.choices[0]!.message.content).toBe("Hello from Bedrock.");
      expect(emu.requests.at(-1)!.headers.get("x-amz-security-token")).toBe(ep.credentials.Token);

      // credentials that cannot be had: a 503 naming the problem, nothing secret
      process.env.AWS_CONTAINER_CREDENTIALS_FULL_URI = "http://127.0.0.1:9/none";
      const gw2 = await gatewayFor("bedrock", emu, { settings: { region: emu.region }, auth: { aws: {} } });
      try {
        const err = await openaiClient(gw2.baseURL()).chat.completions.create({ model: "amazon.nova-lite-v1:0", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
        expect(err).toBeInstanceOf(OpenAI.InternalServerError);
        expect(err.status).toBe(503);
        expect(err.error.code).toBe("aws_credentials_unavailable");
        expect(err.message).toContain("container credentials endpoint");
      } finally {
        await gw2.stop();
      }
    } finally {
      await gw.stop();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

test("Claude Platform on AWS (agentgateway's docs): an anthropic model signs for its params.awsRegion and serviceName, without AWS_REGION", async () => {
  const emu: AnthropicEmulator = startAnthropicEmulator();
  const saved = { region: process.env.AWS_REGION, defaultRegion: process.env.AWS_DEFAULT_REGION };
  delete process.env.AWS_REGION;
  delete process.env.AWS_DEFAULT_REGION;
  const gw = await startTestGateway(`
llm:
  port: 0
  models:
  - name: "claude-platform/*"
    provider: anthropic
    params: {awsRegion: us-west-2, baseUrl: "http://${emu.host}/v1"}
    auth:
      aws: {accessKeyId: AKIAPLATFORM, secretAccessKey: platformsecret, serviceName: aws-external-anthropic}
`);
  try {
    emu.enqueue(turn(s.plainText));
    const client = new OpenAI({ baseURL: `${gw.origin()}/v1`, apiKey: "x", maxRetries: 0 });
    await client.chat.completions.create({ model: "claude-platform/claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    const auth = emu.requests.at(-1)!.headers.get("authorization")!;
    expect(auth).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIAPLATFORM\/\d{8}\/us-west-2\/aws-external-anthropic\/aws4_request, /);
  } finally {
    await gw.stop();
    await emu.stop();
    if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
    if (saved.defaultRegion !== undefined) process.env.AWS_DEFAULT_REGION = saved.defaultRegion;
  }
});
