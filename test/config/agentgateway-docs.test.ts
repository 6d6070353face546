/**
 * agentgateway's own documentation examples load unchanged (test/fixtures/agentgateway-docs/,
 * sources in SOURCES.md there). Their `$VAR`s get placeholder values, and the key files they name
 * (a JWKS) are served by a stub reader, as a user would have them next to the config.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatIssues } from "../../src/config/errors.ts";
import { loadConfigText } from "../../src/config/load.ts";

const DIR = join(import.meta.dir, "../fixtures/agentgateway-docs");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort();

/**
 * Any variable a doc config names, except the gateway's own settings (which would change what it does),
 * among them the guard services' endpoint overrides (AGW_*_BASE_URL, AWS_ENDPOINT_URL_*).
 */
const env = new Proxy({} as Record<string, string | undefined>, {
  get: (_t, k) => (typeof k !== "string" ? undefined : k === "READINESS_ADDR" ? "off" : /^(LOG_FORMAT|ADMIN_ADDR|STATS_ADDR|AGW_.*|AWS_ENDPOINT_URL_.*|CONNECTION_(MIN_)?TERMINATION_DEADLINE)$/.test(k) ? undefined : `placeholder-${k.toLowerCase()}`),
  has: () => true,
});

const JWKS = JSON.stringify({
  keys: [
    {
      kty: "RSA",
      kid: "docs",
      e: "AQAB",
      n: "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
    },
  ],
});
const readFile = (path: string) => {
  if (/pub-key|public-key\.json$/.test(path)) return JWKS;
  throw Object.assign(new Error(`no such file ${path}`), { code: "ENOENT" });
};

describe("agentgateway's documentation examples", () => {
  test("there are examples for this issue's policies among them", () => {
    const uses = (re: RegExp) => files.filter((f) => re.test(readFileSync(join(DIR, f), "utf8"))).length;
    expect(files.length).toBeGreaterThanOrEqual(210);
    expect(uses(/^\s+policies:\s*\n\s+apiKey:/m)).toBeGreaterThanOrEqual(1);
    for (const p of ["jwtAuth", "basicAuth", "cors", "authorization", "localRateLimit"]) expect(uses(new RegExp(`^\\s+${p}:`, "m"))).toBeGreaterThanOrEqual(1);
  });

  test.each(files)("%s loads", (file) => {
    const loaded = loadConfigText(readFileSync(join(DIR, file), "utf8"), file, { env, readFile, baseDir: "/docs" });
    if (!loaded.ok) throw new Error(formatIssues(loaded.errors));
    expect(loaded.ok).toBe(true);
  });
});
