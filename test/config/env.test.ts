import { describe, expect, test } from "bun:test";
import { expandEnv } from "../../src/config/env.ts";

const env = { KEY: "sk-123", EMPTY: "", PORT: "3000", "ÜBER": "u" };

describe("environment expansion (agentgateway/shellexpand rules)", () => {
  test.each([
    ["$KEY", "sk-123"],
    ["${KEY}", "sk-123"],
    ["Bearer $KEY!", "Bearer sk-123!"],
    ["${KEY}suffix", "sk-123suffix"],
    ["${MISSING:-fallback}", "fallback"],
    ["${EMPTY:-fallback}", ""], // set-but-empty keeps the empty value
    ["$$KEY", "$KEY"], // $$ is a literal $
    ["cost: 5$", "cost: 5$"], // $ before a non-name char stays
    ["a $ b", "a $ b"],
    ["${unclosed", "${unclosed"],
    ["$ÜBER", "u"], // unicode letters are name characters
    ["no dollar", "no dollar"],
    ["${PORT}:${PORT}", "3000:3000"],
  ])("%s -> %s", (input, expected) => {
    const r = expandEnv(input, env);
    expect(r.missing).toEqual([]);
    expect(r.value).toBe(expected);
  });

  test("an unset variable without default is reported by name", () => {
    const r = expandEnv("key: $NOPE and ${ALSO_NOPE}", env);
    expect(r.missing).toEqual(["NOPE", "ALSO_NOPE"]);
  });
});
