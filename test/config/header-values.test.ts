/**
 * Header names and values written in the config are checked at load: Bun refuses a header value
 * beyond Latin-1 or with a line break, and before this check such a config loaded and then failed
 * every request it applied to with a 500 "internal gateway error". A Latin-1 value still arrives
 * as written.
 */
import { afterAll, expect, test } from "bun:test";
import type { ConfigIssue } from "../../src/config/errors.ts";
import { loadConfigText } from "../../src/config/load.ts";
import { startOpenAIEmulator } from "../emulators/openai.ts";
import { openaiClient, startTestGateway } from "../helpers/gateway.ts";

function errorsOf(yaml: string): ConfigIssue[] {
  const r = loadConfigText(yaml, "cfg.yaml", { env: { READINESS_ADDR: "off" } });
  if (r.ok) throw new Error("expected the config to be rejected");
  return r.errors;
}

const route = (policies: string) => `binds:
- port: 3000
  listeners:
  - routes:
    - policies:
        ${policies}
      backends: [{ai: {name: o, hostOverride: "127.0.0.1:9", provider: {openAI: {model: m}}}}]
`;

test("a value beyond Latin-1, a line break, or a name with a space: each refused at load, located", () => {
  const errs = errorsOf(route(`requestHeaderModifier: {set: {x-team: "日本"}, add: {"x bad": ok, x-two: "a\\nb"}}`));
  const at = Object.fromEntries(errs.map((e) => [e.path, e]));
  expect(Object.keys(at).sort()).toEqual([
    "binds[0].listeners[0].routes[0].policies.requestHeaderModifier.add.x-two",
    'binds[0].listeners[0].routes[0].policies.requestHeaderModifier.add["x bad"]',
    "binds[0].listeners[0].routes[0].policies.requestHeaderModifier.set.x-team",
  ]);
  expect(at["binds[0].listeners[0].routes[0].policies.requestHeaderModifier.set.x-team"]!.message).toContain("Latin-1 text without line breaks");
  expect(at["binds[0].listeners[0].routes[0].policies.requestHeaderModifier.set.x-team"]!.line).toBe(6);
  expect(at['binds[0].listeners[0].routes[0].policies.requestHeaderModifier.add["x bad"]']!.message).toContain("not a valid header name");
});

test("the same check for answers the gateway writes: responseHeaderModifier and directResponse", () => {
  expect(errorsOf(route(`responseHeaderModifier: {set: {x-note: "✓"}}`)).map((e) => e.path)).toEqual(["binds[0].listeners[0].routes[0].policies.responseHeaderModifier.set.x-note"]);
  expect(errorsOf(route(`directResponse: {status: 200, body: hi, headers: {x-note: "✓"}}`)).map((e) => e.path)).toEqual(["binds[0].listeners[0].routes[0].policies.directResponse.headers.x-note"]);
});

const emu = startOpenAIEmulator();
afterAll(() => emu.stop());

test("a Latin-1 value is accepted and reaches the provider as written", async () => {
  const gw = await startTestGateway(`binds:
- port: 0
  listeners:
  - routes:
    - policies:
        requestHeaderModifier: {set: {x-team: "Équipe José"}}
      backends: [{ai: {name: o, hostOverride: "${emu.host}", provider: {openAI: {model: gpt-4o-mini}}}}]
`);
  try {
    const r = await openaiClient(gw.baseURL()).chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] });
    expect(r.choices[0]?.finish_reason).toBe("stop");
    expect(emu.requests.at(-1)!.headers.get("x-team")).toBe("Équipe José");
  } finally {
    await gw.stop();
  }
});
