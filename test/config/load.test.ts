import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatIssues, type ConfigIssue } from "../../src/config/errors.ts";
import { loadConfigFile, loadConfigText } from "../../src/config/load.ts";
import type { AiBackend } from "../../src/config/model.ts";

function errorsOf(yaml: string, env: Record<string, string> = {}): ConfigIssue[] {
  const r = loadConfigText(yaml, "cfg.yaml", { env });
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.errors;
}

function load(yaml: string, env: Record<string, string> = {}) {
  const r = loadConfigText(yaml, "cfg.yaml", { env: { READINESS_ADDR: "off", ...env } });
  if (!r.ok) throw new Error(formatIssues(r.errors));
  return r.value;
}

const EXAMPLES = join(import.meta.dir, "../../examples");
const exampleEnv = { OPENAI_API_KEY: "sk-test", ANTHROPIC_API_KEY: "sk-ant-test" };

describe("examples", () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith(".yaml"));
  test("there are examples", () => expect(files.length).toBeGreaterThanOrEqual(4));
  test.each(files)("%s loads and points editors at the generated schema", (file) => {
    const text = readFileSync(join(EXAMPLES, file), "utf8");
    expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=../schema/config.json");
    const r = loadConfigFile(join(EXAMPLES, file), { env: exampleEnv });
    if (!r.ok) throw new Error(formatIssues(r.errors));
    expect(r.value.binds.size).toBeGreaterThan(0);
  });
});

describe("the user guide's config", () => {
  test("loads as written: two binds, OpenAI pinned to gpt-4o-mini, Anthropic to claude-sonnet-4", () => {
    const cfg = loadConfigFile(join(EXAMPLES, "openai-sdk-guide.yaml"), { env: exampleEnv });
    if (!cfg.ok) throw new Error(formatIssues(cfg.errors));
    expect([...cfg.value.binds.keys()]).toEqual([3000, 3001]);
    const backend = (port: number) => cfg.value.binds.get(port)!.listeners[0]!.router.routes[0]!.backends[0]!.backend as AiBackend;
    expect(backend(3000).groups[0]![0]!.model).toBe("gpt-4o-mini");
    expect(backend(3000).groups[0]![0]!.provider.telemetryName).toBe("openai");
    expect(backend(3001).groups[0]![0]!.model).toBe("claude-sonnet-4-20250514");
  });

  test("with the upstream's own schema URL line (as the guide writes it) nothing is expanded in comments", () => {
    const text = readFileSync(join(EXAMPLES, "openai-sdk-guide.yaml"), "utf8").replace(
      "$schema=../schema/config.json",
      "$schema=https://agentgateway.dev/schema/config",
    );
    const r = loadConfigText(`# a comment with $UNSET_VAR in it\n${text}`, "guide.yaml", { env: exampleEnv });
    expect(r.ok).toBe(true);
  });
});

