/**
 * `transformations`: CEL-valued header edits (set, add, remove, replace), body replacement and
 * metadata on the request as the upstream sees it and on the answer as the client gets it, the
 * conditional form, failing values, located config errors, and the security points (the
 * backend's key never reachable, the upstream host never changed).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startOpenAIEmulator, type OpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, startTestGateway, type TestGateway } from "../helpers/gateway.ts";
import { chat } from "./helpers.ts";

let emu: OpenAIEmulator;
const gateways: TestGateway[] = [];
beforeAll(() => {
  emu = startOpenAIEmulator();
});
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.stop()));
  emu.stop();
});

const SECRET = "sk-backend-secret-42";

async function start(yaml: string): Promise<TestGateway> {
  const g = await startTestGateway(yaml);
  gateways.push(g);
  return g;
}

/** One route to the OpenAI emulator with the backend's key; `route` and `backend` are flow-style policy fields. */
function routeGateway(route: string, backend = ""): Promise<TestGateway> {
  return start(`
binds:
- port: 0
  listeners:
  - routes:
    - policies: {${route}}
      backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}, policies: {backendAuth: {key: ${SECRET}}${backend ? `, ${backend}` : ""}}}}]
`);
}

const client = (g: TestGateway, headers: Record<string, string> = {}) => openaiClient(g.baseURL(), "sk-client").withOptions({ defaultHeaders: headers });
const upstream = () => emu.requests.at(-1)!;

describe("request transformations", () => {
  test("set, add and remove from CEL over the request, as the upstream sees them", async () => {
    const g = await routeGateway(`transformations: {request: {set: {x-tenant: 'request.headers["x-org"] + ":" + request.path'}, add: {x-extra: '"one"'}, remove: [x-drop]}}`);
    await chat(client(g, { "x-org": "acme", "x-drop": "secret", "x-extra": "zero", "x-kept": "yes" }));
    const h = upstream().headers;
    expect(h.get("x-tenant")).toBe("acme:/v1/chat/completions");
    expect(h.get("x-extra")).toBe("zero, one");
    expect(h.get("x-drop")).toBeNull();
    expect(h.get("x-kept")).toBe("yes");
    expect(h.get("authorization")).toBe(`Bearer ${SECRET}`);
  });

  test("replace: every header goes, the map's come in (lists as several values); host and framing are ignored", async () => {
    const g = await routeGateway(
      `transformations: {request: {replace: '{"content-type": "application/json", "x-only": request.headers["x-org"], "x-list": ["a", "b"], "host": "evil.example", "content-length": "1"}'}}`,
    );
    await chat(client(g, { "x-org": "acme", "x-client": "gone" }));
    const h = upstream().headers;
    expect(h.get("x-only")).toBe("acme");
    expect(h.get("x-list")).toBe("a, b");
    expect(h.get("x-client")).toBeNull();
    expect(h.get("host")).toBe(emu.host);
    expect(h.get("authorization")).toBe(`Bearer ${SECRET}`); // the gateway's credential comes after
  });

  test("body replaces what goes upstream, after translation; it may read the client's body", async () => {
    const g = await routeGateway(`transformations: {request: {body: '{"model": llmRequest.model + "-x", "messages": [{"role": "user", "content": "from " + request.headers["x-org"]}]}'}}`);
    await chat(client(g, { "x-org": "acme" }));
    expect(emu.lastJson()).toEqual({ model: "gpt-4o-mini-x", messages: [{ role: "user", content: "from acme" }] });
  });

  test("on a plain proxy the body expression reads the client's streamed body", async () => {
    const g = await start(`
binds:
- port: 0
  listeners:
  - routes:
    - policies: {transformations: {request: {body: 'request.body + "!"'}}}
      backends: [{host: "${emu.host}"}]
`);
    await fetch(`${g.origin()}/echo`, { method: "POST", body: "abc", headers: { "content-type": "text/plain" } });
    expect(upstream().path).toBe("/echo");
    expect(upstream().body).toBe("abc!");
  });

  test("a value that fails to evaluate leaves the header unset; the others apply", async () => {
    const g = await routeGateway(`transformations: {request: {set: {x-missing: 'request.headers["x-nope"]', x-ok: '"ok"'}, add: {x-bad: '1 / 0'}}}`);
    await chat(client(g));
    const h = upstream().headers;
    expect(h.get("x-ok")).toBe("ok");
    expect(h.has("x-missing")).toBe(false);
    expect(h.has("x-bad")).toBe(false);
  });
});

