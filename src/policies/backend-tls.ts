/**
 * `backendTLS`: how the gateway connects to an upstream over TLS (custom roots, client
 * certificates, SNI, verification switches). A backend policy: set on a route it applies to every
 * backend below it, the most specific wins.
 */
import { z } from "zod";
import { notYetFields } from "../config/schema/parts.ts";
import type { FetchTls } from "../config/model.ts";
import { definePolicy } from "./types.ts";

export const BackendTlsSchema = z.strictObject({
  cert: z.string().nullish(),
  key: z.string().nullish(),
  root: z.string().nullish(),
  hostname: z.string().nullish(),
  insecure: z.boolean().optional(),
  insecureHost: z.boolean().optional(),
  ...notYetFields(["alpn", "subjectAltNames", "keyExchangeGroups", "spiffe"]),
}).meta({ id: "BackendTLS" });

export type RawBackendTLS = z.output<typeof BackendTlsSchema>;

export const backendTls = definePolicy({
  key: "backendTLS",
  schema: BackendTlsSchema,
  levels: ["route", "backend"],
  atRoute: "backend",
  compile(raw, ctx) {
    const tls: FetchTls = {};
    const read = (field: "root" | "cert" | "key") => {
      const file = raw[field];
      return file ? ctx.readFile(file, [...ctx.path, field]) : undefined;
    };
    const ca = read("root");
    const cert = read("cert");
    const key = read("key");
    if (ca !== undefined) tls.ca = ca;
    if (cert !== undefined) tls.cert = cert;
    if (key !== undefined) tls.key = key;
    if (Boolean(raw.cert) !== Boolean(raw.key)) ctx.issue(ctx.path, "backendTLS: 'cert' and 'key' must be given together");
    if (raw.hostname) tls.serverName = raw.hostname;
    if (raw.insecure) tls.rejectUnauthorized = false;
    if (raw.insecureHost) tls.checkServerIdentity = () => undefined;
    return { key: "backendTLS", tls };
  },
});