describe("errors name the file, line, column, YAML path and what was expected", () => {
  test("a missing environment variable names the variable and its line", () => {
    const errs = errorsOf("binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n        backendAuth:\n          key: $OPENAI_API_KEY\n      backends:\n      - host: a:1\n");
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ file: "cfg.yaml", line: 7, column: 16, path: "binds[0].listeners[0].routes[0].policies.backendAuth.key" });
    expect(errs[0]!.message).toContain("OPENAI_API_KEY");
    expect(formatIssues(errs)).toContain("cfg.yaml:7:16 at binds[0].listeners[0].routes[0].policies.backendAuth.key");
  });

  test("a value left empty by a variable set to '' says so (unquoted, it is no value at all)", () => {
    const cfg = "binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n        backendAuth:\n          key: $OPENAI_API_KEY\n      backends:\n      - host: a:1\n";
    const r = loadConfigText(cfg, "cfg.yaml", { env: { OPENAI_API_KEY: "" } });
    expect(r.ok).toBe(false);
    const errs = r.ok ? [] : r.errors;
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ line: 7, path: "binds[0].listeners[0].routes[0].policies.backendAuth.key" });
    expect(errs[0]!.message).toBe("value does not match any of the accepted forms: environment variable 'OPENAI_API_KEY' is set but empty, which leaves no value here");
    // set to something, the same config loads
    expect(loadConfigText(cfg, "cfg.yaml", { env: { OPENAI_API_KEY: "sk-1" } }).ok).toBe(true);
  });

  test("an llm: model's apiKey left empty by a variable fails the load: the client's own key would go upstream", () => {
    const cfg = "llm:\n  port: 3000\n  models:\n  - name: gpt-5\n    provider: openai\n    params: {apiKey: $OPENAI_API_KEY}\n";
    for (const quoted of [cfg, cfg.replace("$OPENAI_API_KEY", '"$OPENAI_API_KEY"')]) {
      const errs = errorsOf(quoted, { OPENAI_API_KEY: "" });
      expect(errs).toHaveLength(1);
      expect(errs[0]).toMatchObject({ line: 6, path: "llm.models[0].params.apiKey" });
      expect(errs[0]!.message).toContain("environment variable 'OPENAI_API_KEY' is set but empty: without a key, requests would carry the client's own credentials");
      expect(() => load(quoted, { OPENAI_API_KEY: "sk-1" })).not.toThrow();
    }
    // no apiKey at all is the deliberate passthrough, and still loads
    expect(() => load("llm:\n  port: 3000\n  models:\n  - name: gpt-5\n    provider: openai\n")).not.toThrow();
  });

  test("several problems are reported in one run", () => {
    const errs = errorsOf(`binds:
- port: 99999
  listeners:
  - routes:
    - matchs: []
      backends:
      - ai:
          name: x
          provider: {openAI: {}, anthropic: {}}
      - host: a:1
        weight: heavy
    - policies:
        extProc: {host: x}
      backends: [{host: b:2}]
`);
    const byPath = Object.fromEntries(errs.map((e) => [e.path, e]));
    expect(byPath["binds[0].port"]!.line).toBe(2);
    expect(byPath["binds[0].listeners[0].routes[0].matchs"]!.message).toBe("unknown field 'matchs'");
    expect(byPath["binds[0].listeners[0].routes[0].matchs"]!.line).toBe(5);
    expect(byPath["binds[0].listeners[0].routes[0].backends[0].ai.provider"]!.message).toContain("found openAI and anthropic");
    expect(byPath["binds[0].listeners[0].routes[0].backends[1].weight"]!.message).toBe("expected number, got a string");
    expect(byPath["binds[0].listeners[0].routes[1].policies.extProc"]!.message).toBe("'extProc' is not supported yet by this gateway");
    expect(errs.length).toBe(5);
  });

  test("a YAML syntax error is located", () => {
    const errs = errorsOf("binds:\n- port: 3000\n  listeners: [\n");
    // the unclosed '[' is found where the input ends
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ file: "cfg.yaml", line: 4, column: 1 });
    expect(errs[0]!.message).toContain("]");
  });

  test("references are checked: unknown backend, gateway, provider; bad regex; duplicate ports", () => {
    const errs = errorsOf(`binds:
- port: 3000
  listeners: []
- port: 3000
  listeners: []
gateways:
  main: {port: 4000}
routes:
- gateways: [nope]
  matches: [{path: {regex: "(("}}]
  backends: [{backend: missing}]
llm:
  port: 5000
  models:
  - {name: a, provider: {reference: zz}}
  - {name: b, provider: bedrock}
`);
    const messages = errs.map((e) => `${e.path}: ${e.message}`);
    expect(messages).toContain("binds[1].port: port 3000 is already used by another bind");
    expect(messages).toContain("routes[0].gateways: unknown gateway 'nope' (defined: main)");
    expect(messages).toContain("routes[0].backends[0].backend: unknown backend 'missing' (not in the top-level 'backends' list)");
    expect(messages.some((m) => m.startsWith("routes[0].matches[0]: invalid regex"))).toBe(true);
    expect(messages).toContain("llm.models[0].provider.reference: unknown provider 'zz' (not in llm.providers)");
    expect(messages).toContain("llm.models[1].params: provider bedrock requires params.awsRegion");
  });

  test("backendAuth copilot (agentgateway's GitHub Copilot auth, not implemented) fails the load by name, in both spellings", () => {
    const at = "binds[0].listeners[0].routes[0].policies.backendAuth";
    for (const [auth, path] of [
      ["copilot", at],
      ["{copilot: {}}", `${at}.copilot`],
    ] as const) {
      const errs = errorsOf(`binds:
- port: 3000
  listeners:
  - routes:
    - policies:
        backendAuth: ${auth}
      backends: [{ai: {name: a, provider: {openAI: {}}}}]
`);
      expect(errs.map((e) => [e.path, e.message])).toEqual([[path, "'copilot' is not supported yet by this gateway"]]);
    }
  });

  test("a secret never appears in an error message", () => {
    const secret = "sk-live-SUPERSECRET-123";
    const r = loadConfigText(
      `binds:
- port: 3000
  listeners:
  - routes:
    - policies:
        backendAuth: {key: $KEY, passthrough: {}}
      backends: [{ai: {name: a, provider: {openAI: {model: 7}}}}]
    - policies:
        backendAuth: {key: {value: $KEY, location: {header: {name: 5}}}}
      backends: [{host: a:1}]
  bogus: $KEY
`,
      "cfg.yaml",
      { env: { KEY: secret } },
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors.length).toBeGreaterThanOrEqual(4);
      expect(formatIssues(r.errors)).not.toContain("SUPERSECRET");
    }
  });
});

