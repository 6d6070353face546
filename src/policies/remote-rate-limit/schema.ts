/**
 * `remoteRateLimit` as agentgateway spells it (`RemoteRateLimit` in its schema): the rate limit
 * service by `host`, its `domain`, the `descriptors` (entries whose values are CEL, a type, an
 * optional CEL `cost` and `limitOverride`) and the failure mode; or the conditional form. Fields
 * not implemented yet are declared so that using one fails the load by name.
 */
import { z } from "zod";
import { notYetFields } from "../../config/schema/parts.ts";

const Descriptor = z.strictObject({
  entries: z.array(z.strictObject({ key: z.string().min(1), value: z.string().min(1) })),
  type: z.enum(["requests", "tokens"]).nullish(),
  /** CEL: hits this request adds (requests: default 1; tokens: default the tokens it used) */
  cost: z.string().min(1).nullish(),
  /** CEL giving `{unit, requestsPerUnit}`: the limit the service is told to apply */
  limitOverride: z.string().min(1).nullish(),
});

const Fields = {
  host: z.string().min(1),
  domain: z.string().min(1),
  descriptors: z.array(Descriptor),
  failureMode: z.enum(["failClosed", "FailClosed", "failOpen", "FailOpen"]).nullish(),
  ...notYetFields(["backend", "service", "policies"]),
};

const Plain = z.strictObject(Fields);
/** `{conditional: [...]}`: the first entry whose `condition` holds applies; only the last may omit it */
const Conditional = z.strictObject({ conditional: z.array(z.strictObject({ condition: z.string().min(1).nullish(), ...Fields })) });

export const RemoteRateLimitSchema = z.union([Conditional, Plain]).meta({ id: "RemoteRateLimitPolicy" });

export type RawRemoteRateLimit = z.output<typeof Plain> & { condition?: string | null | undefined };
export type RawDescriptor = z.output<typeof Descriptor>;
