/** The config `gatewayFor` writes: objects as JSON, strings as YAML entries at any indentation. */
import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { loadConfigText } from "../../src/config/load.ts";
import { providerYaml } from "./gateway.ts";

const route = (yaml: string) => parse(yaml).binds[0].listeners[0].routes[0];

describe("providerYaml", () => {
  test("defaults: one bind on port 0, one route, the backend named after its provider, no policies", () => {
    const doc = parse(providerYaml("anthropic", "127.0.0.1:1234"));
    expect(doc).toEqual({
      binds: [{ port: 0, listeners: [{ routes: [{ backends: [{ ai: { name: "anthropic", hostOverride: "127.0.0.1:1234", provider: { anthropic: {} } } }] }] }] }],
    });
  });

  test("objects and strings, flow or block, say the same thing", () => {
    const upstream = { host: "127.0.0.1:9" };
    const fromObjects = providerYaml("bedrock", upstream, {
      settings: { region: "us-east-1", model: "us.anthropic.claude-sonnet-4-20250514-v1:0" },
      auth: { aws: { accessKeyId: "AKID", secretAccessKey: "s/k+" } },
      policies: { requestHeaderModifier: { set: { "x-a": "b" } } },
      backend: { pathPrefix: "/proxy" },
      top: { frontendPolicies: { http: { maxBufferSize: 1024 } } },
      name: "b",
    });
    const fromStrings = providerYaml("bedrock", upstream.host, {
      settings: `
        region: us-east-1
        model: "us.anthropic.claude-sonnet-4-20250514-v1:0"
      `,
      auth: '{aws: {accessKeyId: AKID, secretAccessKey: "s/k+"}}',
      policies: "requestHeaderModifier:\n  set: {x-a: b}",
      backend: "pathPrefix: /proxy",
      top: "frontendPolicies:\n  http: {maxBufferSize: 1024}",
      name: "b",
    });
    expect(parse(fromStrings)).toEqual(parse(fromObjects));
    const r = route(fromObjects);
    expect(r.policies).toEqual({ backendAuth: { aws: { accessKeyId: "AKID", secretAccessKey: "s/k+" } }, requestHeaderModifier: { set: { "x-a": "b" } } });
    expect(r.backends[0].ai).toEqual({
      name: "b",
      hostOverride: "127.0.0.1:9",
      provider: { bedrock: { region: "us-east-1", model: "us.anthropic.claude-sonnet-4-20250514-v1:0" } },
      pathPrefix: "/proxy",
    });
    expect(loadConfigText(fromObjects, "t.yaml", { env: {} }).ok).toBe(true);
  });

  test("a flow-style settings string is kept on the provider's line", () => {
    expect(route(providerYaml("gemini", "h:1", { settings: "{model: gemini-2.5-flash}" })).backends[0].ai.provider).toEqual({ gemini: { model: "gemini-2.5-flash" } });
  });
});
