/**
 * `csrf` over real HTTP, agentgateway's rules: state-changing requests from another site are
 * refused with 403; same-origin, listed origins, `Sec-Fetch-Site: same-origin|none`, safe
 * methods and clients that send no Origin (SDKs, curl) pass.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let upstream: ReturnType<typeof Bun.serve>;
let gw: TestGateway;
let reached = 0;

beforeAll(async () => {
  upstream = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => (reached++, new Response("done")) });
  gw = await startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - policies:
        csrf:
          additionalOrigins: ["https://www.example.com", "https://trusted.domain.com"]
      backends:
      - host: 127.0.0.1:${upstream.port}
`);
});
afterAll(async () => {
  await gw.stop();
  upstream.stop(true);
});

const send = (method: string, headers: Record<string, string>) => fetch(`${gw.origin()}/api/action`, { method, headers: { host: "api.example.com", ...headers }, body: method === "GET" ? undefined : "x=1" });

test("a cross-site state change is refused before the backend; the same site, listed sites and non-browser clients pass", async () => {
  const before = reached;
  const evil = await send("POST", { origin: "https://malicious.example" });
  expect(evil.status).toBe(403);
  expect(JSON.stringify(await evil.json())).toContain("CSRF validation failed");
  expect((await send("PUT", { "sec-fetch-site": "cross-site", origin: "https://malicious.example" })).status).toBe(403);
  expect(reached).toBe(before);

  expect((await send("POST", { origin: "http://api.example.com" })).status).toBe(200); // same origin
  expect((await send("POST", { origin: "https://trusted.domain.com" })).status).toBe(200);
  expect((await send("DELETE", { "sec-fetch-site": "cross-site", origin: "https://www.example.com" })).status).toBe(200);
  expect((await send("POST", { "sec-fetch-site": "same-origin" })).status).toBe(200);
  expect((await send("POST", { "sec-fetch-site": "none" })).status).toBe(200);
  expect((await send("POST", {})).status).toBe(200); // no Origin: an SDK or curl
  expect((await send("POST", { origin: "null" })).status).toBe(200);
  expect((await send("GET", { origin: "https://malicious.example" })).status).toBe(200); // safe method
  expect(reached).toBe(before + 8);
});