describe("response transformations", () => {
  test("headers from response.code and response.headers; a complete answer's body replaced", async () => {
    const g = await routeGateway(`transformations: {response: {set: {x-code: 'string(response.code)', x-type: 'response.headers["content-type"]'}, body: '{"replaced": response.code}'}}`);
    const res = await fetch(`${g.baseURL()}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }) });
    expect(res.headers.get("x-code")).toBe("200");
    expect(res.headers.get("x-type")).toContain("application/json");
    expect(await res.json()).toEqual({ replaced: 200 });
  });

  test("a stream keeps its body; its headers are edited", async () => {
    const g = await routeGateway(`transformations: {response: {set: {x-code: 'string(response.code)'}, body: '"nope"'}}`);
    const { data, response } = await client(g).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }).withResponse();
    let text = "";
    for await (const c of data) text += c.choices[0]?.delta?.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(response.headers.get("x-code")).toBe("200");
  });
});

describe("metadata", () => {
  test("stored by the request side, read by later expressions (the backend's, the answer's)", async () => {
    const g = await routeGateway(
      `transformations: {request: {metadata: {tenant: 'request.headers["x-org"]'}, set: {x-meta: 'metadata.tenant + "!"'}}, response: {set: {x-meta-back: 'metadata.tenant'}}}`,
      `transformations: {request: {set: {x-backend-meta: '"b-" + metadata.tenant'}}}`,
    );
    const { response } = await client(g, { "x-org": "acme" }).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(upstream().headers.get("x-meta")).toBe("acme!");
    expect(upstream().headers.get("x-backend-meta")).toBe("b-acme");
    expect(response.headers.get("x-meta-back")).toBe("acme");
  });
});

describe("conditional", () => {
  test("the first entry whose condition holds applies, on both sides; the last may be a fallback", async () => {
    const entry = (cond: string, v: string) => `{${cond ? `condition: '${cond}', ` : ""}request: {set: {x-branch: '"${v}"'}}, response: {set: {x-branch: '"${v}"'}}}`;
    const g = await routeGateway(
      `transformations: {conditional: [${entry(`request.headers["x-tier"] == "gold"`, "gold")}, ${entry(`"x-tier" in request.headers`, "tiered")}, ${entry("", "fallback")}]}`,
    );
    for (const [tier, branch] of [["gold", "gold"], ["silver", "tiered"], [undefined, "fallback"]] as const) {
      const { response } = await client(g, tier ? { "x-tier": tier } : {}).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).withResponse();
      expect(upstream().headers.get("x-branch")).toBe(branch);
      expect(response.headers.get("x-branch")).toBe(branch);
    }
  });

  test("without a fallback, no entry holding changes nothing", async () => {
    const g = await routeGateway(`transformations: {conditional: [{condition: 'request.headers["x-tier"] == "gold"', request: {set: {x-branch: '"gold"'}}}]}`);
    await chat(client(g));
    expect(upstream().headers.has("x-branch")).toBe(false);
  });
});

describe("levels", () => {
  test("llm.policies and a gateway's policies edit the request and the answer", async () => {
    const llm = await start(`
llm:
  port: 0
  policies:
    transformations: {request: {set: {x-level: '"llm"', authorization: '"Bearer stolen"'}}, response: {add: {x-level: '"llm"'}}}
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream-llm, baseUrl: "http://${emu.host}/v1"}
`);
    const a = await openaiClient(llm.baseURL()).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(upstream().headers.get("x-level")).toBe("llm");
    expect(upstream().headers.get("authorization")).toBe("Bearer sk-upstream-llm");
    expect(a.response.headers.get("x-level")).toBe("llm");

    const gw = await start(`
gateways:
  default:
    port: 0
    transformations: {request: {set: {x-level: '"gateway"'}}, response: {set: {x-level: '"gateway"'}}}
routes:
- backends: [{ai: {name: openai, hostOverride: "${emu.host}", provider: {openAI: {}}}}]
`);
    const b = await openaiClient(gw.baseURL()).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).withResponse();
    expect(upstream().headers.get("x-level")).toBe("gateway");
    expect(b.response.headers.get("x-level")).toBe("gateway");
  });
});

describe("identity", () => {
  test("an API key's metadata goes upstream as a header (agentgateway's documented use); the key does not", async () => {
    const g = await start(`
llm:
  port: 0
  policies:
    apiKey: {mode: strict, keys: [{key: sk-client-alice, metadata: {user: alice}}]}
    transformations: {request: {set: {x-authenticated-user: apiKey.user, x-key: apiKey.key}}}
  models:
  - name: "*"
    provider: openAI
    params: {apiKey: sk-upstream-llm, baseUrl: "http://${emu.host}/v1"}
`);
    await chat(openaiClient(g.baseURL(), "sk-client-alice"));
    const h = upstream().headers;
    expect(h.get("x-authenticated-user")).toBe("alice");
    expect(h.get("x-key")).toStartWith("sha256:"); // CEL sees the fingerprint, never the key
    expect(h.get("authorization")).toBe("Bearer sk-upstream-llm");
  });
});

describe("security", () => {
  test("setting authorization, or copying it, never reaches the backend's key; the gateway's credential wins", async () => {
    const leak = `set: {authorization: '"Bearer stolen"', x-copy: 'request.headers["authorization"]'}`;
    const g = await routeGateway(
      `transformations: {request: {${leak}}, response: {set: {x-leak: 'request.headers["authorization"]', x-all: 'request.headers', x-meta: 'metadata'}}}`,
      `transformations: {request: {${leak}, metadata: {k: 'request.headers'}}}`,
    );
    const { response } = await client(g).chat.completions.create({ model: "m", messages: [{ role: "user", content: "hi" }] }).withResponse();
    const h = upstream().headers;
    expect(h.get("authorization")).toBe(`Bearer ${SECRET}`);
    expect(h.get("x-copy")).toBe("Bearer sk-client"); // the client's own, not the backend's
    const answer = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    expect(answer).toContain("x-leak");
    expect(answer).not.toContain(SECRET);
    expect([...h].filter(([k]) => k !== "authorization").map(([, v]) => v).join("\n")).not.toContain(SECRET);
  });

  test("host, :authority and framing headers cannot be edited (a config error naming the field)", async () => {
    await expect(routeGateway(`transformations: {request: {set: {host: '"evil.example"'}}}`)).rejects.toThrow(/transformations\.request\.set\.host: a transformation cannot change 'host': the upstream host comes from the backend's configuration/);
    await expect(routeGateway(`transformations: {request: {add: {":authority": '"evil.example"'}}}`)).rejects.toThrow(/cannot change ':authority'/);
    await expect(routeGateway(`transformations: {request: {remove: [content-length]}}`)).rejects.toThrow(/remove\[0\]: a transformation cannot change 'content-length'/);
  });
});

describe("config", () => {
  test("a bad expression is a located config error (file:line and YAML path)", async () => {
    await expect(routeGateway(`transformations: {request: {set: {x-a: 'request.headers['}}}`)).rejects.toThrow(
      /test\.yaml:6:\d+ at binds\[0\]\.listeners\[0\]\.routes\[0\]\.policies\.transformations\.request\.set\.x-a: invalid CEL expression "request\.headers\["/,
    );
    await expect(routeGateway(`transformations: {conditional: [{condition: 'reqest.path == "/"', response: {set: {x-a: '"1"'}}}]}`)).rejects.toThrow(
      /transformations\.conditional\[0\]\.condition: invalid CEL expression .*Unknown variable: reqest/,
    );
    await expect(routeGateway(`transformations: {conditional: [{request: {set: {x-a: '"1"'}}}, {request: {set: {x-a: '"2"'}}}]}`)).rejects.toThrow(
      /transformations\.conditional\[0\]: only the last conditional entry may omit 'condition'/,
    );
  });
});