describe("the three config styles", () => {
  test("gateways + routes: routes attach to the default gateway, or to named listeners", () => {
    const cfg = load(`gateways:
  default: {port: 4000}
  edge:
    port: 4001
    listeners:
    - {name: public, hostname: "*.example.com"}
    - {name: internal}
routes:
- backends: [{host: a:1}]
- gateways: edge/public
  name: public-route
  backends: [{host: b:2}]
`);
    expect(cfg.binds.get(4000)!.listeners[0]!.router.routes).toHaveLength(1);
    const edge = cfg.binds.get(4001)!.listeners;
    expect(edge.map((l) => l.name)).toEqual(["edge/public", "edge/internal"]);
    expect(edge[0]!.router.routes[0]!.key).toBe("public-route");
    expect(edge[1]!.router.routes).toHaveLength(0);
  });

  test("llm: defaults to port 4000 and sorts models by specificity", () => {
    const cfg = load(`llm:
  models:
  - {name: "*", provider: openai}
  - {name: "gpt-*", provider: openai}
  - {name: gpt-4o, provider: openai, params: {model: gpt-4o-2024-08-06}}
  - {name: local/*, provider: ollama}
`);
    const backend = cfg.binds.get(4000)!.listeners[0]!.router.routes[0]!.backends[0]!.backend;
    expect(backend.kind).toBe("llm");
    if (backend.kind === "llm") {
      expect(backend.models.map((m) => m.name)).toEqual(["gpt-4o", "local/*", "gpt-*", "*"]);
      const local = backend.models.find((m) => m.name === "local/*")!.target;
      expect(local.origin.base).toBe("http://localhost:11434");
      expect(local.basePath).toBe("/v1");
    }
  });

  test("llm: attaches to the gateway named default when there is one", () => {
    const cfg = load(`gateways:\n  default: {port: 3000}\nllm:\n  models: [{name: m, provider: openai}]\n`);
    expect([...cfg.binds.keys()]).toEqual([3000]);
  });

  test("config: readiness address, log format and body limit", () => {
    const cfg = load(`config:\n  readinessAddr: 127.0.0.1:15999\n  logging: {format: json}\nfrontendPolicies:\n  http: {maxBufferSize: 1024}\n`, { READINESS_ADDR: undefined as never });
    expect(cfg.readiness).toEqual({ hostname: "127.0.0.1", port: 15999 });
    expect(cfg.logging.format).toBe("json");
    expect(cfg.maxBodyBytes).toBe(1024);
  });

  test("the body limit defaults to 32 MiB", () => {
    expect(load("binds: []").maxBodyBytes).toBe(32 * 1024 * 1024);
  });
});

describe("secrets", () => {
  test("a backend key from a file is read relative to the config and never printed", async () => {
    const dir = (await import("node:fs")).mkdtempSync("/tmp/agw-secret-");
    await Bun.write(`${dir}/key.txt`, "sk-from-file-XYZ\n");
    await Bun.write(
      `${dir}/config.yaml`,
      `binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n        backendAuth: {key: {file: key.txt}}\n      backends: [{ai: {name: o, provider: {openAI: {}}}}]\n`,
    );
    const r = loadConfigFile(`${dir}/config.yaml`, { env: { READINESS_ADDR: "off" } });
    if (!r.ok) throw new Error(formatIssues(r.errors));
    const printed = Bun.inspect(r.value, { depth: 20 }) + JSON.stringify(r.value, (_k, v) => (v instanceof Map ? [...v] : v));
    expect(printed).not.toContain("sk-from-file-XYZ");
  });

  test("cloud credentials (AWS keys, Azure client secrets) never show in the compiled config", () => {
    const cfg = load(`
binds:
- port: 3000
  listeners:
  - routes:
    - backends:
      - ai: {name: b, provider: {bedrock: {region: us-east-1}}, policies: {backendAuth: {aws: {accessKeyId: AKIDLEAKCHECK, secretAccessKey: SECRETLEAKCHECK, sessionToken: TOKENLEAKCHECK}}}}
      - ai: {name: a, provider: {azure: {resourceName: r, resourceType: openAI}}, policies: {backendAuth: {azure: {explicitConfig: {clientSecret: {tenant_id: t, client_id: c, client_secret: AZSECRETLEAKCHECK}}}}}}
`);
    const printed = Bun.inspect(cfg, { depth: 50 }) + JSON.stringify(cfg, (_k, v) => (v instanceof Map ? [...v] : v));
    expect(printed).not.toContain("LEAKCHECK");
  });

  test("an unreadable key file is a located error", () => {
    const errs = errorsOf(`binds:\n- port: 3000\n  listeners:\n  - routes:\n    - policies:\n        backendAuth: {key: {file: /nonexistent/key}}\n      backends: [{host: a:1}]\n`);
    expect(errs[0]!.path).toBe("binds[0].listeners[0].routes[0].policies.backendAuth.key.file");
    expect(errs[0]!.message).toContain("ENOENT");
  });
});
