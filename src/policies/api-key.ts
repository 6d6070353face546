/**
 * `apiKey`: the gateway's own API keys (agentgateway's LocalAPIKeys). Keys are configured in
 * clear (`key`) or as `keyHash: sha256:<hex>`; each may carry `metadata` (CEL `apiKey.*`) and
 * `allowedModels` (`*` at the start or end), which refuses other models with a 403 and narrows
 * `GET /v1/models`. Modes: strict (a valid key is required), optional (default: validated when
 * present), permissive (never refused; a valid key is still recognised).
 *
 * Keys are looked up by their SHA-256, so the clear keys are not kept after load and lookups do
 * not compare secrets byte by byte. The presented key is removed from every upstream request.
 */
import { z } from "zod";
import { AuthorizationLocation } from "../config/schema/parts.ts";
import { modelPattern, type ModelMatcher } from "../llm/model-pattern.ts";
import { credentialLocation, forbidden, unauthorized } from "./credential.ts";
import { modelAllowed, setApiKey, type ApiKeyIdentity } from "./identity.ts";
import { definePolicy, type Next, type PolicyCompileContext } from "./types.ts";
import type { RequestContext } from "../server/context.ts";

const KeyFields = {
  metadata: z.unknown().optional(),
  allowedModels: z.array(z.string()).nullish(),
};

const ApiKeyEntry = z.union([
  z.strictObject({ key: z.string().min(1), ...KeyFields }),
  z.strictObject({
    keyHash: z.string().regex(/^sha256:[0-9a-fA-F]{64}$/, { error: "keyHash must be sha256:<64 hex digits>" }),
    ...KeyFields,
  }),
], { error: "expected {key: ...} or {keyHash: sha256:<hex>}" });

export const ApiKeySchema = z
  .strictObject({
    keys: z.array(ApiKeyEntry),
    mode: z.enum(["strict", "optional", "permissive"]).optional(),
    location: AuthorizationLocation.nullish(),
  })
  .meta({ id: "ApiKeyPolicy" });

type RawApiKeys = z.output<typeof ApiKeySchema>;

export function sha256Hex(text: string): string {
  return Bun.SHA256.hash(text, "hex");
}

/** A key limited to some models: the request's model is read first (it may be in the body). */
async function modelChecked(ctx: RequestContext, id: ApiKeyIdentity, next: Next): Promise<Response> {
  const model = await ctx.model();
  if (model !== undefined && !modelAllowed(ctx, model)) {
    throw forbidden(`model ${model} is not allowed for this API key (allowed: ${id.allowedModels!.join(", ") || "none"})`, "model_not_allowed");
  }
  return await next(ctx);
}

export const apiKey = definePolicy({
  key: "apiKey",
  schema: ApiKeySchema,
  levels: ["gateway", "route", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const keys = compileKeys(raw, ctx);
    const mode = raw.mode ?? "optional";
    const location = credentialLocation(raw.location, { name: "authorization", prefix: "Bearer " }, { sink: ctx, path: [...ctx.path, "location"] });
    if (!location) return undefined;
    return {
      key: "apiKey",
      // not async: an async frame more on every request; a refusal is a rejected answer
      handle(reqCtx, next) {
        const presented = location.extract(reqCtx);
        if (presented === undefined) {
          if (mode === "strict") return Promise.reject(unauthorized(`an API key is required: send it in ${location.describe}`, "missing_api_key"));
          return next(reqCtx);
        }
        const id = keys.get(sha256Hex(presented));
        if (!id) {
          if (mode === "permissive") return next(reqCtx);
          return Promise.reject(unauthorized(`API key not recognised: check the key sent in ${location.describe}`, "invalid_api_key"));
        }
        setApiKey(reqCtx, id);
        return id.allowsModel ? modelChecked(reqCtx, id, next) : next(reqCtx);
      },
      send: (req, reqCtx) => location.strip(req, reqCtx),
    };
  },
});

function compileKeys(raw: RawApiKeys, ctx: PolicyCompileContext): Map<string, ApiKeyIdentity> {
  const keys = new Map<string, ApiKeyIdentity>();
  raw.keys.forEach((k, i) => {
    const path = [...ctx.path, "keys", i];
    const hex = "key" in k ? sha256Hex(k.key) : k.keyHash.slice("sha256:".length).toLowerCase();
    if (keys.has(hex)) ctx.issue(path, "this API key is listed twice");
    const allowed = k.allowedModels ?? undefined;
    const matcher = allowed ? allowedModels(allowed, ctx, [...path, "allowedModels"]) : undefined;
    keys.set(hex, {
      fingerprint: `sha256:${hex}`,
      metadata: k.metadata ?? null,
      ...(allowed && matcher ? { allowedModels: allowed, allowsModel: matcher } : {}),
    });
  });
  return keys;
}

/** agentgateway's rules: `*` alone, or one `*` at the start or end; an empty list allows nothing. */
function allowedModels(patterns: readonly string[], ctx: PolicyCompileContext, path: (string | number)[]): ModelMatcher {
  if (patterns.length > 1 && patterns.includes("*")) ctx.issue(path, "allowedModels cannot combine '*' with other values");
  patterns.forEach((p, i) => {
    const stars = p.split("*").length - 1;
    if (p === "") ctx.issue([...path, i], "allowedModels cannot contain an empty model name");
    else if (stars > 1 || (stars === 1 && !p.startsWith("*") && !p.endsWith("*"))) {
      ctx.issue([...path, i], `allowedModels pattern ${JSON.stringify(p)} must contain at most one '*', at the beginning or end`);
    }
  });
  const matchers = patterns.map(modelPattern);
  return (model) => matchers.some((m) => m(model));
}
