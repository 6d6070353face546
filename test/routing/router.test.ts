import { describe, expect, test } from "bun:test";
import type { RouteConfig } from "../../src/config/model.ts";
import type { RawRouteMatch } from "../../src/config/schema.ts";
import { composeChain } from "../../src/policies/chain.ts";
import { compileRouter, type RequestInfo } from "../../src/routing/router.ts";
import { hostnameMatches, hostOf } from "../../src/routing/hostname.ts";

function route(key: string): RouteConfig {
  return { key, backends: [], totalWeight: 0, policies: [], chain: composeChain([]), consumesUsage: false };
}

function router(defs: [string, RawRouteMatch[] | undefined, string[]?][]) {
  return compileRouter(defs.map(([key, matches, hostnames]) => ({ route: route(key), matches, hostnames: hostnames ?? [] })));
}

function req(path: string, more: Partial<RequestInfo> = {}): RequestInfo {
  const [p, q] = path.split("?");
  return { method: "POST", path: p!, query: q ?? "", host: "api.example.com", headers: new Headers(), ...more };
}

const match = (r: ReturnType<typeof router>, i: RequestInfo) => r.match(i)?.route.key;

describe("route precedence (agentgateway / Gateway API)", () => {
  test("exact beats prefix beats regex, regardless of order", () => {
    const r = router([
      ["regex", [{ path: { regex: "/v1/.*" } }]],
      ["prefix", [{ path: { pathPrefix: "/v1" } }]],
      ["exact", [{ path: { exact: "/v1/chat/completions" } }]],
    ]);
    expect(match(r, req("/v1/chat/completions"))).toBe("exact");
    expect(match(r, req("/v1/embeddings"))).toBe("prefix");
  });

  test("the longer prefix wins; prefixes match whole segments", () => {
    const r = router([
      ["root", undefined],
      ["v1", [{ path: { pathPrefix: "/v1" } }]],
      ["v1chat", [{ path: { pathPrefix: "/v1/chat/" } }]],
    ]);
    expect(match(r, req("/v1/chat/completions"))).toBe("v1chat");
    expect(match(r, req("/v1/chat"))).toBe("v1chat");
    expect(match(r, req("/v1"))).toBe("v1");
    expect(match(r, req("/v10/x"))).toBe("root");
    expect(match(r, req("/"))).toBe("root");
  });

  test("with equal paths: method, then more headers, then more query params, then config order", () => {
    const r = router([
      ["plain", [{ path: { pathPrefix: "/v1" } }]],
      ["plain-later", [{ path: { pathPrefix: "/v1" } }]],
      ["query", [{ path: { pathPrefix: "/v1" }, query: [{ name: "beta", value: { exact: "true" } }] }]],
      ["header", [{ path: { pathPrefix: "/v1" }, headers: [{ name: "x-team", value: { regex: "ml|ai" } }] }]],
      ["method", [{ path: { pathPrefix: "/v1" }, method: "GET" }]],
    ]);
    expect(match(r, req("/v1/models", { method: "GET" }))).toBe("method");
    expect(match(r, req("/v1/x", { headers: new Headers({ "x-team": "ai" }) }))).toBe("header");
    expect(match(r, req("/v1/x", { headers: new Headers({ "x-team": "aix" }) }))).toBe("plain"); // regex is anchored
    expect(match(r, req("/v1/x?beta=true"))).toBe("query");
    expect(match(r, req("/v1/x?beta=false"))).toBe("plain");
  });

  test("several match entries are ORed; conditions within one are ANDed", () => {
    const r = router([
      ["a", [{ path: { exact: "/a" }, method: "GET" }, { path: { exact: "/b" } }]],
      ["fallback", undefined],
    ]);
    expect(match(r, req("/a", { method: "GET" }))).toBe("a");
    expect(match(r, req("/a", { method: "POST" }))).toBe("fallback");
    expect(match(r, req("/b"))).toBe("a");
  });

  test("pseudo-headers :method, :authority and :path can be matched", () => {
    const r = router([["p", [{ headers: [{ name: ":authority", value: { exact: "api.example.com" } }, { name: ":path", value: { regex: "/x\\?.*" } }] }]]]);
    expect(match(r, req("/x?y=1"))).toBe("p");
    expect(match(r, req("/x"))).toBeUndefined();
  });

  test("hostnames: exact beats wildcard beats none; wildcards never match the bare suffix", () => {
    const r = router([
      ["any", undefined],
      ["wild", undefined, ["*.example.com"]],
      ["deeper", undefined, ["*.api.example.com"]],
      ["exact", undefined, ["api.example.com"]],
    ]);
    expect(match(r, req("/", { host: "api.example.com" }))).toBe("exact");
    expect(match(r, req("/", { host: "x.api.example.com" }))).toBe("deeper");
    expect(match(r, req("/", { host: "foo.example.com" }))).toBe("wild");
    expect(match(r, req("/", { host: "example.com" }))).toBe("any");
    expect(match(r, req("/", { host: "other.org" }))).toBe("any");
  });

  test("no match -> undefined", () => {
    const r = router([["a", [{ path: { exact: "/a" } }]]]);
    expect(r.match(req("/b"))).toBeUndefined();
  });
});

describe("hostnames", () => {
  test("Host header parsing", () => {
    expect(hostOf("API.Example.com:3000")).toBe("api.example.com");
    expect(hostOf("[::1]:3000")).toBe("[::1]");
    expect(hostOf(null)).toBe("");
  });
  test("wildcards", () => {
    expect(hostnameMatches("*.a.com", "b.a.com")).toBe(true);
    expect(hostnameMatches("*.a.com", "c.b.a.com")).toBe(true);
    expect(hostnameMatches("*.a.com", "a.com")).toBe(false);
    expect(hostnameMatches("a.com", "a.com")).toBe(true);
  });
});
