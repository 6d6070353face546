/**
 * `backendTLS` on a backend: a private root trusted when configured, unknown roots refused,
 * `insecure` skipping the checks. (HTTPS listeners: test/routing/routing.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import OpenAI from "openai";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

const TLS = join(import.meta.dir, "../fixtures/tls");
const chat = (c: OpenAI, model = "gpt-4o-mini") => c.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });

describe("TLS", () => {
  let tlsUpstream: ReturnType<typeof Bun.serve>;
  let g: TestGateway | undefined;
  beforeAll(() => {
    tlsUpstream = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert: Bun.file(join(TLS, "server.pem")), key: Bun.file(join(TLS, "server.key")) },
      fetch: () => Response.json({ id: "t", object: "chat.completion", created: 1, model: "m", choices: [{ index: 0, message: { role: "assistant", content: "over TLS" }, finish_reason: "stop" }] }),
    });
  });
  afterAll(async () => {
    await g?.stop();
    void tlsUpstream.stop(true);
  });

  test("backendTLS: a private root is trusted when configured; unknown roots are refused; insecure skips checks", async () => {
    const host = `127.0.0.1:${tlsUpstream.port}`;
    g = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /trusted}}]
      backends: [{ai: {name: t, hostOverride: "${host}", provider: {openAI: {}}, policies: {backendTLS: {root: "${TLS}/ca.pem"}}}}]
    - matches: [{path: {pathPrefix: /untrusted}}]
      backends: [{ai: {name: u, hostOverride: "${host}", provider: {openAI: {}}, policies: {backendTLS: {}}}}]
    - matches: [{path: {pathPrefix: /insecure}}]
      backends: [{ai: {name: i, hostOverride: "${host}", provider: {openAI: {}}, policies: {backendTLS: {insecure: true}}}}]
`);
    expect((await chat(openaiClient(`${g.origin()}/trusted/v1`))).choices[0]!.message.content).toBe("over TLS");
    const refused = await chat(openaiClient(`${g.origin()}/untrusted/v1`)).catch((e) => e as InstanceType<typeof OpenAI.APIError>);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((refused as Error).message).toContain("TLS");
    expect((await chat(openaiClient(`${g.origin()}/insecure/v1`))).choices[0]!.message.content).toBe("over TLS");
  });
});
