/**
 * `backendAuth` locations on a route: a key in a custom header, in a query parameter, in a cookie,
 * from a file, and passthrough of the client's own credential. Provider-specific credentials (SigV4, Entra ID,
 * Google) are in test/auth/.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import OpenAI from "openai";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { gatewayFor, openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";

let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];

beforeAll(() => {
  emu = startOpenAIEmulator();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  emu.stop();
});

async function gateway<G extends TestGateway>(started: Promise<G>): Promise<G> {
  const g = await started;
  gateways.push(g);
  return g;
}

const chat = (c: OpenAI, model = "gpt-4o-mini") => c.chat.completions.create({ model, messages: [{ role: "user", content: "hi" }] });
const last = () => emu.requests.at(-1)!;
/** one route with `backendAuth` set to `auth` (a YAML flow map) */
const oneRoute = (auth: string) => `
binds:
- port: 0
  listeners:
  - routes:
    - policies: {backendAuth: ${auth}}
      backends: [{ai: {name: c, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`;

describe("backendAuth locations", () => {
  test("header with a custom name and no prefix; query parameter; passthrough", async () => {
    const g = await gateway(
      startTestGateway(`
binds:
- port: 0
  listeners:
  - routes:
    - matches: [{path: {pathPrefix: /header}}]
      policies: {backendAuth: {key: {value: k-header, location: {header: {name: x-api-key}}}}}
      backends: [{ai: {name: h, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
    - matches: [{path: {pathPrefix: /query}}]
      policies: {backendAuth: {key: {value: k-query, location: {queryParameter: {name: key}}}}}
      backends: [{ai: {name: q, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
    - matches: [{path: {pathPrefix: /pass}}]
      policies: {backendAuth: {passthrough: {}}}
      backends: [{ai: {name: p, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`),
    );
    await chat(openaiClient(`${g.origin()}/header/v1`, "client-key"));
    expect(last().headers.get("x-api-key")).toBe("k-header");
    expect(last().headers.get("authorization")).toBeNull(); // the client's key never goes upstream
    await chat(openaiClient(`${g.origin()}/query/v1`, "client-key"));
    expect(last().query).toBe("?key=k-query");
    expect(last().headers.get("authorization")).toBeNull();
    await chat(openaiClient(`${g.origin()}/pass/v1`, "client-token"));
    expect(last().headers.get("authorization")).toBe("Bearer client-token");
  });

  test("a cookie location sets that cookie upstream (the client's other cookies go on); an expression cannot place a key", async () => {
    const g = await gateway(startTestGateway(oneRoute("{key: {value: k-cookie, location: {cookie: {name: session}}}}")));
    await chat(new OpenAI({ baseURL: g.baseURL(), apiKey: "client-key", maxRetries: 0, defaultHeaders: { cookie: "theme=dark; session=client-session" } }));
    expect(last().headers.get("cookie")).toBe("theme=dark; session=k-cookie");
    expect(last().headers.get("authorization")).toBeNull();
    await expect(startTestGateway(oneRoute(`{key: {value: k, location: {expression: 'request.headers["x"]'}}}`))).rejects.toThrow(/backendAuth\.key\.location\.expression.*cannot place one/);
  });

  test("a key from a file", async () => {
    const file = join(await mkdtemp("/tmp/agw-key-"), "key");
    await Bun.write(file, "sk-from-a-file\n");
    const g = await gateway(gatewayFor("openAI", emu, { auth: { key: { file } } }));
    await chat(g.client);
    expect(last().headers.get("authorization")).toBe("Bearer sk-from-a-file");
  });
});
