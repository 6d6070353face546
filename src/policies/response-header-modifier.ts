/**
 * `responseHeaderModifier`: add, set and remove headers on the answer before it goes to the
 * client, whatever produced it (a translated chat answer, embeddings, a stream, a passthrough).
 * A backend's applies first, then the route's.
 */
import { HeaderModifier } from "../config/schema/parts.ts";
import { compileHeaderOps } from "../http/headers.ts";
import { definePolicy } from "./types.ts";

export const responseHeaderModifier = definePolicy({
  key: "responseHeaderModifier",
  schema: HeaderModifier,
  levels: ["route", "backend"],
  atRoute: "filter",
  compile(raw) {
    const apply = compileHeaderOps(raw);
    return apply ? { key: "responseHeaderModifier", present: (headers) => apply(headers) } : undefined;
  },
});
