/**
 * A SigV4 signature covers the body's hash, so a body the client streams (passthrough routes, a
 * plain HTTP backend with `backendAuth.aws`) is read whole before it is signed. That read stays
 * within `frontendPolicies.http.maxBufferSize`, as every body the gateway reads does: past it the
 * client gets a 413 and nothing reaches the provider (it used to be read without any bound, so one
 * endless upload grew the gateway until it died). A streamed body under the limit is still signed
 * and accepted by AWS's own verifier (the Bedrock emulator checks every signature).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startBedrockEmulator, TEST_CREDENTIALS, type BedrockEmulator } from "../emulators/bedrock.ts";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const LIMIT = 65536;
const MODEL = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const enc = new TextEncoder();

let emu: BedrockEmulator;
let gw: TestGateway;

beforeAll(async () => {
  emu = startBedrockEmulator();
  const aws = JSON.stringify({ ...TEST_CREDENTIALS, region: "us-east-1" });
  gw = await startTestGateway(`
frontendPolicies:
  http: {maxBufferSize: ${LIMIT}}
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /bedrock/}}]
      policies: {urlRewrite: {path: {prefix: /}}, ai: {routes: {"*": passthrough}}, backendAuth: {aws: ${aws}}}
      backends: [{ai: {name: b, hostOverride: "${emu.host}", provider: {bedrock: {region: us-east-1}}}}]
    - matches: [{path: {pathPrefix: /plain/}}]
      policies: {urlRewrite: {path: {prefix: /}}, backendAuth: {aws: ${aws}}}
      backends: [{host: "${emu.host}"}]
`);
});
afterAll(async () => {
  await gw.stop();
  await emu.stop();
});

/** a Converse request of about `size` bytes, streamed in 8 KB pieces without a Content-Length */
function chunkedConverse(size: number): ReadableStream<Uint8Array> {
  const json = enc.encode(JSON.stringify({ messages: [{ role: "user", content: [{ text: "x".repeat(Math.max(0, size - 60)) }] }] }));
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= json.byteLength) return c.close();
      c.enqueue(json.subarray(at, at + 8192));
      at += 8192;
    },
  });
}

const converse = (prefix: string, body: ReadableStream<Uint8Array>) =>
  fetch(`${gw.baseURL().replace(/\/v1$/, "")}/${prefix}/model/${encodeURIComponent(MODEL)}/converse`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
    duplex: "half",
  } as RequestInit);

for (const prefix of ["bedrock", "plain"]) {
  test(`${prefix}: a streamed body under the limit is signed whole and accepted by the signature check`, async () => {
    const before = emu.requests.length;
    const res = await converse(prefix, chunkedConverse(40_000));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { output: { message: { content: { text: string }[] } } }).output.message.content[0]!.text).toBe("Hello from Bedrock.");
    expect(emu.requests.length).toBe(before + 1);
    expect(emu.requests.at(-1)!.body.length).toBeGreaterThan(39_000);
  });

  test(`${prefix}: a streamed body over the limit is a 413 and never reaches the provider`, async () => {
    const before = emu.requests.length;
    const res = await converse(prefix, chunkedConverse(LIMIT * 20));
    expect(res.status).toBe(413);
    expect(await res.text()).toContain(`limit of ${LIMIT} bytes`);
    expect(emu.requests.length).toBe(before);
  });
}
