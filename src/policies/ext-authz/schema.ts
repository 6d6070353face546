/**
 * `extAuthz` as agentgateway spells it (`ExtAuthz` in its schema): the service by `host`, the
 * protocol (`grpc`, Envoy's `envoy.service.auth.v3.Authorization/Check`, the default; or
 * `http`), the failure mode, which request headers and how much of the body the service sees.
 * Fields not implemented yet are declared so that using one fails the load by name.
 */
import { z } from "zod";
import { notYetFields } from "../../config/schema/parts.ts";

const GrpcProtocol = z.strictObject({
  /** static values sent as the request's `context_extensions` */
  context: z.record(z.string(), z.string()).nullish(),
  /** CEL per key, sent as `metadata_context.filter_metadata` */
  metadata: z.record(z.string(), z.string()).nullish(),
});

const HttpProtocol = z.strictObject({
  /** CEL: the path (and query) of the check request; default: the client's */
  path: z.string().nullish(),
  /** CEL per header added to the check request */
  addRequestHeaders: z.record(z.string(), z.string()).nullish(),
  /** headers of an allowing answer copied onto the upstream request */
  includeResponseHeaders: z.array(z.string()).nullish(),
  ...notYetFields(["redirect", "body", "metadata"]),
});

const FailureMode = z.union([z.enum(["allow", "deny"]), z.strictObject({ denyWithStatus: z.number().int().min(100).max(599) })]);

const Fields = {
  host: z.string().min(1),
  protocol: z.union([z.strictObject({ grpc: GrpcProtocol }), z.strictObject({ http: HttpProtocol })]).nullish(),
  failureMode: FailureMode.nullish(),
  /** header names (and `:method`, `:path`, `:authority`, `:scheme`) the service sees */
  includeRequestHeaders: z.array(z.string().min(1)).nullish(),
  includeRequestBody: z
    .strictObject({
      maxRequestBytes: z.number().int().min(0).nullish(),
      allowPartialMessage: z.boolean().nullish(),
      packAsBytes: z.boolean().nullish(),
    })
    .nullish(),
  /** CEL `key` values and `ttl` (a duration, a timestamp or unix seconds): verdicts reused per key */
  cache: z.strictObject({ key: z.array(z.string().min(1)), ttl: z.string().min(1), maxEntries: z.int().min(0).nullish() }).nullish(),
  ...notYetFields(["backend", "service", "policies"]),
};

const Plain = z.strictObject(Fields);
/** `{conditional: [...]}`: the first entry whose `condition` holds decides; only the last may omit it */
const Conditional = z.strictObject({ conditional: z.array(z.strictObject({ condition: z.string().min(1).nullish(), ...Fields })) });

export const ExtAuthzSchema = z.union([Conditional, Plain]).meta({ id: "ExtAuthzPolicy" });

export type RawExtAuthz = z.output<typeof Plain>;
export type RawExtAuthzPolicy = z.output<typeof ExtAuthzSchema>;
export type RawFailureMode = z.output<typeof FailureMode>;
