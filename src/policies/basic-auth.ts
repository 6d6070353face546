/**
 * `basicAuth`: users from an htpasswd file or inline text (bcrypt, SHA and APR1 entries; a file is
 * re-read when it changes). Modes: strict (valid credentials required) or optional (default:
 * checked when present). A failure is a 401 with `WWW-Authenticate: Basic realm="<realm>"`
 * (default realm "Restricted", as agentgateway). The user name is `basicAuth.username` in CEL;
 * the credential is removed from every upstream request.
 */
import { z } from "zod";
import { AuthorizationLocation, FileOrInline } from "../config/schema/parts.ts";
import { parseHtpasswd, verifyPassword, type Htpasswd } from "../auth/htpasswd.ts";
import { credentialLocation, unauthorized } from "./credential.ts";
import { watchedFile } from "./file-source.ts";
import { setBasicAuth } from "./identity.ts";
import { definePolicy, type PolicyCompileContext } from "./types.ts";

export const BasicAuthSchema = z
  .strictObject({
    htpasswd: FileOrInline,
    realm: z.string().nullish(),
    mode: z.enum(["strict", "optional"]).optional(),
    authorizationLocation: AuthorizationLocation.nullish(),
  })
  .meta({ id: "BasicAuthPolicy" });

export const basicAuth = definePolicy({
  key: "basicAuth",
  schema: BasicAuthSchema,
  levels: ["gateway", "route", "llm"],
  atRoute: "filter",
  compile(raw, ctx) {
    const users = loadUsers(raw.htpasswd, ctx);
    if (!users) return undefined;
    const realm = raw.realm ?? "Restricted";
    const challenge = { "www-authenticate": `Basic realm="${realm.replaceAll('"', "'")}"` };
    const mode = raw.mode ?? "optional";
    const location = credentialLocation(raw.authorizationLocation, { name: "authorization", prefix: "Basic " }, { sink: ctx, path: [...ctx.path, "authorizationLocation"] });
    if (!location) return undefined;
    return {
      key: "basicAuth",
      async handle(reqCtx, next) {
        const encoded = location.extract(reqCtx);
        if (encoded === undefined) {
          if (mode === "strict") throw unauthorized(`credentials are required: send a user name and password with HTTP Basic authentication (${location.describe})`, "missing_credentials", challenge);
          return await next(reqCtx);
        }
        const decoded = Buffer.from(encoded, "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        const username = colon < 0 ? decoded : decoded.slice(0, colon);
        const entry = users.current().users.get(username);
        if (colon < 0 || !entry || !(await verifyPassword(entry, decoded.slice(colon + 1)))) {
          throw unauthorized("invalid user name or password", "invalid_credentials", challenge);
        }
        setBasicAuth(reqCtx, { username });
        return await next(reqCtx);
      },
      send: (req, reqCtx) => location.strip(req, reqCtx),
    };
  },
});

function loadUsers(source: z.output<typeof FileOrInline>, ctx: PolicyCompileContext): { current(): Htpasswd } | undefined {
  const path = [...ctx.path, "htpasswd"];
  const text = typeof source === "string" ? source : ctx.readFile(source.file, [...path, "file"]);
  if (text === undefined) return undefined;
  const parsed = parseHtpasswd(text);
  for (const p of parsed.problems) ctx.issue(path, `htpasswd line ${p.line}: ${p.message}`);
  if (typeof source === "string") return { current: () => parsed };
  // a file is watched: a bad new version keeps the users we have
  return watchedFile(ctx.resolveFile(source.file), parsed, (t) => {
    const next = parseHtpasswd(t);
    return next.problems.length === 0 ? next : undefined;
  });
}
