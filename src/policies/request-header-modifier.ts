/**
 * `requestHeaderModifier`: add, set and remove headers on the request as it goes upstream. On a
 * route it filters the exchange (every upstream call of it); on a backend it applies to calls to
 * that backend, after the route's.
 */
import { HeaderModifier } from "../config/schema/parts.ts";
import { compileHeaderOps } from "../http/headers.ts";
import { definePolicy } from "./types.ts";

export const requestHeaderModifier = definePolicy({
  key: "requestHeaderModifier",
  schema: HeaderModifier,
  levels: ["route", "backend"],
  atRoute: "filter",
  compile(raw) {
    const apply = compileHeaderOps(raw);
    return apply ? { key: "requestHeaderModifier", send: (req) => apply(req.headers) } : undefined;
  },
});
