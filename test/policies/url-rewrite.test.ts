/**
 * `urlRewrite` over real HTTP: agentgateway's docs case (Claude Code behind `/claude` with the
 * matched prefix rewritten to `/`, through the official Anthropic SDK), a full path and Host
 * rewrite to a plain HTTP backend, and a prefix replaced by another; the access log keeps the
 * client's path.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startAnthropicEmulator, turn, type AnthropicEmulator } from "../emulators/anthropic.ts";
import { accessLogs, eventually, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import * as s from "../llm/providers/anthropic/scripts.ts";

let anthropic: AnthropicEmulator;
let plain: ReturnType<typeof Bun.serve>;
const seen: { path: string; host: string | null }[] = [];
let gw: TestGateway;

beforeAll(async () => {
  anthropic = startAnthropicEmulator();
  plain = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const u = new URL(req.url);
      seen.push({ path: u.pathname + u.search, host: req.headers.get("host") });
      return new Response("ok");
    },
  });
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - name: claude-agent
      matches: [{path: {pathPrefix: /claude}}]
      policies:
        urlRewrite: {path: {prefix: /}}
      backends:
      - ai:
          name: claude-agent
          hostOverride: "${anthropic.host}"
          provider: {anthropic: {}}
          policies:
            backendAuth: {key: sk-ant-upstream}
            ai:
              routes: {/v1/messages: messages, "*": passthrough}
    - name: moved
      matches: [{path: {pathPrefix: /old}}]
      policies:
        urlRewrite: {authority: {full: example.com}, path: {full: /new-path}}
      backends:
      - host: 127.0.0.1:${plain.port}
    - name: versions
      matches: [{path: {pathPrefix: /api/v2/}}]
      policies:
        urlRewrite: {path: {prefix: /internal/v1}}
      backends:
      - host: 127.0.0.1:${plain.port}
`);
});
afterAll(async () => {
  await gw.stop();
  await anthropic.stop();
  plain.stop(true);
});

test("Claude Code behind /claude: the SDK's /claude/v1/messages is served as /v1/messages; the log keeps the client's path", async () => {
  anthropic.enqueue(turn(s.plainText));
  const client = new Anthropic({ baseURL: `${gw.origin()}/claude`, apiKey: "sk-ant-client", maxRetries: 0 });
  const msg = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
  expect(msg.content[0]?.type).toBe("text");
  const req = anthropic.requests.at(-1)!;
  expect(req.path).toBe("/v1/messages");
  expect(req.headers.get("x-api-key")).toBe("sk-ant-upstream");
  const line = await eventually(() => accessLogs(gw).findLast((l) => l.route === "claude-agent"), 3000, "no access line");
  expect(line["http.path"]).toBe("/claude/v1/messages");
});

test("a full path and the Host header replaced for a plain HTTP backend; the query kept", async () => {
  const res = await fetch(`${gw.origin()}/old/page?x=1`);
  expect(await res.text()).toBe("ok");
  expect(seen.at(-1)).toEqual({ path: "/new-path?x=1", host: "example.com" });
});

test("the matched prefix replaced by another; the rest of the path kept", async () => {
  await fetch(`${gw.origin()}/api/v2/users/7`);
  expect(seen.at(-1)!.path).toBe("/internal/v1/users/7");
});
